"""Every real data.police.uk file in tests/data/policeuk, through `paragon ingest`: every row
accounted for, and the warehouse's counts equal those computed independently from the file."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.geography.bng import lonlat_to_bng
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "policeuk"
STREET = sorted((DATA / "street").glob("*.csv"))
STOP_SEARCH = sorted((DATA / "stop-and-search").glob("*.csv"))
OUTCOMES = sorted((DATA / "outcomes").glob("*.csv"))
RENAMED = {"Violent crime": "Violence and sexual offences"}  # the one 2011 rename (docs/ingest.md)


def ingest(db: Path, *paths: Path) -> list[dict]:
    result = CliRunner().invoke(app, ["ingest", *map(str, paths), "--db", str(db),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["files"]


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def table_counts(db: Path, sql: str, params: list | None = None) -> Counter:
    with Warehouse.open(db, read_only=True) as wh:
        return Counter(dict(tuple(r.values()) for r in wh.query(sql, params or [])))


@pytest.mark.parametrize("path", STREET, ids=lambda p: p.name)
def test_street_file_loads_every_row_and_its_counts(tmp_path: Path, path: Path) -> None:
    db = tmp_path / "w.duckdb"
    rows = rows_of(path)
    [report] = ingest(db, path)
    assert report["rows_read"] == len(rows)
    assert report["rows_loaded"] == len(rows)
    assert report["rows_quarantined"] == report["rows_duplicate"] == 0
    expected = Counter(RENAMED.get(r["Crime type"], r["Crime type"]) for r in rows)
    asb = expected.pop("Anti-social behaviour")
    assert table_counts(db, "SELECT category, count(*) FROM crimes GROUP BY 1") == expected
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM asb_incidents") == asb
        no_location = wh.scalar(
            "SELECT (SELECT count(*) FROM crimes WHERE longitude IS NULL) + "
            "(SELECT count(*) FROM asb_incidents WHERE longitude IS NULL)")
        located_without_grid = wh.scalar(
            "SELECT count(*) FROM crimes WHERE (longitude IS NULL) <> (bng_x IS NULL)")
    published_without = sum(1 for r in rows if not (r.get("Longitude") or r.get("Easting")))
    assert no_location == published_without == report["notes"].get("no location", 0)
    assert located_without_grid == 0
    assert ingest(db, path)[0]["rows_loaded"] == 0  # the same file again loads nothing


def test_cambridgeshire_done_criterion(tmp_path: Path) -> None:
    [report] = ingest(tmp_path / "w.duckdb", DATA / "street" / "2021-01-cambridgeshire-street.csv")
    assert (report["rows_read"], report["rows_loaded"]) == (5252, 5252)
    assert report["notes"] == {"no location": 153}
    with Warehouse.open(tmp_path / "w.duckdb", read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM crimes WHERE force = 'cambridgeshire'") == 4317
        assert wh.scalar("SELECT count(*) FROM asb_incidents") == 935
        # the published outcome text and Paragon's outcome type, side by side
        assert wh.scalar("SELECT count(*) FROM crimes WHERE outcome_type = 'under_investigation' "
                         "AND last_outcome = 'Under investigation'") == 800


def test_city_of_london_keeps_both_rows_of_a_repeated_crime_id(tmp_path: Path) -> None:
    """The file lists two Crime IDs twice (different places): both rows are kept, as published."""
    ingest(tmp_path / "w.duckdb", DATA / "street" / "2021-01-city-of-london-street.csv")
    with Warehouse.open(tmp_path / "w.duckdb", read_only=True) as wh:
        keys = [r["crime_key"] for r in wh.query(
            "SELECT crime_key FROM crimes WHERE crime_reference LIKE '97333d99%' ORDER BY 1")]
    assert len(keys) == 2 and keys[1] == keys[0] + ":2"


def test_2011_schema_grid_references_become_lon_lat(tmp_path: Path) -> None:
    ingest(tmp_path / "w.duckdb", DATA / "street" / "2011-02-west-midlands-street.csv")
    with Warehouse.open(tmp_path / "w.duckdb", read_only=True) as wh:
        box = wh.query("SELECT min(longitude) AS w, max(longitude) AS e, min(latitude) AS s, "
                       "max(latitude) AS n, count(*) AS rows FROM crimes")[0]
        first = wh.query("SELECT longitude, latitude FROM crimes WHERE bng_x = 408811.0 "
                         "AND bng_y = 284398.0 AND location = 'On or near Alfred Road'")[0]
        kept = wh.scalar("SELECT count(*) FROM crimes WHERE category = 'Other crime'")
    assert -2.3 < box["w"] < box["e"] < -1.3 and 52.3 < box["s"] < box["n"] < 52.7
    # Alfred Road, Sparkbrook, Birmingham lies at about 52.457 N, 1.871 W; and back to the grid
    assert first == pytest.approx({"longitude": -1.871, "latitude": 52.457}, abs=3e-3)
    x, y = lonlat_to_bng(np.array([first["longitude"]]), np.array([first["latitude"]]))
    assert (x[0], y[0]) == pytest.approx((408811.0, 284398.0), abs=1.0)
    assert kept == 8184  # the broad 2011 "Other crime", kept as published


def test_every_stop_and_search_file(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    reports = ingest(db, DATA / "stop-and-search")
    assert [Path(r["path"]).name for r in reports] == [p.name for p in STOP_SEARCH]
    expected: Counter = Counter()
    for path, report in zip(STOP_SEARCH, reports, strict=True):
        rows = rows_of(path)
        assert (report["rows_read"], report["rows_loaded"]) == (len(rows), len(rows)), path.name
        month, force = path.name[:7], path.name[8:-len("-stop-and-search.csv")]
        for row in rows:
            expected[(force, month, row["Type"], row["Outcome"] or None)] += 1
    with Warehouse.open(db, read_only=True) as wh:
        got = Counter({(r["force"], r["m"], r["search_type"], r["outcome"]): r["n"] for r in wh.query(
            "SELECT force, strftime(month, '%Y-%m') AS m, search_type, outcome, count(*) AS n "
            "FROM stop_search GROUP BY ALL")})
        offsets = wh.scalar("SELECT count(*) FROM stop_search WHERE occurred_at IS NULL")
        utc = wh.query("SELECT occurred_at FROM stop_search WHERE force = 'greater-manchester' "
                       "ORDER BY occurred_at LIMIT 1")[0]["occurred_at"]
    assert got == expected
    assert offsets == 0
    assert utc.isoformat() == "2019-05-31T23:01:00+00:00"
    assert all(r["rows_loaded"] == 0 for r in ingest(db, DATA / "stop-and-search"))


def test_outcomes_files_load_every_row(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    reports = ingest(db, *OUTCOMES)
    for path, report in zip(OUTCOMES, reports, strict=True):
        assert report["rows_loaded"] == len(rows_of(path)) == report["rows_read"]
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM outcomes WHERE outcome_type IS NULL") == 0
        assert wh.scalar("SELECT count(DISTINCT crime_reference) FROM outcomes") == len(
            {r["Crime ID"] for p in OUTCOMES for r in rows_of(p)})
