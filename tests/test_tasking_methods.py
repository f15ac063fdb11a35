"""The vectorised hotspot methods give the same scores as the plain per-cell implementation, the
grid bins and masks points as documented, and the backtest tunes on earlier months only."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import shapely

from paragon.errors import ParagonError
from paragon.tasking import reference
from paragon.tasking.backtest import Events, month_index, month_text, run_backtest
from paragon.tasking.grid import Grid, grid_for_area, load_area
from paragon.tasking.methods import METHODS

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", list(METHODS))
def test_vectorised_methods_match_the_per_cell_implementation(name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ny, nx, months = int(rng.integers(5, 12)), int(rng.integers(5, 12)), int(rng.integers(1, 8))
    grid = Grid(0.0, 0.0, 100.0, nx, ny, rng.random((ny, nx)) > 0.2)
    window = rng.poisson(0.5, (months, ny, nx)).astype(float)
    m = METHODS[name]
    for params in [m.defaults, *m.candidates]:
        fast = m.score(window, grid.cell, params)
        slow = reference.score_window(name, params, grid, window)
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12, err_msg=str(params))


def test_grid_bins_points_and_drops_those_outside_the_area() -> None:
    # An L-shaped area: the 2 x 2 square of 100 m cells without its north-east cell.
    area = shapely.Polygon([(0, 0), (200, 0), (200, 100), (100, 100), (100, 200), (0, 200)])
    grid = grid_for_area(area, 100)
    assert (grid.x0, grid.y0, grid.nx, grid.ny) == (0.0, 0.0, 2, 2)
    assert grid.mask.tolist() == [[True, True], [True, False]]
    x = np.array([50, 150, 50, 150, -5, 50, np.nan])
    y = np.array([50, 50, 150, 150, 50, 99.999, 10])
    counts = grid.histogram(x, y)
    assert counts.tolist() == [[2, 1], [1, 0]]  # the north-east point, the one west and NaN drop
    assert grid.cell_name(1) == "E100N0"
    ring = grid.polygon_lonlat(0)
    assert ring[0] == ring[-1] and len(ring) == 5


def test_area_file_errors_are_specific(tmp_path: Path) -> None:
    with pytest.raises(ParagonError, match="no such area file"):
        load_area(tmp_path / "missing.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(ParagonError, match="not a readable GeoJSON"):
        load_area(bad)
    points = tmp_path / "points.geojson"
    points.write_text('{"type": "Point", "coordinates": [0, 51]}')
    with pytest.raises(ParagonError, match="no Polygon"):
        load_area(points)
    metres = tmp_path / "metres.geojson"
    metres.write_text('{"type": "Polygon", "coordinates": [[[400000, 300000], [401000, 300000], '
                      '[401000, 301000], [400000, 300000]]]}')
    with pytest.raises(ParagonError, match="not longitude/latitude"):
        load_area(metres)
    with pytest.raises(ParagonError, match="positive"):
        grid_for_area(shapely.box(0, 0, 10, 10), 0)


def test_gm_area_reads_gzipped_and_covers_the_force() -> None:
    area = load_area(DATA / "geography" / "greater-manchester-police-force-area.geojson.gz")
    # Greater Manchester is about 1,276 km2 (ONS); the boundary file should say much the same.
    assert 1200e6 < area.area < 1350e6
    assert shapely.contains_xy(area, 383_800, 398_200)  # Manchester city centre (BNG)


def test_months() -> None:
    assert month_text(month_index("2018-02")) == "2018-02"
    assert month_index("2019-01") - month_index("2018-02") == 11
    for bad in ("2018-13", "18-02", "2018/02"):
        with pytest.raises(ParagonError, match="not a month"):
            month_index(bad)


def _events(rng: np.random.Generator, months: range, hot: tuple[float, float]) -> Events:
    xs, ys, ms = [], [], []
    for m in months:
        n = 40
        xs.append(np.concatenate([rng.uniform(0, 2000, n), rng.normal(hot[0], 60, n)]))
        ys.append(np.concatenate([rng.uniform(0, 2000, n), rng.normal(hot[1], 60, n)]))
        ms.append(np.full(2 * n, m))
    return Events(np.concatenate(xs), np.concatenate(ys), np.concatenate(ms))


def test_parameters_are_tuned_on_months_before_the_backtest_only() -> None:
    rng = np.random.default_rng(7)
    start, end = month_index("2020-01"), month_index("2020-06")
    before = _events(rng, range(start - 18, start), (500, 500))
    grid = grid_for_area(shapely.box(0, 0, 2000, 2000), 100)
    quiet = _events(np.random.default_rng(8), range(start, end + 1), (500, 500))
    moved = _events(np.random.default_rng(9), range(start, end + 1), (1500, 1500))

    def both(after: Events) -> Events:
        return Events(np.concatenate([before.x, after.x]), np.concatenate([before.y, after.y]),
                      np.concatenate([before.month, after.month]))

    a = run_backtest(grid, both(quiet), "2020-01", "2020-06", 6, tune_months=6)
    b = run_backtest(grid, both(moved), "2020-01", "2020-06", 6, tune_months=6)
    assert [r.params for r in a.results] == [r.params for r in b.results]
    assert all(r.tuned for r in a.results if r.method != "counts")
    # Scores do differ: the evaluation months were really scored.
    assert a.results[0].summary("pai", 5).mean != b.results[0].summary("pai", 5).mean
    # Too little history to tune: the documented defaults, and the report says so.
    c = run_backtest(grid, both(quiet), "2020-01", "2020-06", 6, tune_months=24)
    assert [r.params for r in c.results] == [METHODS[r.method].defaults for r in c.results]
    assert not any(r.tuned for r in c.results)


def test_backtest_refuses_what_the_data_cannot_answer() -> None:
    rng = np.random.default_rng(1)
    start = month_index("2020-01")
    ev = _events(rng, range(start - 3, start + 2), (500, 500))
    grid = grid_for_area(shapely.box(0, 0, 2000, 2000), 100)
    with pytest.raises(ParagonError, match="needs data from 2019-08"):
        run_backtest(grid, ev, "2020-01", "2020-02", 5)
    with pytest.raises(ParagonError, match="end in 2020-02"):
        run_backtest(grid, ev, "2020-01", "2020-03", 3)
    with pytest.raises(ParagonError, match="after"):
        run_backtest(grid, ev, "2020-02", "2020-01", 3)


def test_real_gm_burglary_backtest() -> None:
    """The issue's protocol on the real series: 250 m cells masked to the force area, train 12
    months, predict each month 2018-02..2019-01."""
    import pyarrow.csv as pacsv

    from paragon.tasking.sources import events_from_csv

    path = DATA / "policeuk" / "derived" / "gmp_bur.csv.gz"
    area = load_area(DATA / "geography" / "greater-manchester-police-force-area.geojson.gz")
    grid = grid_for_area(area, 250)
    events, dropped = events_from_csv(path)
    assert dropped == 0 and len(events.x) == 92_666
    report = run_backtest(grid, events, "2018-02", "2019-01", 12)
    # The events scored are the rows of those months whose point lies in a masked cell.
    with gzip.open(path) as fh:
        table = pacsv.read_csv(fh)
    months = np.asarray(table["Month"].to_pylist())
    in_range = (months >= "2018-02") & (months <= "2019-01")
    _, _, ok = grid.locate(events.x, events.y)
    assert report.events == int((ok & in_range).sum())
    assert 30_000 < report.events <= int(in_range.sum())
    by = {r.method: r for r in report.results}
    assert set(by) == set(METHODS)
    counts = by["counts"].summary("pai", 5)
    # The reference open_cp run reached 6.45 with plain counts on this protocol.
    assert 6.0 < counts.mean < 7.0 and counts.months == 12
    assert counts.lower < counts.mean < counts.upper
    # Lightly smoothed counts beat plain counts month by month on this series (paired interval
    # above zero); prospective hotspotting does not.
    vs = by["neighbour_counts"].versus_counts
    assert vs is not None and vs.lower > 0
    pvs = by["prospective"].versus_counts
    assert pvs is not None and pvs.mean < 0
    for r in report.results:
        for c in (1, 5, 10, 20):
            hr = r.summary("hit_rate", c).mean
            assert 0 < hr < 1
            assert r.summary("pai", c).mean == pytest.approx(
                np.mean([s.pai[c] for s in r.scores]))
