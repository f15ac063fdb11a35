"""Control charts on a warehouse of police.uk data alone, for a force other than the plan's own:
Greater Manchester burglary, 36 real monthly counts (data.police.uk, via tests/data), with the
plan's break in recording practice, the analyst's `paragon spc --break/--baseline`, and a gap."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from paragon.cli import app
from paragon.measures.series import control_chart
from paragon.ops.testing import postgres_server
from paragon.plan import Plan
from paragon.plan.loader import default_plan_text, parse_plan
from paragon.warehouse import Warehouse

MONTHLY = Path(__file__).parent / "data" / "policeuk" / "monthly" / "monthly_counts.csv"
BREAK = {"month": "2016-10", "reason": "recording practice changed"}


def gm_counts() -> list[tuple[str, int]]:
    with MONTHLY.open() as f:
        return [(r["month"], int(r["crimes"])) for r in csv.DictReader(f)
                if r["series"] == "greater-manchester-burglary"]


def gm_plan_text(breaks: list[dict[str, str]]) -> str:
    """The shipped plan pointed at Greater Manchester, with a police.uk burglary count."""
    data = yaml.safe_load(default_plan_text())
    data.update(force="greater-manchester", force_name="Greater Manchester Police")
    data["measures"].append({
        "id": "burglary-all", "title": "Burglary (police.uk)", "kind": "count",
        "better": "lower", "select": {"offence_groups": ["Burglary"],
                                      "policeuk_categories": ["Burglary"]}})
    if breaks:
        data["breaks"] = breaks
    return yaml.safe_dump(data, sort_keys=False)


@pytest.fixture(scope="module")
def gm_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The crimes table as ingesting the police.uk street files leaves it: one row per recorded
    burglary (source policeuk, no location), in the real monthly numbers; 2017-06 is missing."""
    path = tmp_path_factory.mktemp("gm") / "gm.duckdb"
    with Warehouse.open(path) as wh, wh.transaction() as con:
        for month, n in gm_counts():
            if month == "2017-06":
                continue
            con.execute(
                "INSERT INTO crimes (crime_key, source, force, month, category, falls_within, "
                "ingest_id) SELECT ? || '-' || i, 'policeuk', 'greater-manchester', "
                "CAST(? || '-01' AS DATE), 'Burglary', 'Greater Manchester Police', 1 "
                "FROM range(?) t(i)", [month, month, n])
    return path


def plan_of(breaks: list[dict[str, str]]) -> Plan:
    return parse_plan(gm_plan_text(breaks), "test plan")


def test_chart_from_policeuk_data_alone_with_the_plan_break(gm_db: Path) -> None:
    with Warehouse.open(gm_db, read_only=True) as wh:
        rebased = control_chart(wh, plan_of([BREAK]), "burglary-all", months=36)
        one = control_chart(wh, plan_of([]), "burglary-all", months=36)
    periods = [p["period"] for p in rebased["points"]]
    assert len(periods) == 35 and "2017-06" not in periods  # a gap, not a zero
    assert rebased["method"] == "xmr_seasonal" and rebased["seasonal"] is not None
    assert rebased["breaks"] == [BREAK]
    assert {p["segment"] for p in rebased["points"] if p["period"] < "2016-10"} == {0}
    before = [p for p in rebased["points"] if p["period"] < "2016-10"]
    assert before and all(p["signal"] == "none" for p in before)
    assert all(p["signal"] != "none" for p in one["points"] if p["period"] < "2016-10")
    flagged = sum(p["signal"] != "none" for p in rebased["points"])
    assert flagged < sum(p["signal"] != "none" for p in one["points"])
    # the JSON shape the CLI has always printed, with what is new
    assert {"measure", "centre", "lower_limit", "upper_limit", "points"} <= rebased.keys()
    assert {"period", "value", "signal", "plotted", "segment", "suppressed",
            "seasonal_index"} <= rebased["points"][0].keys()
    first = rebased["points"][0]
    assert first["plotted"] == pytest.approx(first["value"] / first["seasonal_index"])


