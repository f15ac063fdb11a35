"""The analyst pages for stop and search and outcomes, in-process: real police.uk files loaded into
the web's sample warehouse (whose plan force, West Midlands, has none of them), HTML and JSON twins
with the same figures, CSV downloads, the force choice, and sign-in required."""

from __future__ import annotations

from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paragon.ingest.registry import ingest_paths
from paragon.measures import stop_search as ss
from paragon.plan import default_plan
from paragon.settings import Settings
from paragon.warehouse import Warehouse
from paragon.web.app import create_app
from paragon.web.data.policeuk import detections_spec, outcome_months
from paragon.web.fixtures import sample_with_users, sign_in

DATA = Path(__file__).parent / "data"
SECRET = "s" * 32
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = sample_with_users(tmp_path_factory.getbasetemp(),
                             tmp_path_factory.mktemp("web-policeuk") / "pages.duckdb",
                             {"ana": "analyst"}, PASSWORD)
    with Warehouse.open(path) as wh:
        ingest_paths(wh, [DATA / "policeuk" / "stop-and-search", DATA / "policeuk" / "outcomes"],
                     default_plan())
        ss.save_residents(wh, ss.read_residents(DATA / "residents" /
                                                "fixture-durham-residents.csv"))
    return path


@pytest.fixture(scope="module")
def analyst(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db, secret_key=SECRET))) as c:
        assert sign_in(c, "ana", PASSWORD).status_code == 200
        yield c


@pytest.fixture(scope="module")
def public(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db, secret_key=SECRET))) as c:
        yield c


@pytest.mark.parametrize("path", ["/stop-search", "/stop-search?force=merseyside", "/outcomes"])
def test_pages_need_an_analyst(public: TestClient, path: str) -> None:
    assert public.get(path, headers={"Accept": "application/json"}).status_code == 401


def test_stop_search_defaults_to_a_force_with_data_and_says_so(analyst: TestClient) -> None:
    data = analyst.get("/stop-search?format=json").json()
    assert data["ok"] is True and data["force"] == "city-of-london"
    assert "west-midlands" in data["note"] and "merseyside" in data["note"]
    html = unescape(analyst.get("/stop-search").text)
    assert data["note"] in html
    assert [f["force"] for f in data["forces"]] == [
        "city-of-london", "derbyshire", "durham", "essex", "greater-manchester",
        "leicestershire", "merseyside", "south-yorkshire"]


def test_stop_search_page_shows_the_json_figures(analyst: TestClient) -> None:
    data = analyst.get("/stop-search?force=merseyside&format=json").json()
    assert data["force"] == "merseyside" and data["note"] is None
    html = unescape(analyst.get("/stop-search?force=merseyside").text)
    assert f"{data['totals']['searches']:,} searches" in html
    for key in ("months", "legislation", "objects", "outcomes", "ethnicity"):
        assert sum(r["searches"] or 0 for r in data[key]) == data["totals"]["searches"], key
    for r in data["legislation"]:
        assert (r["key"] or "(not recorded)") in html
        assert f"{r['found_pct']:.1f}%" in html
    assert data["disproportionality"] is None
    assert "No residents by ethnic group are loaded for merseyside" in html
    assert 'id="chart-months"' in html and 'id="chart-legislation"' in html


def test_stop_search_csv_download_equals_the_json(analyst: TestClient) -> None:
    data = analyst.get("/stop-search?force=essex&format=json").json()
    csv_text = analyst.get("/stop-search?force=essex&format=csv&table=objects").text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("key,searches,")
    assert len(lines) - 1 == len(data["objects"])


def test_disproportionality_with_residents_loaded(analyst: TestClient) -> None:
    data = analyst.get("/stop-search?force=durham&format=json").json()
    groups = {g["ethnic_group"]: g for g in data["disproportionality"]["groups"]}
    black, white = groups["Black"], groups["White"]
    assert black["ratio"] == pytest.approx((black["searches"] / 4000) /
                                           (white["searches"] / 600000), abs=0.0005)
    html = unescape(analyst.get("/stop-search?force=durham").text)
    assert "TEST FIXTURE" in html  # the source of the residents is on the page
    assert f"{black['ratio']:.2f}" in html
    csv_text = analyst.get("/stop-search?force=durham&format=csv&table=disproportionality.groups")
    assert csv_text.status_code == 200 and "ethnic_group" in csv_text.text.splitlines()[0]


def test_unknown_force_is_a_clear_error(analyst: TestClient) -> None:
    answer = analyst.get("/stop-search?force=kent&format=json")
    assert answer.status_code == 404
    assert "no stop-and-search data is loaded for force 'kent'" in answer.json()["error"]
    assert analyst.get("/stop-search?force=KENT;drop&format=json").status_code == 422


def test_outcomes_page(analyst: TestClient) -> None:
    data = analyst.get("/outcomes?format=json").json()
    assert data["force"] == "city-of-london" and "west-midlands" in data["note"]
    assert [m["month"] for m in data["months"]] == ["2016-11", "2016-12", "2017-01"]
    assert data["lag"]["matched_rows"] == 0 and data["lag"]["window_months"] is None
    html = unescape(analyst.get("/outcomes").text)
    assert "Recent months are incomplete." in html
    assert data["lag"]["explanation"] in html
    for m in data["months"]:
        assert f"<th scope=\"row\">{m['month']}</th>" in html
    assert analyst.get("/outcomes?format=csv&table=types").text.startswith("outcome_type,")


def test_outcomes_page_shows_intervals_and_is_in_the_analyst_nav(analyst: TestClient) -> None:
    data = analyst.get("/outcomes?format=json").json()
    assert data["months_loaded"] == data["months_in_span"] == 3
    assert all(m["missing"] is False for m in data["months"])
    html = unescape(analyst.get("/outcomes").text)
    assert 'id="chart-detections"' in html
    values = data["charts"]["months"]["data"]["values"]
    assert [v["detected"] for v in values] == [m["detected"] for m in data["months"]]
    dashboard = analyst.get("/dashboard").text
    assert 'href="/outcomes"' in dashboard and 'href="/stop-search"' in dashboard


def test_outcome_months_missing_month_is_a_gap_with_intervals_elsewhere() -> None:
    rows = [{"month": "2016-11", "outcome_rows": 10, "crimes_with_outcome": 9, "detected": 3,
             "recorded_street_rows": 40, "detection_rate_pct": 7.5},
            {"month": "2017-01", "outcome_rows": 8, "crimes_with_outcome": 8, "detected": 2,
             "recorded_street_rows": None, "detection_rate_pct": None}]
    months = outcome_months(rows)
    assert [m["month"] for m in months] == ["2016-11", "2016-12", "2017-01"]
    gap = months[1]
    assert gap["missing"] is True and gap["detected"] is None and gap["outcome_rows"] is None
    assert months[0]["detection_rate_lower"] == pytest.approx(2.58, abs=0.01)
    assert months[0]["detection_rate_upper"] == pytest.approx(19.86, abs=0.01)
    assert months[2]["detection_rate_lower"] is None
    spec = detections_spec(months)
    assert [v["month"] for v in spec["data"]["values"]] == ["2016-11", "2017-01"]
    assert spec["encoding"]["x"]["scale"]["domain"] == ["2016-11", "2016-12", "2017-01"]
