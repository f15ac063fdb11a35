"""The web renders in-process: every page answers HTML and its JSON twin with the same figures,
area figures match the warehouse, open data downloads are readable, and errors have one shape."""

from __future__ import annotations

import io
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from paragon.errors import NotFoundError
from paragon.settings import Settings
from paragon.web.app import create_app
from paragon.web.fixtures import sample_with_users, sign_in

SECRET = "s" * 32
PASSWORD = "a long enough password"
PUBLIC_PAGES = ["/", "/plan", "/plan/crime-asb", "/areas", "/areas/search?q=sutton",
                "/areas/lpu/birmingham-north", "/areas/lpu/coventry", "/data", "/methods"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_with_users(tmp_path_factory.getbasetemp(),
                             tmp_path_factory.mktemp("web-pages") / "pages.duckdb",
                             {"ana": "analyst", "adm": "admin"}, PASSWORD)


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db, secret_key=SECRET))) as c:
        yield c


@pytest.fixture(scope="module")
def analyst(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=db, secret_key=SECRET))) as c:
        assert sign_in(c, "ana", PASSWORD).status_code == 200
        yield c


def neighbourhood(client: TestClient) -> str:
    areas = client.get("/areas?format=json").json()
    return str(areas["lpus"][0]["neighbourhoods"][0]["url"])


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_answer_html_and_json(client: TestClient, path: str) -> None:
    html = client.get(path)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    joiner = "&" if "?" in path else "?"
    twin = client.get(f"{path}{joiner}format=json")
    assert twin.status_code == 200 and twin.json()["ok"] is True
    by_header = client.get(path, headers={"Accept": "application/json"})
    assert by_header.json() == twin.json()


def test_overview_html_shows_the_json_figures(client: TestClient) -> None:
    data = client.get("/?format=json").json()
    html = unescape(client.get("/").text)
    assert data["milestone_count"] == 28
    assert len(data["priorities"]) == 7
    for priority in data["priorities"]:
        assert priority["title"] in html
        for m in priority["milestones"]:
            assert m["sentence"] in html
            assert m["figure_text"].split(" (")[0] in html
    assert f"{data['crime']['last_12_months']:,}" in html


def test_milestones_carry_their_uncertainty(client: TestClient) -> None:
    data = client.get("/?format=json").json()
    rows = [m for p in data["priorities"] for m in p["milestones"]]
    with_values = [m for m in rows if m["value"] is not None]
    assert with_values, "the sample has figures"
    for m in with_values:
        assert m["value_lower"] is not None and m["value_upper"] is not None
        assert m["value_lower"] <= m["value"] <= m["value_upper"]
        if m["change_pct"] is not None:
            assert m["change_lower"] is not None and m["change_upper"] is not None


def test_area_counts_match_the_warehouse(client: TestClient) -> None:
    data = client.get("/areas/lpu/coventry?format=json").json()
    window = data["window"]
    wh = client.app.state.ctx.warehouse  # type: ignore[attr-defined]
    expected = wh.scalar(
        "SELECT count(*) FROM crimes WHERE lpu_id = 'coventry' AND month >= ? AND month <= ?",
        [window["first_month"] + "-01", window["last_month"] + "-01"],
    )
    assert data["crime_total"]["last_12_months"] == expected
    assert sum(r["last_12_months"] for r in data["crime_by_category"]) == expected
    for row in data["crime_by_category"]:
        assert row["verdict"] in ("significant increase", "significant decrease",
                                  "no significant change")
        assert 0.0 <= row["p_value"] <= 1.0
        assert row["in_words"]
    assert sum(o["crimes"] for o in data["outcomes"]) == expected


def test_neighbourhood_page_and_map_data(client: TestClient) -> None:
    url = neighbourhood(client)
    data = client.get(f"{url}?format=json").json()
    assert data["area"]["kind"] == "neighbourhood"
    assert data["lsoas"] and all(row["lsoa_code"].startswith("E01") for row in data["lsoas"])
    points = client.get(data["map"]["points"]).json()
    assert len(points["features"]) == len(data["lsoas"])
    hoods = client.get(data["map"]["neighbourhoods"]).json()
    assert any(f["properties"]["id"] == data["area"]["id"] for f in hoods["features"])
    lpus = client.get("/map/lpus.geojson").json()
    assert {f["properties"]["id"] for f in lpus["features"]} == {
        lpu["id"] for lpu in client.get("/plan?format=json").json()["lpus"]}