def test_cli_break_and_baseline(gm_db: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "gm.yaml"
    plan_file.write_text(gm_plan_text([]))
    base = ["spc", "--measure", "burglary-all", "--db", str(gm_db), "--plan", str(plan_file)]
    runner = CliRunner()
    plain = json.loads(runner.invoke(app, [*base, "--format", "json"]).stdout)
    result = runner.invoke(app, [*base, "--break", "2016-10", "--format", "json"])
    assert result.exit_code == 0, result.output
    rebased = json.loads(result.stdout)
    assert rebased["breaks"] == [{"month": "2016-10", "reason": "set by the analyst"}]
    assert plain["breaks"] == []
    assert rebased["upper_limit"] != plain["upper_limit"]
    fixed = json.loads(runner.invoke(
        app, [*base, "--break", "2016-10", "--baseline", "2016-10:2017-09", "--format", "json"]
    ).stdout)
    assert fixed["baseline"] == ["2016-10", "2017-09"]
    in_base = [p["plotted"] for p in fixed["points"] if "2016-10" <= p["period"] <= "2017-09"]
    assert fixed["centre"] == pytest.approx(sum(in_base) / len(in_base))
    table = runner.invoke(app, [*base, "--break", "2016-10"])
    assert table.exit_code == 0, table.output
    assert "seasonally adjusted" in table.stdout and "New segment from 2016-10" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--break", "2016-13"], "a break is a month like 2016-10"),
     (["--baseline", "2016-10"], "a baseline is two months like"),
     (["--baseline", "2017-09:2016-10"], "a baseline is two months like")],
)
def test_cli_refuses_bad_breaks_and_baselines(gm_db: Path, tmp_path: Path, args: list[str],
                                              message: str) -> None:
    plan_file = tmp_path / "gm.yaml"
    plan_file.write_text(gm_plan_text([]))
    result = CliRunner().invoke(app, ["spc", "--measure", "burglary-all", "--db", str(gm_db),
                                      "--plan", str(plan_file), *args])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_plan_refuses_a_break_that_is_not_a_month() -> None:
    with pytest.raises(Exception, match="breaks"):
        plan_of([{"month": "October 2016", "reason": "x"}])


