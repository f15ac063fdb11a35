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
        assert got["matches_published"] is True or row.title == "Total recorded crime"


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
    assert any("223,134" in f for f in total["flags"])


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
        assert row["compared_with"] == "2010-11 (same 9 months)"
        assert row["partial_year"] and row["months"] == 9
        assert row["status"] == "in progress"
        assert 0.0 <= row["probability_met"] <= 1.0
        assert row["assurance"] in ("likely met", "likely missed", "uncertain")
        assert row["change_lower"] < row["change_pct"] < row["change_upper"]
    assert (
        rows[
            (
                "trust_confidence",
                "Police work with people in the community to improve the neighbourhood",
            )
        ]["status"]
        == "benchmark"
    )


def test_lpu_milestones_apply_the_rule_to_the_lpu(demo_wh: Warehouse, plan: Plan) -> None:
    rows = milestone_table(demo_wh, plan, "2010-11", lpu="coventry")
    total = next(r for r in rows if r["title"] == "Total recorded crime")
    assert total["published_value"] is None and 0 < total["value"] < 215368
    assert total["milestone"] == round(total["comparison_value"] * 0.9)


def test_lpus_sum_to_the_force(demo_wh: Warehouse, plan: Plan) -> None:
    force = demo_wh.scalar("SELECT count(*) FROM crimes")
    by_lpu = demo_wh.query("SELECT lpu_id, count(*) AS n FROM crimes GROUP BY lpu_id")
    assert sum(r["n"] for r in by_lpu) == force
    assert {r["lpu_id"] for r in by_lpu} == {lpu.id for lpu in plan.lpus}


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
