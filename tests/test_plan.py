"""The plan as data: the default plan holds the seed plan exactly; a broken plan is reported with
its file, line and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.errors import PlanError
from paragon.plan import Plan, load_plan, parse_plan
from paragon.plan.loader import default_plan_text

runner = CliRunner()


def test_default_plan_has_the_seed_structure(plan: Plan) -> None:
    assert len(plan.priorities) == 7
    assert len(plan.control_plans) == 10
    assert len(plan.lpus) == 10
    assert {lpu.local_authority for lpu in plan.lpus} == {
        "Birmingham",
        "Coventry",
        "Dudley",
        "Sandwell",
        "Solihull",
        "Walsall",
        "Wolverhampton",
    }
    assert sum(lpu.local_authority == "Birmingham" for lpu in plan.lpus) == 4
    assert plan.priorities[0].title == "To improve trust and confidence in policing"
    assert plan.control_plans[-1].title == "Burglary, robbery, & vehicle crime"


def test_every_milestone_row_of_the_four_tables(plan: Plan) -> None:
    by_table: dict[str, list[str]] = {}
    for row in plan.milestones:
        by_table.setdefault(row.table, []).append(row.title)
    assert [
        len(by_table[t])
        for t in ("trust_confidence", "service_standards", "reducing_crime", "detections")
    ] == [9, 7, 6, 6]
    assert by_table["reducing_crime"] == [
        "Total recorded crime",
        "Most serious violence",
        "Burglary dwelling",
        "Robbery",
        "Vehicle",
        "Business Crime",
    ]


@pytest.mark.parametrize(
    ("title", "table", "year", "published", "value"),
    [
        ("Total recorded crime", "reducing_crime", "2011-12", "200,292 (-7%)", 200292),
        ("Business Crime", "reducing_crime", "2010-11", "46,575 (-10%)", 46575),
        ("Most serious violence", "detections", "2010-11", "1,472 (50%)", 50),
        (
            "Police work with people in the community to improve the neighbourhood",
            "trust_confidence",
            "2011-12",
            "Benchmark",
            None,
        ),
        (
            "Taking everything into account have confidence in the police in this area",
            "trust_confidence",
            "2010-11",
            "N/A",
            None,
        ),
    ],
)
def test_milestones_kept_exactly_as_published(
    plan: Plan, title: str, table: str, year: str, published: str, value: float | None
) -> None:
    row = next(r for r in plan.milestones if r.title == title and r.table == table)
    milestone = row.years[year].milestone
    assert milestone is not None
    assert milestone.published == published
    assert milestone.value == value


def test_baselines_and_footnotes(plan: Plan) -> None:
    rows = {r.title: r for r in plan.milestones if r.table == "reducing_crime"}
    assert rows["Total recorded crime"].baseline is not None
    assert rows["Total recorded crime"].baseline.value == 247927
    assert rows["Most serious violence"].baseline is not None
    assert rows["Most serious violence"].baseline.year == "2008-09"
    footnote6 = next(f for f in plan.footnotes if f.id == "6")
    assert "as a proportion of the number of offences recorded" in footnote6.text


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = default_plan_text()
    assert old in text
    path = tmp_path / "plan.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_unknown_kind_reported_with_file_and_line(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        "kind: count\n    better: lower\n    priority: crime-asb\n    select: {all: true}",
        "kind: tally\n    better: lower\n    priority: crime-asb\n    select: {all: true}",
    )
    with pytest.raises(PlanError) as err:
        load_plan(path)
    line = _line_of(path, "kind: tally")
    assert f"{path}:{line}:" in err.value.message
    assert "kind" in err.value.message


def test_dangling_reference_is_named(tmp_path: Path) -> None:
    path = _broken(tmp_path, "measure: robbery-detections", "measure: robbery-detection")
    with pytest.raises(PlanError, match="unknown measure 'robbery-detection'"):
        load_plan(path)


def test_change_rule_without_pct(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        "rule: {type: change, pct: -7, against: 2010-11}",
        "rule: {type: change, against: 2010-11}",
    )
    with pytest.raises(PlanError, match="a change rule needs pct and against") as err:
        load_plan(path)
    assert f":{_line_of(path, 'rule: {type: change, against: 2010-11}')}:" in err.value.message


def test_invalid_yaml_gives_line_and_column() -> None:
    with pytest.raises(PlanError, match=r"^broken.yaml:2:\d+: not valid YAML"):
        parse_plan("id: x\ntitle: a: b\n", "broken.yaml")


def test_cli_validate_bad_plan_exits_1_with_one_line(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        "better: higher, priority: trust-confidence, survey: feeling-the-difference, question: confidence_in_police",
        "better: upwards, priority: trust-confidence, survey: feeling-the-difference, question: confidence_in_police",
    )
    result = runner.invoke(app, ["plan", "validate", str(path)])
    assert result.exit_code == 1
    assert "better" in result.output and str(path) in result.output
    assert "Traceback" not in result.output


def test_cli_show_json_lists_every_measure(plan: Plan) -> None:
    result = runner.invoke(app, ["plan", "show", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {m["id"] for m in data["measures"]} == {m.id for m in plan.measures}
    assert all({"id", "title", "table", "kind", "better"} <= m.keys() for m in data["measures"])
    assert len(data["priorities"]) == 7 and len(data["milestones"]) == 28