def test_recorded_break_rebases_greater_manchester_burglary(gm_db: Path, tmp_path: Path) -> None:
    """`paragon breaks add` stores the break in the operational store beside the warehouse; every
    later chart of the measure rebases there. On the real series (2017-06 left out as a gap):
    without the break 27 of 35 months are flagged, all 8 months before October 2016 among them
    (read as an improvement against a centre pulled up by the higher level after it); with it
    none of those 8 is flagged, and 25 months are in all: the level after the break is high at
    first (concern until August 2017), then falls through 2018 (improvement), a real change the
    break does not explain away."""
    db = tmp_path / "gm.duckdb"
    db.write_bytes(gm_db.read_bytes())
    plan_file = tmp_path / "gm.yaml"
    plan_file.write_text(gm_plan_text([]))
    where = ["--db", str(db), "--plan", str(plan_file)]
    runner = CliRunner()

    def chart() -> dict[str, Any]:
        result = runner.invoke(app, ["spc", "--measure", "burglary-all", *where,
                                     "--format", "json"])
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def flagged(points: list[dict[str, Any]]) -> int:
        return sum(p["signal"] != "none" for p in points)

    plain = chart()
    on_sqlite = postgres_server() is None  # (on PostgreSQL the store's database is the server's)
    assert not (on_sqlite and db.with_suffix(".ops.sqlite").exists())  # reading creates no store
    assert json.loads(runner.invoke(app, ["breaks", "list", *where, "--format",
                                          "json"]).stdout) == []
    assert plain["breaks"] == [] and len(plain["points"]) == 35
    assert flagged(plain["points"]) == 27
    assert flagged([p for p in plain["points"] if p["period"] < "2016-10"]) == 8

    added = runner.invoke(app, ["breaks", "add", "2016-10", "--measure", "burglary-all",
                                "--reason", "Crime recording audit", *where])
    assert added.exit_code == 0, added.output
    assert "break #1 at 2016-10 for burglary-all" in added.stdout
    assert db.with_suffix(".ops.sqlite").exists() or not on_sqlite
    rebased = chart()
    assert rebased["breaks"] == [{"month": "2016-10", "reason": "Crime recording audit"}]
    before = [p for p in rebased["points"] if p["period"] < "2016-10"]
    assert len(before) == 8 and flagged(before) == 0
    assert {p["segment"] for p in rebased["points"] if p["period"] >= "2016-10"} == {1}
    assert flagged(rebased["points"]) == 25
    after = [p["variation"] for p in rebased["points"] if p["signal"] != "none"]
    assert after == ["concern"] * 10 + ["improvement"] * 15
    # the same chart as a break given on the command line for this chart alone
    once = json.loads(runner.invoke(app, ["spc", "--measure", "burglary-all", *where,
                                          "--break", "2016-10", "--format", "json"]).stdout)
    assert [p["signal"] for p in once["points"]] == [p["signal"] for p in rebased["points"]]

    listed = json.loads(runner.invoke(app, ["breaks", "list", *where, "--format",
                                            "json"]).stdout)
    assert listed == [{"id": 1, "month": "2016-10", "measure": "burglary-all",
                       "reason": "Crime recording audit", "source": "recorded"}]
    removed = runner.invoke(app, ["breaks", "remove", "1", *where])
    assert removed.exit_code == 0 and "removed break #1" in removed.stdout
    assert chart()["breaks"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [(["add", "2016-13", "--reason", "x"], "a break is a month like 2016-10"),
     (["add", "2016-10", "--reason", "  "], "a break needs a reason"),
     (["add", "2016-10", "--reason", "x", "--measure", "nope"], "no measure 'nope'"),
     (["remove", "7"], "no break #7 is recorded")],
)
def test_breaks_cli_refuses_bad_input(gm_db: Path, tmp_path: Path, args: list[str],
                                      message: str) -> None:
    db = tmp_path / "gm.duckdb"
    db.write_bytes(gm_db.read_bytes())
    plan_file = tmp_path / "gm.yaml"
    plan_file.write_text(gm_plan_text([]))
    result = CliRunner().invoke(app, ["breaks", *args, "--db", str(db), "--plan",
                                      str(plan_file)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_breaks_cli_refuses_a_repeated_break(gm_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "gm.duckdb"
    db.write_bytes(gm_db.read_bytes())
    plan_file = tmp_path / "gm.yaml"
    plan_file.write_text(gm_plan_text([BREAK]))
    where = ["--db", str(db), "--plan", str(plan_file)]
    runner = CliRunner()
    planned = runner.invoke(app, ["breaks", "add", "2016-10", "--reason", "x", *where])
    assert planned.exit_code == 1 and "the plan already dates a break at 2016-10" in planned.output
    assert runner.invoke(app, ["breaks", "add", "2017-04", "--reason", "x", *where]).exit_code == 0
    again = runner.invoke(app, ["breaks", "add", "2017-04", "--reason", "y", *where])
    assert again.exit_code == 1
    assert "a break at 2017-04 is already recorded for every measure (#1)" in again.output
    listed = json.loads(runner.invoke(app, ["breaks", "list", *where, "--format",
                                            "json"]).stdout)
    assert [(r["month"], r["source"]) for r in listed] == [("2016-10", "plan"),
                                                           ("2017-04", "recorded")]


def test_a_break_before_the_window_splits_the_history_but_not_the_chart(gm_db: Path) -> None:
    """Charting the last 24 months (February 2017 on) with the break of October 2016: the break
    is not drawn, but the seasonal profile allows for the two levels (the fit's dispersion falls
    from 23.8 to 6.2, measured, and 17 of the 23 months charted are flagged instead of 21)."""
    with Warehouse.open(gm_db, read_only=True) as wh:
        rebased = control_chart(wh, plan_of([BREAK]), "burglary-all", months=24)
        one = control_chart(wh, plan_of([]), "burglary-all", months=24)
    assert rebased["points"][0]["period"] == "2017-02"
    assert rebased["breaks"] == [] and one["breaks"] == []
    assert rebased["seasonal"]["dispersion"] < one["seasonal"]["dispersion"] / 2
    assert sum(p["signal"] != "none" for p in rebased["points"]) == 17
    assert sum(p["signal"] != "none" for p in one["points"]) == 21
