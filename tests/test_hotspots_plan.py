"""`paragon hotspots predict|backtest --plan`: with Greater Manchester's starter plan and real GMP
burglary points (tests/data/policeuk/derived/gmp_bur.csv.gz), the cells cover GM's districts and
each predicted cell carries one of the plan's LPUs; without a plan the LPU is unknown."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from paragon.cli import app
from paragon.geography.shapes import force_area_bng
from paragon.plan import load_plan

GMP_BUR = Path(__file__).parent / "data" / "policeuk" / "derived" / "gmp_bur.csv.gz"
runner = CliRunner()


def invoke(*args: str) -> dict[str, object]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_predict_with_plan_gives_the_plans_lpus(tmp_path: Path) -> None:
    plan_path = tmp_path / "gm.yaml"
    made = runner.invoke(app, ["plan", "init", "--force", "greater-manchester", "--out",
                               str(plan_path), "--first-year", "2016-17"])
    assert made.exit_code == 0, made.output
    plan = load_plan(plan_path)
    common = ["hotspots", "predict", "--input", str(GMP_BUR), "--cell", "1000",
              "--train-months", "12", "--tune-months", "0", "--top", "2", "--format", "json"]
    with_plan = invoke(*common, "--plan", str(plan_path))
    cells = with_plan["cells"]
    assert isinstance(cells, list)
    assert {c["lpu"] for c in cells} == {lpu.id for lpu in plan.lpus}
    area = force_area_bng(plan.force)
    assert area is not None
    km2 = area.area / 1e6  # 1 km cells over GM's districts, those on the boundary included
    assert km2 <= int(str(with_plan["cells_in_area"])) < 1.15 * km2
    without = invoke(*common)
    assert without["cells_in_area"] != with_plan["cells_in_area"]  # the events' hull instead
    other = without["cells"]
    assert isinstance(other, list)
    assert {c["lpu"] for c in other} != {lpu.id for lpu in plan.lpus}
