"""The measure page's control chart and the dashboard sparklines: seasonal adjustment shown with its
profile, a baseline the analyst chooses, and small numbers shown but not judged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paragon.cli import app as cli
from paragon.settings import Settings
from paragon.web.app import create_app
from paragon.web.data.analysis import too_few
from paragon.web.data.charts import spark_summary, sparkline_svg, xmr_spec
from paragon.web.fixtures import csrf_from, sample_with_users, sign_in
from test_web_accessibility import Structure

SECRET = "s" * 32
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def analyst(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db: Path = sample_with_users(tmp_path_factory.getbasetemp(),
                                 tmp_path_factory.mktemp("web-charts") / "charts.duckdb",
                                 {"ana": "analyst"}, PASSWORD)
    with TestClient(create_app(Settings(db=db, secret_key=SECRET))) as c:
        assert sign_in(c, "ana", PASSWORD).status_code == 200
        yield c


def test_count_page_charts_seasonally_adjusted_values_with_the_profile(
    analyst: TestClient,
) -> None:
    page = analyst.get("/measures/burglary-dwelling?format=json").json()
    cc = page["control_chart"]
    assert cc["method"] == "xmr_seasonal" and "seasonally adjusted" in cc["method_words"]
    assert len(page["seasonal_profile"]) == 12 and "seasonal_profile" in page["tables"]
    for p in page["points"]:
        assert p["plotted"] == pytest.approx(p["value"] / p["seasonal_index"])
    html = analyst.get("/measures/burglary-dwelling").text
    assert "Seasonally adjusted" in html and "Seasonal profile used for the adjustment" in html


def test_baseline_fixes_the_limits_and_is_validated(analyst: TestClient) -> None:
    url = "/measures/burglary-dwelling?from=2010-01&to=2011-12&format=json"
    whole = analyst.get(url).json()
    fixed = analyst.get(url + "&baseline_from=2010-01&baseline_to=2010-06").json()
    assert fixed["filters"]["baseline_from"] == "2010-01"
    assert fixed["control_chart"]["baseline"] == ["2010-01", "2010-06"]
    base = [p["plotted"] for p in fixed["points"] if p["period"] <= "2010-06"]
    assert fixed["control_chart"]["centre"] == pytest.approx(sum(base) / len(base))
    assert fixed["control_chart"]["centre"] != pytest.approx(whole["control_chart"]["centre"])
    assert analyst.get(url + "&baseline_from=2010-06").status_code == 400
    assert analyst.get(url + "&baseline_from=2010-06&baseline_to=2010-01").status_code == 400
    assert analyst.get(url + "&baseline_from=June&baseline_to=2010-01").status_code == 422


def test_small_lpu_survey_months_are_not_judged(analyst: TestClient) -> None:
    page = analyst.get("/measures/satisfaction-service-asb?lpu=solihull&format=json").json()
    points = page["points"]
    suppressed = [p for p in points if p["suppressed"]]
    assert suppressed, "Solihull's ASB survey months have fewer than 50 effective responses"
    assert all(p["signal"] == "none" and p["variation"] == "common" for p in suppressed)
    limits = [p for p in points if p["lower_limit"] is not None]
    assert all(0 <= p["lower_limit"] <= p["upper_limit"] <= 100 for p in limits)
    html = analyst.get("/measures/satisfaction-service-asb?lpu=solihull").text
    assert "not judged: fewer than 50 effective responses" in html


def test_sparkline_draws_the_charted_values_and_skips_suppressed_points() -> None:
    chart = {"method": "xmr_seasonal", "centre": 100.0, "lower_limit": 80.0,
             "upper_limit": 120.0,
             "points": [{"period": "2011-01", "value": 150.0, "plotted": 100.0,
                         "variation": "common", "signal": "none"},
                        {"period": "2011-02", "value": 60.0, "plotted": 121.0,
                         "variation": "concern", "signal": "outside_limits"},
                        {"period": "2011-03", "value": 90.0, "plotted": None,
                         "suppressed": "fewer than 50 effective responses",
                         "variation": "common", "signal": "none"}]}
    svg = sparkline_svg(chart)
    # two points drawn (the suppressed one is left out), scaled on the adjusted values 80..121
    assert svg.count(",") == 2 and 'fill="#b35900"' in svg
    assert spark_summary(chart) == "Last 6 months: concern signal"
    assert spark_summary({**chart, "method": "none"}).startswith("Too few")
    spec = xmr_spec({**chart, "breaks": [{"month": "2011-02", "reason": "new system"}]},
                    "Burglary", "count")
    assert spec["data"]["values"][2]["variation"] == "not judged"
    assert spec["layer"][-1]["mark"]["type"] == "rule"


@pytest.fixture(scope="module")
def admin_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_with_users(tmp_path_factory.getbasetemp(),
                             tmp_path_factory.mktemp("web-breaks") / "breaks.duckdb",
                             {"adm": "admin"}, PASSWORD)


def test_admin_records_a_break_and_the_charts_rebase_there(admin_db: Path) -> None:
    url = "/measures/burglary-dwelling?from=2010-01&to=2011-12&format=json"
    with TestClient(create_app(Settings(db=admin_db, secret_key=SECRET))) as c:
        assert sign_in(c, "adm", PASSWORD).status_code == 200
        before = c.get(url).json()
        assert before["control_chart"]["breaks"] == []
        assert {p["segment"] for p in before["points"]} == {0}
        form = c.get("/admin/breaks")
        assert form.status_code == 200 and "Record a break" in form.text
        token = csrf_from(form.text)
        added = c.post("/admin/breaks", data={"month": "2011-04", "measure": "burglary-dwelling",
                                              "reason": "New crime recording system",
                                              "csrf_token": token}, follow_redirects=False)
        assert added.status_code == 303
        assert added.headers["location"] == "/admin/breaks?done=break-added&item=1"
        after = c.get(url).json()
        assert after["control_chart"]["breaks"] == [
            {"month": "2011-04", "reason": "New crime recording system"}]
        assert {p["segment"] for p in after["points"] if p["period"] < "2011-04"} == {0}
        assert {p["segment"] for p in after["points"] if p["period"] >= "2011-04"} == {1}
        later = [p for p in after["points"] if p["period"] >= "2011-04"]
        assert later[0]["centre"] == pytest.approx(
            sum(p["plotted"] for p in later) / len(later))
        html = c.get("/measures/burglary-dwelling?from=2010-01&to=2011-12").text
        assert "New segment from April 2011: New crime recording system" in html
        listing = c.get("/admin/breaks").text
        assert "New crime recording system" in listing and "/admin/breaks/1/remove" in listing
        structure = Structure()  # the accessibility checks every page passes
        structure.feed(listing)
        assert structure.h1 == 1 and structure.skip_link and structure.main
        assert all(f.get("id") in structure.labels or f.get("aria-label")
                   for f in structure.fields)
        assert structure.captions == structure.tables == 1  # the plan dates no breaks
        assert "burglary" in c.get("/admin/breaks?format=csv&table=breaks").text.lower()
        # bad input is refused on the page, with the reason
        bad = c.post("/admin/breaks", data={"month": "2011-13", "reason": "x",
                                            "csrf_token": csrf_from(listing)})
        assert bad.status_code == 400 and "a break is a month like 2016-10" in bad.text
        unknown = c.post("/admin/breaks?format=json", data={
            "month": "2011-05", "reason": "x", "measure": "no-such-measure",
            "csrf_token": csrf_from(listing)})
        assert unknown.status_code == 404
        # a break recorded from the command line while the site runs shows on the next request
        runner = CliRunner()
        cli_added = runner.invoke(cli, ["breaks", "add", "2010-10", "--reason", "Audit",
                                        "--db", str(admin_db)])
        assert cli_added.exit_code == 0, cli_added.output
        both = c.get(url).json()["control_chart"]["breaks"]
        assert [b["month"] for b in both] == ["2010-10", "2011-04"]
        removed = c.post("/admin/breaks/1/remove", data={"csrf_token": csrf_from(listing)},
                         follow_redirects=False)
        assert removed.status_code == 303
        assert [b["month"] for b in c.get(url).json()["control_chart"]["breaks"]] == ["2010-10"]
        assert c.post("/admin/breaks/99/remove?format=json",
                      data={"csrf_token": csrf_from(listing)}).status_code == 404
        audit = c.get("/admin/audit?format=json").json()["entries"]
        assert {"break added", "break removed"} <= {e["action"] for e in audit}


def test_spark_summary_says_when_the_last_six_months_are_too_small_to_judge() -> None:
    judged = {"period": "2011-01", "value": 20.0, "plotted": 20.0, "variation": "concern",
              "signal": "outside_limits"}
    small = {"period": "2011-02", "value": 150.0, "plotted": None, "variation": "common",
             "signal": "none", "suppressed": "fewer than 30 offences recorded"}
    chart = {"method": "u_prime", "points": [judged, *[small] * 6]}
    assert spark_summary(chart) == "Last 6 months: too few offences or responses a month to judge"
    assert spark_summary({**chart, "points": [*[small] * 5, judged]}) == (
        "Last 6 months: concern signal")


def test_too_few_to_judge_a_milestone() -> None:
    assert too_few({"kind": "detection_rate"}, {"detected": 11, "recorded": 6}) == (
        "fewer than 30 offences recorded")
    assert too_few({"kind": "detection_rate"}, {"detected": 11, "recorded": 30}) is None
    assert too_few({"kind": "survey_proportion", "effective_n": 49.5}, None) == (
        "fewer than 50 effective survey responses")
    assert too_few({"kind": "survey_proportion", "effective_n": 50.0}, None) is None


def test_detection_rates_are_read_with_their_counts(analyst: TestClient) -> None:
    page = analyst.get("/measures/serious-sexual-offences-detections?lpu=solihull"
                       "&format=json").json()
    for p in page["points"]:
        assert p["counts"] == f"{p['numerator']:,.0f} of {p['denominator']:,.0f}"
        assert p["value"] == pytest.approx(100 * p["numerator"] / p["denominator"])
    html = analyst.get("/measures/serious-sexual-offences-detections?lpu=solihull").text
    assert "Value (detected of recorded)" in html
    p = page["points"][0]
    assert f"({p['counts']})" in html
    over = [p for p in page["points"] if p["value"] > 100]
    assert ("more detected than recorded" in html) == bool(over)
    spec = page["charts"]["xmr"]
    assert {"field": "counts", "title": "detected of recorded"} in (
        spec["layer"][-1 - len(page["control_chart"]["breaks"])]["encoding"]["tooltip"])
    rows = analyst.get("/dashboard?format=json").json()["milestones"]
    rates = [r for r in rows if r["kind"] == "detection_rate" and r["value"] is not None]
    assert rates
    for r in rates:
        assert r["value"] == pytest.approx(100 * r["detected"] / r["recorded"], abs=1e-3)
        assert r["over_100"] == (r["detected"] > r["recorded"])
    assert "detected of" in analyst.get("/dashboard").text


def test_a_rate_above_100_is_explained_with_its_counts() -> None:
    chart = {"method": "u_prime", "better": "higher",
             "points": [{"period": "2011-09", "value": 183.3, "plotted": None,
                         "variation": "common", "signal": "none", "counts": "11 of 6",
                         "suppressed": "fewer than 30 offences recorded"},
                        {"period": "2011-10", "value": 25.0, "plotted": 25.0,
                         "variation": "common", "signal": "none", "counts": "10 of 40"}]}
    spec = xmr_spec(chart, "Detections", "percent")
    assert spec["data"]["values"][0]["counts"] == "11 of 6"
    legend = spec["layer"][-1]["encoding"]["color"]["scale"]["domain"]
    assert legend == ["improvement", "concern", "common", "not judged"]
