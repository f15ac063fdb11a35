"""The tasking page: analysts only; predicted hotspots per LPU, the patrol list and the backtest
scorecard, as HTML and as the JSON twin, on the web's sample warehouse (33 months of force records
on real West Midlands LSOAs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from paragon.settings import Settings
from paragon.tasking.harm import bundled_weights
from paragon.tasking.methods import METHODS
from paragon.web.app import create_app
from paragon.web.data.tasking import METHOD_IN_USE, TOP_PER_LPU
from paragon.web.fixtures import sample_with_users, sign_in

DATA = Path(__file__).parent / "data"
SECRET = "s" * 32
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_with_users(tmp_path_factory.getbasetemp(),
                             tmp_path_factory.mktemp("tasking") / "tasking.duckdb",
                             {"ana": "analyst"}, PASSWORD)


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db, secret_key=SECRET))) as c:
        yield c


def test_tasking_needs_sign_in(client: TestClient) -> None:
    r = client.get("/tasking?format=json", follow_redirects=False)
    assert r.status_code in (401, 303)


def test_tasking_page_and_json_twin(client: TestClient) -> None:
    assert sign_in(client, "ana", PASSWORD).status_code == 200
    data = client.get("/tasking?format=json").json()
    assert data["ok"] is True
    category = data["filters"]["category"]
    assert data["available"] is True, data.get("reason")
    pred = data["prediction"]
    assert pred["method"] == METHOD_IN_USE
    # The month predicted is the one after the newest crime of the category.
    wh = client.app.state.ctx.warehouse  # type: ignore[attr-defined]
    newest = wh.query("SELECT strftime(max(month), '%Y-%m') AS m FROM crimes "
                      "WHERE category = ? AND bng_x IS NOT NULL", [category])[0]["m"]
    lpus = {r["lpu_id"] for r in wh.query("SELECT DISTINCT lpu_id FROM geography")}
    y, m = int(newest[:4]), int(newest[5:])
    assert pred["month"] == f"{y + (m == 12):04d}-{m % 12 + 1:02d}"
    # Patrol list: at most TOP_PER_LPU cells per LPU, ranked 1.. within each, every LPU known.
    by_lpu: dict[str, list[int]] = {}
    for c in data["patrol"]:
        by_lpu.setdefault(c["lpu"], []).append(c["rank"])
        assert c["expected_crimes"] > 0
    assert set(by_lpu) <= lpus and len(by_lpu) > 1
    for ranks in by_lpu.values():
        assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) <= TOP_PER_LPU
    # Within an LPU, a better rank never has fewer expected crimes.
    for lpu in by_lpu:
        exp = [c["expected_crimes"] for c in data["patrol"] if c["lpu"] == lpu]
        assert exp == sorted(exp, reverse=True)
    # The map holds the same cells as the patrol list, as WGS84 polygons in the West Midlands.
    cells = {f["properties"]["cell"] for f in data["map"]["features"]}
    assert cells == {c["cell"] for c in data["patrol"]}
    lon, lat = np.array([pt for f in data["map"]["features"]
                         for pt in f["geometry"]["coordinates"][0]]).T
    assert (lon > -2.3).all() and (lon < -1.4).all() and (lat > 52.3).all() and (lat < 52.7).all()
    # Scorecard: every method, counts as the baseline, intervals around the means.
    rows = {r["method"]: r for r in data["scorecard"]}
    assert set(rows) == set(METHODS)
    assert rows["counts"]["pai_5_minus_counts"] is None
    assert rows[METHOD_IN_USE]["in_use"] is True
    for r in rows.values():
        assert r["pai_5_lower"] <= r["pai_5"] <= r["pai_5_upper"]
    # Harm: every burglary of the sample carries a weighted offence code, so the harm list and map
    # are there, ranked by expected harm within each LPU, with intervals around each figure.
    weights = bundled_weights().weights
    harm = pred["harm"]
    assert harm is not None and pred["harm_reason"] is None
    assert "Crime Severity Score" in harm["source"]
    codes = [r["offence_code"] for r in wh.query(
        "SELECT offence_code FROM crimes WHERE category = ? AND bng_x IS NOT NULL", [category])]
    assert harm["harm_per_crime"] == pytest.approx(
        np.mean([weights[c] for c in codes]), rel=0.15)  # training months only
    hcells = {f["properties"]["cell"] for f in data["map_harm"]["features"]}
    assert hcells == {c["cell"] for c in data["patrol_harm"]}
    assert harm["cells_in_both"] == len(hcells & cells)
    for lpu in by_lpu:
        exp = [c["expected_harm"] for c in data["patrol_harm"] if c["lpu"] == lpu]
        assert exp == sorted(exp, reverse=True)
    for c in data["patrol"] + data["patrol_harm"]:
        assert c["crimes_lower"] <= c["expected_crimes"] <= c["crimes_upper"]
        assert c["harm_lower"] <= c["expected_harm"] <= c["harm_upper"]
    # The harm backtest: the method in use and the counts baseline, scored against harm; the
    # harm scored is the category's crimes of those months weighted by their offence codes.
    hrows = {r["method"]: r for r in data["harm_scorecard"]}
    assert set(hrows) == {"counts", METHOD_IN_USE}
    b = data["backtest"]
    month_codes = [r["offence_code"] for r in wh.query(
        "SELECT offence_code FROM crimes WHERE category = ? AND bng_x IS NOT NULL "
        "AND strftime(month, '%Y-%m') BETWEEN ? AND ?", [category, b["from"], b["to"]])]
    assert b["harm"] <= sum(weights[c] for c in month_codes) + 1e-6
    assert b["harm"] > 0.9 * sum(weights[c] for c in month_codes)  # most lie in the grid
    for r in hrows.values():
        assert r["pai_5_lower"] <= r["pai_5"] <= r["pai_5_upper"]
    html = client.get("/tasking")
    assert html.status_code == 200
    text = html.text
    assert "Patrol list" in text and "Backtest scorecard" in text and 'id="tasking-cells"' in text
    assert 'id="tasking-harm-cells"' in text and "Harm list" in text
    assert next(iter(cells)) in text
    csv = client.get("/tasking?format=csv&table=patrol")
    assert csv.status_code == 200 and csv.text.count("\n") == len(data["patrol"]) + 1


def test_category_without_published_weights_shows_demand_only(client: TestClient) -> None:
    assert sign_in(client, "ana", PASSWORD).status_code == 200
    cats = [c["category"] for c in client.get("/tasking?format=json").json()["categories"]]
    weights = bundled_weights().weights
    wh = client.app.state.ctx.warehouse  # type: ignore[attr-defined]
    unweighted = next(
        c for c in cats if c not in weights and any(
            r["offence_code"] not in weights for r in wh.query(
                "SELECT DISTINCT offence_code FROM crimes WHERE category = ?", [c])))
    data = client.get("/tasking", params={"category": unweighted, "format": "json"}).json()
    if not data["available"]:
        pytest.skip(data["reason"])
    assert data["prediction"]["harm"] is None and data["map_harm"] is None
    assert unweighted in data["prediction"]["harm_reason"] and data["patrol_harm"] == []
    assert all(c["expected_harm"] is None for c in data["patrol"])


def test_unknown_category_is_a_404(client: TestClient) -> None:
    assert sign_in(client, "ana", PASSWORD).status_code == 200
    r = client.get("/tasking?category=Nonsense&format=json")
    assert r.status_code == 404 and "Nonsense" in r.json()["error"]


def test_tasking_on_a_policeuk_only_warehouse(tmp_path: Path) -> None:
    """A warehouse holding only real police.uk points of another force (Greater Manchester
    burglary, 15 months, every 20th crime) and that force's starter plan: the page works, cells
    fall in the plan's LPUs, and harm ranks cells as demand does because every burglary carries
    the same category weight."""
    import gzip

    from typer.testing import CliRunner

    from paragon.cli import app

    src = DATA / "policeuk" / "derived" / "gmp_bur.csv.gz"
    points = tmp_path / "gm-burglary.csv"
    with gzip.open(src, "rt") as fh, points.open("w") as out:
        out.write(fh.readline())
        for i, line in enumerate(fh):
            if "2017-11" <= line[:7] <= "2019-01" and i % 20 == 0:
                out.write(line)
    db, plan = tmp_path / "gm.duckdb", tmp_path / "gm-plan.yaml"
    env = {"PARAGON_DB": str(db), "PARAGON_PLAN": str(plan),
           "PARAGON_NEW_USER_PASSWORD": PASSWORD}
    runner = CliRunner()
    for args in (["plan", "init", "--force", "greater-manchester", "--out", str(plan)],
                 ["ingest", str(points), "--kind", "points", "--force", "greater-manchester"],
                 ["users", "add", "ana", "--role", "analyst"]):
        r = runner.invoke(app, args, env=env)
        assert r.exit_code == 0, r.output
    with TestClient(create_app(Settings(db=db, plan=plan, secret_key=SECRET))) as c:
        assert sign_in(c, "ana", PASSWORD).status_code == 200
        data = c.get("/tasking?format=json").json()
        assert data["available"] is True, data.get("reason")
        assert data["prediction"]["month"] == "2019-02"
        lpus = {lpu.id for lpu in c.app.state.ctx.plan().lpus}  # type: ignore[attr-defined]
        assert len(lpus) == 10
        seen = {p["lpu"] for p in data["patrol"]}
        assert seen <= lpus and len(seen) >= 8
        harm = data["prediction"]["harm"]
        assert harm["same_weight_for_all"] is True
        assert harm["harm_per_crime"] == round(bundled_weights().weights["Burglary"], 1)
        assert [p["cell"] for p in data["patrol_harm"]] == [p["cell"] for p in data["patrol"]]
        assert "Every burglary here carries the same weight" in c.get("/tasking").text
