"""`paragon plan init --force SLUG`: a starter plan for any territorial force of England and Wales
that validates, puts every LSOA of the force in exactly one LPU, and holds only what public
police.uk data can answer, with no target invented."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.errors import NotFoundError, ParagonError
from paragon.geography.forces import TERRITORIAL
from paragon.geography.lpus import force_districts, force_lsoas, plan_lsoas
from paragon.ingest.policeuk.vocab import ASB, CATEGORIES
from paragon.plan import load_plan, parse_plan
from paragon.plan.init import financial_year, starter_plan_text

runner = CliRunner()

# Welsh forces, the smallest force, the largest, a county force with districts the ONS lookup
# leaves blank (Devon and Cornwall) and the seed plan's own force
FORCES = ["south-wales", "dyfed-powys", "north-wales", "gwent", "city-of-london", "metropolitan",
          "greater-manchester", "devon-and-cornwall", "cambridgeshire", "west-midlands"]


@pytest.mark.parametrize("force", FORCES)
def test_starter_plan_validates_and_every_lsoa_is_in_exactly_one_lpu(force: str) -> None:
    plan = parse_plan(starter_plan_text(force, "2016-17", 4), force)
    assert plan.force == force
    placed = plan_lsoas(plan)
    counts = Counter(x.lsoa_code for x in placed)
    assert set(counts) == set(force_lsoas(force)["lsoa_code"].to_pylist())
    assert max(counts.values()) == 1
    assert len(counts) > 0
    lpu_ids = {lpu.id for lpu in plan.lpus}
    assert {x.lpu_id for x in placed} == lpu_ids  # no empty LPU
    assert all(x.neighbourhood_id.startswith(("E02", "W02")) for x in placed)  # MSOAs


@pytest.mark.parametrize("force", ["south-wales", "city-of-london", "greater-manchester"])
def test_lpus_are_the_forces_local_authority_districts(force: str) -> None:
    plan = parse_plan(starter_plan_text(force, "2016-17"), force)
    assert sorted(lpu.local_authority for lpu in plan.lpus) == sorted(
        name for _, name in force_districts(force))
    assert all(lpu.split is None for lpu in plan.lpus)


def test_sizes_of_three_forces() -> None:
    sizes = {f: len(parse_plan(starter_plan_text(f, "2016-17"), f).lpus)
             for f in ("city-of-london", "south-wales", "greater-manchester")}
    assert sizes == {"city-of-london": 1, "south-wales": 7, "greater-manchester": 10}
    wales = plan_lsoas(parse_plan(starter_plan_text("south-wales", "2016-17"), "s"))
    assert all(x.lsoa_code.startswith("W01") for x in wales)


def test_west_midlands_keeps_the_birmingham_split_and_others_show_it_as_an_example() -> None:
    text = starter_plan_text("west-midlands", "2011-12")
    plan = parse_plan(text, "wm")
    birmingham = [lpu for lpu in plan.lpus if lpu.local_authority == "Birmingham"]
    assert [lpu.split.part for lpu in birmingham if lpu.split] == [
        "north", "east", "south", "west-central"]
    other = starter_plan_text("merseyside", "2016-17")
    assert "rule: birmingham-2011" in other
    assert all(lpu.split is None for lpu in parse_plan(other, "m").lpus)


def test_measures_are_what_policeuk_answers() -> None:
    plan = parse_plan(starter_plan_text("gwent", "2018-19"), "gwent")
    counted = {c for m in plan.measures if m.kind == "count" and m.select
               for c in m.select.policeuk_categories}
    assert counted == set(CATEGORIES.values())  # every police.uk crime category and ASB
    assert plan.measure("total-crime").select is not None
    assert plan.measure("total-crime").select.all  # type: ignore[union-attr]
    rates = [m for m in plan.measures if m.kind == "detection_rate"]
    assert {m.of for m in rates} == {"total-crime", "burglary", "robbery", "vehicle-crime",
                                     "violence-and-sexual-offences"}
    assert not [m for m in plan.measures if m.kind == "survey_proportion"]
    assert plan.surveys == [] and plan.priorities == []


def test_no_target_is_invented() -> None:
    plan = parse_plan(starter_plan_text("north-wales", "2016-17", 3), "nw")
    assert plan.years() == ["2016-17", "2017-18", "2018-19"]
    assert {m.id for m in plan.measures} == {row.measure for row in plan.milestones}
    for row in plan.milestones:
        for entry in row.years.values():
            assert entry.milestone is not None
            assert entry.milestone.rule.type == "benchmark"
            assert entry.milestone.value is None
            assert entry.performance is None


def test_every_territorial_force_has_a_plan() -> None:
    assert len(TERRITORIAL) == 43
    for force in TERRITORIAL:
        plan = parse_plan(starter_plan_text(force, "2020-21", 1), force)
        assert plan.lpus, force


def test_bad_force_and_years_are_named() -> None:
    with pytest.raises(NotFoundError, match="Did you mean greater-manchester"):
        starter_plan_text("greater-manchster")
    with pytest.raises(NotFoundError, match="not a police force"):
        starter_plan_text("british-transport-police")
    with pytest.raises(ParagonError, match="not a financial year"):
        starter_plan_text("kent", "2016-18")
    with pytest.raises(ParagonError, match="1 to 10 years"):
        starter_plan_text("kent", "2016-17", 11)


def test_financial_year() -> None:
    from datetime import date

    assert financial_year(date(2020, 3, 31)) == "2019-20"
    assert financial_year(date(2020, 4, 1)) == "2020-21"
    assert financial_year(date(2099, 12, 1)) == "2099-00"


def test_cli_writes_a_plan_the_other_commands_load(tmp_path: Path) -> None:
    out = tmp_path / "plan.yaml"
    result = runner.invoke(app, ["plan", "init", "--force", "dyfed-powys", "--out", str(out),
                                 "--first-year", "2019-20", "--years", "2"])
    assert result.exit_code == 0, result.output
    assert "4 LPUs" in " ".join(result.output.split())
    plan = load_plan(out)
    assert plan.force == "dyfed-powys" and plan.first_year == "2019-20"
    assert plan.last_year == "2020-21"
    shown = runner.invoke(app, ["plan", "validate", str(out)])
    assert shown.exit_code == 0, shown.output
    again = runner.invoke(app, ["plan", "init", "--force", "gwent", "--out", str(out)])
    assert again.exit_code == 1
    assert "exists already" in " ".join(again.output.split())
    assert load_plan(out).force == "dyfed-powys"  # not overwritten
    bad = runner.invoke(app, ["plan", "init", "--force", "nowhere", "--out",
                              str(tmp_path / "x.yaml")])
    assert bad.exit_code == 1 and "not a police force" in " ".join(bad.output.split())
    assert not (tmp_path / "x.yaml").exists()


def test_asb_is_a_measure_of_its_own_counted_from_policeuk_incidents(tmp_path: Path) -> None:
    """On the real Cambridgeshire January 2021 street file: the ASB measure counts its ASB rows,
    force-wide and by district; total recorded crime leaves them out."""
    import csv
    from datetime import date

    from paragon.ingest.registry import ingest_paths
    from paragon.measures.engine import compute
    from paragon.warehouse import Warehouse

    street = Path(__file__).parent / "data" / "policeuk" / "street"
    path = street / "2021-01-cambridgeshire-street.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    asb = [r for r in rows if r["Crime type"] == ASB]
    assert len(asb) == 935
    plan = parse_plan(starter_plan_text("cambridgeshire", "2020-21"), "cambs")
    measure = plan.measure("anti-social-behaviour")
    assert measure.kind == "count" and measure.select is not None
    assert measure.select.policeuk_categories == [ASB]
    assert any(row.measure == "anti-social-behaviour" for row in plan.milestones)
    wh = Warehouse.open(tmp_path / "c.duckdb")
    try:
        ingest_paths(wh, [path], plan)
        start, end = date(2021, 1, 1), date(2021, 2, 1)
        assert compute(wh, plan, "anti-social-behaviour", start, end).value == 935
        assert compute(wh, plan, "total-crime", start, end).value == len(rows) - 935
        by_lpu = sum(compute(wh, plan, "anti-social-behaviour", start, end, lpu.id).value or 0
                     for lpu in plan.lpus)
        cambs_lsoas = set(force_lsoas("cambridgeshire")["lsoa_code"].to_pylist())
        assert by_lpu == sum(r["LSOA code"] in cambs_lsoas for r in asb)
    finally:
        wh.close()


def test_asb_cannot_be_mixed_with_crimes_or_detected() -> None:
    text = starter_plan_text("kent", "2016-17")
    mixed = text.replace('select: {policeuk_categories: ["Anti-social behaviour"]}',
                         'select: {policeuk_categories: ["Anti-social behaviour", "Burglary"]}')
    with pytest.raises(ParagonError, match="not crimes: give it a measure of its own"):
        parse_plan(mixed, "kent")
    detected = text.replace("of: burglary}", "of: anti-social-behaviour}")
    with pytest.raises(ParagonError, match="no outcomes to detect"):
        parse_plan(detected, "kent")
