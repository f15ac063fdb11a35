"""The demo reproduces the plan's published 2010-11 tables from its own records, and shows each
2011-12 milestone beside the one recomputed from its rule, disagreements flagged."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.demo import is_demo
from paragon.demo.build import SURVEY_Z_ALLOWED, check_reproduction
from paragon.demo.calibration import CRIME_TOTALS
from paragon.demo.crimes import whole_year_totals
from paragon.measures.milestones import milestone_table
from paragon.plan import Plan
from paragon.warehouse import Warehouse

runner = CliRunner()


@pytest.fixture(scope="module")
def rows_2010(demo_db: Path) -> list[dict[str, Any]]:
    result = runner.invoke(
        app, ["milestones", "--year", "2010-11", "--format", "json", "--db", str(demo_db)]
    )
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_every_published_2010_11_figure_is_reproduced(
    rows_2010: list[dict[str, Any]], plan: Plan
) -> None:
    published = [
        (row, entry.performance)
        for row in plan.milestones
        if (entry := row.years.get("2010-11")) and entry.performance
    ]
    assert len(published) == 28
    by_key = {(r["table"], r["title"]): r for r in rows_2010}
    survey_gaps = []
    for row, perf in published:
        got = by_key[(row.table, row.title)]
        assert perf is not None
        assert got["published_value"] == perf.value
        if got["kind"] == "survey_proportion":
            # Drawn with sampling noise, never adjusted: near the published figure, not on it.
            se = (got["value_upper"] - got["value_lower"]) / (2 * 1.959964)
            assert abs(got["value"] - perf.value) <= SURVEY_Z_ALLOWED * se, row.title
            survey_gaps.append(abs(got["value"] - perf.value))
            continue
        if got["unit"] == "count":
            assert got["value"] == perf.value, row.title
        else:
            assert round(got["value"], 1) == perf.value, row.title
        if perf.count is not None:
            assert got["detected"] == perf.count, row.title
        if perf.change_pct is not None:
            assert round(got["change_pct"], 1) == perf.change_pct, row.title
        assert got["performance_matches"] is True, (row.title, got["flags"])
    assert len(survey_gaps) == 16
    # Sampling noise of a few thousand weighted answers: typically a few tenths of a point.
    assert 0.1 < sum(survey_gaps) / len(survey_gaps) < 1.5
    assert sum(g >= 0.05 for g in survey_gaps) >= 12  # most differ at the printed decimal


def test_build_records_how_closely_the_plan_is_reproduced(demo_wh: Warehouse) -> None:
    rows = json.loads(demo_wh.scalar("SELECT value FROM meta WHERE key = 'demo_reproduction'"))
    assert len(rows) == 28 and all(r["within"] for r in rows)
    counts = [r for r in rows if r["kind"] == "count"]
    assert len(counts) == 6 and all(r["difference"] == 0 for r in counts)
    rates = [r for r in rows if r["kind"] == "detection_rate"]  # printed to one decimal
    assert len(rates) == 6 and all(abs(r["difference"]) < 0.05 for r in rates)
    surveys = [r for r in rows if r["kind"] == "survey_proportion"]
    assert all(abs(r["z"]) <= SURVEY_Z_ALLOWED for r in surveys)
    assert any(r["difference"] != 0 for r in surveys)


def test_the_check_refuses_a_survey_figure_too_far_from_the_plan(
    tmp_path: Path, demo_db: Path, plan: Plan
) -> None:
    import shutil

    copy = tmp_path / "shifted.duckdb"
    shutil.copy(demo_db, copy)
    with Warehouse.open(copy) as wh:
        with wh.transaction() as con:  # every 'confidence' disagreement made agreement
            con.execute(
                "UPDATE survey_responses SET answer = 'tend_to_agree' "
                "WHERE question_id = 'confidence_in_police' AND answer LIKE '%disagree'"
            )
        with pytest.raises(RuntimeError, match="Taking everything into account"):
            check_reproduction(wh, plan)


def test_baselines_reproduced(rows_2010: list[dict[str, Any]]) -> None:
    for r in (r for r in rows_2010 if r["table"] == "reducing_crime"):
        assert r["baseline_computed"] == r["baseline"], r["title"]


def test_json_keys(rows_2010: list[dict[str, Any]]) -> None:
    required = {
        "table",
        "title",
        "year",
        "value",
        "published_value",
        "milestone",
        "baseline",
        "change_pct",
    }
    assert all(required <= r.keys() for r in rows_2010)
    assert {r["table"] for r in rows_2010} == {
        "trust_confidence",
        "service_standards",
        "reducing_crime",
        "detections",
    }
    detections = [r for r in rows_2010 if r["table"] == "detections"]
    assert all(r["detected"] is not None and r["recorded"] for r in detections)


def test_rounding_disagreement_in_the_plan_is_flagged(rows_2010: list[dict[str, Any]]) -> None:
    total = next(r for r in rows_2010 if r["title"] == "Total recorded crime")
    # 247,927 x 0.90 = 223,134.3: the plan printed 223,135.
    assert total["milestone"] == 223135 and total["milestone_recomputed"] == 223134
    assert total["milestone_matches_rule"] is False and total["performance_matches"] is True
    assert any("223,134" in f for f in total["flags"])
    # Detection milestones print a count beside the rate: 11% of the 28,248 vehicle crimes
    # recorded is 3,107, but the plan printed 3,108; 50% of 2,943 is 1,472 (half up), as printed.
    by_title = {r["title"]: r for r in rows_2010 if r["table"] == "detections"}
    assert any("3,107" in f for f in by_title["Vehicle crime"]["flags"])
    assert by_title["Most serious violence"]["milestone_matches_rule"] is True


EXPECTED_2010_STATUS = {
    ("trust_confidence", "Police deal with things that matter to this community"): "missed",
    (
        "trust_confidence",
        "Perceive an increase in crime in their neighbourhood compared to 12 months ago",
    ): "missed",
    (
        "trust_confidence",
        "Taking everything into account have confidence in the police in this area",
    ): "not_available",
    ("service_standards", "Think the police do a good job"): "missed",
    ("reducing_crime", "Total recorded crime"): "met",
    ("reducing_crime", "Most serious violence"): "met",
    ("reducing_crime", "Business Crime"): "met",
    ("reducing_crime", "Robbery"): "not_available",
    ("detections", "Hate crime"): "missed",
}


def test_2010_11_statuses_follow_each_measures_direction(rows_2010: list[dict[str, Any]]) -> None:
    by_key = {(r["table"], r["title"]): r for r in rows_2010}
    for key, status in EXPECTED_2010_STATUS.items():
        assert by_key[key]["status"] == status, key
    # Every judged row: met when the figure is on the right side of the milestone.
    for r in rows_2010:
        if r["status"] in ("met", "missed"):
            better = r["value"] <= r["milestone"] if r["better"] == "lower" else (
                r["value"] >= r["milestone"])
            assert (r["status"] == "met") == better, r["title"]
    # 215,368 against a milestone of 223,135 is met. Whether by more than noise depends on how
    # much total crime's months vary: tens of times what Poisson counts would (as a force's real
    # months do), so the 3.5% gap is judged against sqrt(dispersion x milestone), not sqrt(milestone).
    total = by_key[("reducing_crime", "Total recorded crime")]
    assert total["status"] == "met" and total["dispersion"] > 20
    z = (total["milestone"] - total["value"]) / math.sqrt(total["dispersion"] * total["milestone"])
    assert abs(z - 1.96) > 0.2  # not on the edge, where the exact test and this one may differ
    assert total["beyond_noise"] is (z > 1.96)


# Observed on this demo: four of the five 95% projections cover the year as it would have ended;
# most serious violence's does not (see the report of the build in docs/methods.md).
COVERED_2011 = 4
WHOLE_YEAR_GROUP = {
    "Total recorded crime": "total",
    "Most serious violence": "msv",
    "Burglary dwelling": "burglary_dwelling",
    "Robbery": "robbery",
    "Vehicle": "vehicle",
}


def test_2011_12_milestones_recomputed_from_rules(demo_wh: Warehouse, plan: Plan) -> None:
    rows = {(r["table"], r["title"]): r for r in milestone_table(demo_wh, plan, "2011-12")}
    expected = {
        "Total recorded crime": 200292,
        "Most serious violence": 2678,
        "Burglary dwelling": 17225,
        "Robbery": 8137,
        "Vehicle": 25423,
        "Business Crime": 40988,
    }
    for title, value in expected.items():
        row = rows[("reducing_crime", title)]
        assert row["milestone"] == value and row["milestone_recomputed"] == value, title
        assert row["compared_with"] == "2010-11 (same months: April to December 2010)"
        assert row["partial_year"] and row["months"] == 9
        assert row["status"] == "in progress"
        assert row["change_lower"] < row["change_pct"] < row["change_upper"]
    # The demo draws the whole of 2011-12 and keeps April to December: the projections made from
    # those nine months are checked against the year as it would have ended.
    whole = whole_year_totals(2011)
    covered = {}
    for title, group in WHOLE_YEAR_GROUP.items():
        low, high = rows[("reducing_crime", title)]["projected_95"]
        covered[title] = (low <= whole[group] <= high, low, whole[group], high)
    assert sum(c[0] for c in covered.values()) >= COVERED_2011, covered
    assert rows[("reducing_crime", "Robbery")]["assurance"] == "likely met"
    assert rows[("reducing_crime", "Total recorded crime")]["assurance"] == "likely missed"
    assert (
        rows[
            (
                "trust_confidence",
                "Police work with people in the community to improve the neighbourhood",
            )
        ]["status"]
        == "benchmark"
    )


def test_lpu_rows_have_no_milestone_unless_the_plan_sets_one(
    demo_wh: Warehouse, plan: Plan
) -> None:
    # The plan sets force-wide milestones only (tests/test_milestones_lpu.py: local ones).
    rows = milestone_table(demo_wh, plan, "2010-11", lpu="coventry")
    total = next(r for r in rows if r["title"] == "Total recorded crime")
    assert total["published_value"] is None and 0 < total["value"] < 215368
    assert total["milestone"] is None and total["status"] == "no local milestone"
    current = milestone_table(demo_wh, plan, "2011-12", lpu="coventry")
    total_now = next(r for r in current if r["title"] == "Total recorded crime")
    assert total_now["milestone"] is None and total_now["status"] == "no local milestone"


def test_lpus_sum_to_the_force_through_the_measures(demo_wh: Warehouse, plan: Plan) -> None:
    from paragon.measures.engine import compute
    from paragon.measures.periods import year_bounds

    for measure in ("total-recorded-crime", "burglary-dwelling-detections"):
        force = compute(demo_wh, plan, measure, *year_bounds("2010-11"))
        parts = [
            compute(demo_wh, plan, measure, *year_bounds("2010-11"), lpu=lpu.id)
            for lpu in plan.lpus
        ]
        assert sum(p.numerator or 0 for p in parts) == force.numerator
        assert sum(p.denominator or 0 for p in parts) == (force.denominator or 0)


def test_calibration_agrees_with_the_plan(plan: Plan) -> None:
    """The demo's published-year figures are the plan's own (no second copy can drift)."""
    from paragon.demo.calibration import DETECTED_2010, SURVEY_TARGETS

    groups = {
        "total-recorded-crime": "total",
        "most-serious-violence": "msv",
        "burglary-dwelling": "burglary_dwelling",
        "robbery": "robbery",
        "vehicle-crime": "vehicle",
        "business-crime": "business",
    }
    for row in plan.milestones:
        perf = row.years["2010-11"].performance if "2010-11" in row.years else None
        assert perf is not None
        if row.measure in groups:
            assert CRIME_TOTALS[groups[row.measure]][2010] == perf.value
            assert row.baseline is not None
            assert (
                CRIME_TOTALS[groups[row.measure]][int(row.baseline.year[:4])] == row.baseline.value
            )
        elif row.table == "detections":
            of = plan.measure(row.measure).of
            group = (
                groups.get(of or "")
                or {"serious-sexual-offences": "sso", "hate-crime": "hate"}[of or ""]
            )
            assert DETECTED_2010[group] == perf.count
        else:
            assert SURVEY_TARGETS[row.measure][2010] == perf.value


def test_demo_is_marked_synthetic(demo_wh: Warehouse) -> None:
    assert is_demo(demo_wh)


def test_spc_json(demo_db: Path) -> None:
    result = runner.invoke(
        app, ["spc", "--measure", "burglary-dwelling", "--format", "json", "--db", str(demo_db)]
    )
    assert result.exit_code == 0, result.output
    chart = json.loads(result.stdout)
    assert {"measure", "centre", "lower_limit", "upper_limit", "points"} <= chart.keys()
    assert len(chart["points"]) == 36 and chart["points"][-1]["period"] == "2011-12"
    assert chart["lower_limit"] < chart["centre"] < chart["upper_limit"]


def test_unknown_measure_is_one_line_error(demo_db: Path) -> None:
    result = runner.invoke(app, ["spc", "--measure", "nope", "--db", str(demo_db)])
    assert result.exit_code == 1
    assert "no measure 'nope'" in result.output and "Traceback" not in result.output


def test_every_measure_has_a_control_chart(demo_wh: Warehouse, plan: Plan) -> None:
    from paragon.measures.series import control_chart

    for measure in plan.measures:
        chart = control_chart(demo_wh, plan, measure.id)
        assert len(chart["points"]) >= 24, measure.id
        assert all(
            p["signal"] in ("none", "outside_limits", "trend", "two_of_three", "shift")
            for p in chart["points"]
        )
        improvement = [p for p in chart["points"] if p["variation"] == "improvement"]
        if measure.better == "neutral":
            assert not improvement, measure.id


def test_milestones_table_and_csv_formats(demo_db: Path) -> None:
    table = runner.invoke(app, ["milestones", "--year", "2011-12", "--db", str(demo_db)])
    assert table.exit_code == 0, table.output
    assert "Solved and resolved crime" in table.stdout and "likely" in table.stdout
    csv_out = runner.invoke(
        app,
        [
            "milestones",
            "--year",
            "2010-11",
            "--format",
            "csv",
            "--lpu",
            "dudley",
            "--db",
            str(demo_db),
        ],
    )
    assert csv_out.exit_code == 0, csv_out.output
    lines = csv_out.stdout.strip().splitlines()
    assert lines[0].startswith("table,title,measure") and len(lines) == 29