def test_postcode_finds_the_neighbourhood(client: TestClient) -> None:
    response = client.get("/areas/postcode", params={"postcode": "b10 0ab"},
                          follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/areas/neighbourhood/E02")
    as_json = client.get("/areas/postcode?postcode=B10%200AB&format=json").json()
    assert as_json["area"]["url"] == response.headers["location"]
    unknown = client.get("/areas/postcode?postcode=CV1 1AA")
    assert unknown.status_code == 404 and "Birmingham" in unknown.text
    bad = client.get("/areas/postcode?postcode=hello&format=json")
    assert bad.status_code == 400 and bad.json()["ok"] is False


def test_search_by_name_and_the_htmx_fragment(client: TestClient) -> None:
    data = client.get("/areas/search?q=coventry&format=json").json()
    assert any(r["url"] == "/areas/lpu/coventry" for r in data["results"])
    fragment = client.get("/areas/search?q=coventry", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "/areas/lpu/coventry" in fragment.text


@pytest.mark.parametrize("dataset", ["crimes-by-neighbourhood-month", "crimes-by-lsoa-last-12-months",
                                     "asb-by-neighbourhood-month", "outcomes-by-lpu-month",
                                     "milestones", "local-priorities"])
def test_open_data_downloads(client: TestClient, dataset: str) -> None:
    csv = client.get(f"/data/{dataset}.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    parquet = client.get(f"/data/{dataset}.parquet")
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.num_rows > 0
    assert csv.text.splitlines()[0].split(",") == table.column_names
    forbidden = {"crime_reference", "crime_key", "longitude", "latitude", "bng_x", "bng_y",
                 "location", "respondent_id", "answer", "updated_by"}
    assert not forbidden & set(table.column_names)


def test_methods_page_renders_the_methods_document(client: TestClient) -> None:
    page = client.get("/methods?format=json").json()
    if page["markdown"] is None:
        pytest.skip("docs/methods.md is not in this checkout")
    assert "<h1" in page["html"] or "<h2" in page["html"]


def test_analyst_pages_render_and_export_csv(analyst: TestClient) -> None:
    dashboard = analyst.get("/dashboard?format=json").json()
    assert len(dashboard["milestones"]) == 28
    assert analyst.get("/dashboard").status_code == 200
    measure = analyst.get("/measures/burglary-dwelling?format=json").json()
    assert len(measure["points"]) >= 12
    assert {"centre", "lower_limit", "upper_limit"} <= set(measure["control_chart"])
    assert len(measure["funnel_units"]) == 10
    for table in measure["tables"]:
        csv = analyst.get(f"/measures/burglary-dwelling?format=csv&table={table}")
        assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    quality = analyst.get("/quality?format=json").json()
    assert quality["totals"]["rows_quarantined"] >= 1
    assert analyst.get("/measures/confidence?lpu=coventry&from=2010-04&to=2011-12").status_code == 200


def test_measure_filters_are_validated(analyst: TestClient) -> None:
    assert analyst.get("/measures/robbery?from=2011-13&format=json").status_code == 400
    assert analyst.get("/measures/robbery?from=June&format=json").status_code == 422
    assert analyst.get("/measures/robbery?lpu=nowhere&format=json").status_code == 404
    assert analyst.get("/measures/no-such-measure?format=json").status_code == 404
    reversed_period = analyst.get("/measures/robbery?from=2011-06&to=2011-01&format=json")
    assert reversed_period.status_code == 400


def test_one_error_envelope(client: TestClient) -> None:
    for path, status in (("/no/such/page", 404), ("/areas/lpu/nowhere", 404),
                         ("/?year=abc", 422), ("/plan?year=2003-04", 404)):
        body = client.get(path, headers={"Accept": "application/json"}).json()
        assert body == {"ok": False, "error": body["error"], "status": status}
        assert isinstance(body["error"], str) and body["error"]
    html = client.get("/areas/lpu/nowhere")
    assert html.status_code == 404 and "Page not found" in html.text


def test_a_server_error_is_logged_and_generic(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Settings(db=db, secret_key=SECRET))

    @app.get("/boom")
    def boom() -> Any:
        raise RuntimeError("secret detail: table crimes is on fire")

    @app.get("/missing")
    def missing() -> Any:
        raise NotFoundError("no such thing")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom?format=json")
        assert response.status_code == 500
        body = response.json()
        assert body["ok"] is False and body["status"] == 500
        assert "fire" not in body["error"]
        assert "fire" in caplog.text
        assert c.get("/missing?format=json").json() == {
            "ok": False, "error": "no such thing", "status": 404}


def test_openapi_document(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for path in ("/", "/areas/lpu/{lpu_id}", "/dashboard", "/measures/{measure_id}",
                 "/admin/priorities/{priority_id}/close", "/data/{dataset_id}.{fmt}"):
        assert path in doc["paths"]


def test_create_app_refuses_a_placeholder_secret(db: Path) -> None:
    from paragon.errors import ParagonError

    with pytest.raises(ParagonError, match="PARAGON_SECRET_KEY"):
        create_app(Settings(db=db, secret_key="changeme"))


def test_demo_banner_follows_the_warehouse(db: Path) -> None:
    with TestClient(create_app(Settings(db=db, secret_key=SECRET))) as c:
        assert "Synthetic demo data" not in c.get("/").text
    with TestClient(create_app(Settings(db=db, secret_key=SECRET), demo=True)) as c:
        assert "Synthetic demo data" in c.get("/").text


def test_area_changes_allow_for_dispersion_and_many_comparisons(client: TestClient) -> None:
    # Each crime type is judged on its own 24 months (quasi-Poisson), and the types together
    # hold the false discovery rate at 5% (Benjamini-Hochberg, statsmodels as the reference).
    from statsmodels.stats.multitest import multipletests

    from paragon.stats.counts import compare_periods

    data = client.get("/areas/lpu/birmingham-north?format=json").json()
    rows = data["crime_by_category"]
    wh = client.app.state.ctx.warehouse  # type: ignore[attr-defined]
    first = rows[0]
    months = wh.query(
        "SELECT month, count(*) AS n FROM crimes WHERE lpu_id = 'birmingham-north' AND category = ? "
        "AND month >= ?::DATE - INTERVAL 12 MONTH AND month <= ? GROUP BY 1 ORDER BY 1",
        [first["category"], data["window"]["first_month"] + "-01",
         data["window"]["last_month"] + "-01"])
    counts = [int(m["n"]) for m in months]
    assert len(counts) == 24
    c = compare_periods(counts[:12], counts[12:])
    assert first["p_value"] == c.p_value and first["dispersion"] == round(c.dispersion, 2)
    rejected, adjusted, _, _ = multipletests([r["p_value"] for r in rows], 0.05, "fdr_bh")
    for r, rej, adj in zip(rows, rejected, adjusted, strict=True):
        assert r["p_value_adjusted"] == pytest.approx(adj)
        assert r["compared"] == len(rows)
        assert (r["verdict"] != "no significant change") == bool(rej)
        if len(rows) > 1 and r["verdict"] != "no significant change":
            assert f"after allowing for the {len(rows)} types of crime" in r["in_words"]
    assert any(r["verdict"] != "no significant change" for r in rows)


def test_a_change_significant_alone_is_not_called_real_after_many_comparisons() -> None:
    from paragon.web.data.local import _comparison

    months = [10] * 12 + [16] * 12
    alone = _comparison("Drugs", months)
    assert alone["verdict"] == "significant increase" and alone["p_value"] < 0.01
    among = _comparison("Drugs", months, adjusted=0.2, compared=14)
    assert among["verdict"] == "no significant change"
    assert among["p_value_adjusted"] == 0.2 and among["p_value"] == alone["p_value"]
    assert "after allowing for the 14 types of crime compared here" in among["in_words"]
    assert _comparison("Drugs", months, adjusted=0.01, compared=14)["verdict"] == (
        "significant increase")


def test_measure_funnel_allows_for_overdispersion(analyst: TestClient) -> None:
    # The page's funnel is the stats funnel with adjust="auto": same model, phi and limits.
    from paragon.stats.funnel import funnel_rates

    measure = analyst.get("/measures/burglary-dwelling?format=json").json()
    od = measure["funnel"]["overdispersion"]
    assert od is not None and od["method"] in ("exact", "multiplicative", "additive")
    units = measure["funnel_units"]
    ref = funnel_rates([round(u["events"]) for u in units], [u["size"] for u in units],
                       [u["unit"] for u in units], per=1000.0, adjust="auto")
    assert ref.overdispersion is not None and od["phi"] == pytest.approx(ref.overdispersion.phi)
    assert od["method"] == ref.overdispersion.method
    for u, r in zip(units, ref.units, strict=True):
        assert u["upper_998"] == pytest.approx(r.upper_998)
    html = analyst.get("/measures/burglary-dwelling").text
    assert "overdispersion" in html
    curve = measure["charts"]["funnel"]["layer"][0]["data"]["values"]
    assert curve, "the funnel curve is drawn"


def test_shutdown_waits_for_the_warm_up(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A server stopped while it is still pre-computing figures closes its warehouse only after
    the warm-up has let go of it (closing under a running query failed with 'connection is
    busy')."""
    import threading

    with TestClient(create_app(Settings(db=db, secret_key=SECRET), warm_cache=True)):
        assert any(t.name == "paragon-warm" for t in threading.enumerate())
    assert not any(t.name == "paragon-warm" for t in threading.enumerate())
    assert "could not pre-compute figures" not in caplog.text
