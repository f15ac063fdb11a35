"""The demo reproduces the plan's published 2010-11 tables from its own records, and shows each
2011-12 milestone beside the one recomputed from its rule, disagreements flagged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.demo import is_demo
from paragon.demo.calibration import CRIME_TOTALS
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
    for row, perf in published:
        got = by_key[(row.table, row.title)]
        assert perf is not None
        if got["unit"] == "count":
            assert got["value"] == perf.value, row.title
        else:
            assert round(got["value"], 1) == perf.value, row.title
        if perf.count is not None:
            assert got["detected"] == perf.count, row.title
        if perf.change_pct is not None:
            assert round(got["change_pct"], 1) == perf.change_pct, row.title
        assert got["published_value"] == perf.value
        assert got["performance_matches"] is True, (row.title, got["flags"])


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
    # 215,368 against a milestone of 223,135 is met by far more than chance.
    assert by_key[("reducing_crime", "Total recorded crime")]["beyond_noise"] is True


PACE_2011 = {
    "Total recorded crime": CRIME_TOTALS["total"][2011],
    "Most serious violence": CRIME_TOTALS["msv"][2011],
    "Burglary dwelling": CRIME_TOTALS["burglary_dwelling"][2011],
    "Robbery": CRIME_TOTALS["robbery"][2011],
    "Vehicle": CRIME_TOTALS["vehicle"][2011],
    "Business Crime": CRIME_TOTALS["business"][2011],
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
        # The demo's 2011-12 crimes follow a stated annual pace: the projection must cover it.
        low, high = row["projected_95"]
        assert low <= PACE_2011[title] <= high, (title, row["projected_95"])
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
