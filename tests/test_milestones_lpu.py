"""LPU milestone rows: an LPU has a milestone only where the plan sets one for it.

The plan publishes force-wide milestones; applying the force's rule (say −7% on 2010-11) to an
LPU's own figure would invent a target nobody set. LPU rows without a local milestone say so,
and a milestone the plan sets for one LPU is used, checked against its rule on the LPU's own
figures, and judged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from paragon.ingest.registry import ingest_paths
from paragon.measures.milestones import NO_LOCAL_MILESTONE, milestone_table
from paragon.plan import Plan
from paragon.plan.schema import Milestone, Rule, YearEntry
from paragon.warehouse import Warehouse
from paragon.web.data.words import milestone_status

TOTAL = ("reducing_crime", "Total recorded crime")
HEADER = ("crime_reference,recorded_date,offence_code,hate_flag,business_flag,domestic_flag,"
          "lsoa_code,location,easting,northing,outcome_type,outcome_date")
LSOAS = {"E01008881": 40, "E01009946": 25}  # Birmingham East, Sandwell: crimes a month


def crimes_file(path: Path) -> Path:
    """Synthetic force export: burglaries in one Birmingham East and one Sandwell LSOA every
    month from April 2007 to December 2011 (Poisson, seeded), the last on 31 December."""
    rng = np.random.default_rng(7)
    lines, n = [HEADER], 0
    for year in range(2007, 2012):
        for month in range(1, 13):
            if (year, month) < (2007, 4):
                continue
            for lsoa, mean in LSOAS.items():
                for _ in range(rng.poisson(mean)):
                    n += 1
                    lines.append(f"L{n},{year}-{month:02d}-15,28E,N,N,N,{lsoa},,,,,")
    lines.append(f"L{n + 1},2011-12-31,28E,N,N,N,E01009946,,,,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def monthly(wh: Warehouse, plan: Plan, tmp_path: Path) -> Iterator[Warehouse]:
    ingest_paths(wh, [crimes_file(tmp_path / "crimes.csv")], plan)
    yield wh


def _rows(wh: Warehouse, plan: Plan, year: str, lpu: str | None) -> dict[tuple[str, str], dict]:
    return {(r["table"], r["title"]): r for r in milestone_table(wh, plan, year, lpu=lpu)}


def with_local_milestone(plan: Plan, lpu: str, year: str, milestone: Milestone) -> Plan:
    """The plan with a milestone set for one LPU on the total recorded crime row."""
    rows = []
    for row in plan.milestones:
        if (row.table, row.title) == TOTAL:
            entry = row.years.get(year) or YearEntry()
            entry = entry.model_copy(update={"lpus": {**entry.lpus, lpu: milestone}})
            row = row.model_copy(update={"years": {**row.years, year: entry}})
        rows.append(row)
    return plan.model_copy(update={"milestones": rows})


def test_lpu_rows_without_a_local_milestone_say_so(monthly: Warehouse, plan: Plan) -> None:
    force = _rows(monthly, plan, "2011-12", None)
    local = _rows(monthly, plan, "2011-12", "sandwell")
    assert force[TOTAL]["milestone"] == 200292 and force[TOTAL]["status"] == "in progress"
    assert force[TOTAL]["probability_met"] is not None
    for key, row in local.items():
        if row["status"] in ("data not available", "no data", "incomplete data"):
            continue
        assert row["milestone"] is None and row["milestone_recomputed"] is None, key
        assert row["milestone_published"] is None and row["milestone_rule"] is None, key
        assert row["status"] == NO_LOCAL_MILESTONE, key
        assert row.get("probability_met") is None and row.get("beyond_noise") is None, key
    total = local[TOTAL]
    # the figure and its change are still shown
    assert total["value"] > 0 and total["change_pct"] is not None
    assert milestone_status(total)["label"] == "No local milestone"
    json.dumps(total)
    closed = _rows(monthly, plan, "2010-11", "sandwell")[TOTAL]
    assert closed["status"] == NO_LOCAL_MILESTONE and closed["milestone"] is None


def test_a_milestone_the_plan_sets_for_an_lpu_is_used_and_checked(
    monthly: Warehouse, plan: Plan
) -> None:
    before = _rows(monthly, plan, "2010-11", "sandwell")[TOTAL]["value"]
    target = round(before * 0.93)
    local = Milestone(published=f"{target:,}", value=target,
                      rule=Rule(type="change", pct=-7, against="2010-11"))
    local_plan = with_local_milestone(plan, "sandwell", "2011-12", local)
    row = _rows(monthly, local_plan, "2011-12", "sandwell")[TOTAL]
    assert row["milestone"] == target and row["milestone_recomputed"] == target
    assert row["milestone_published"] == f"{target:,}" and row["milestone_rule"] == "-7% on 2010-11"
    assert row["milestone_matches_rule"] is True
    assert row["status"] == "in progress" and row["probability_met"] is not None
    # another LPU still has none; the force-wide row is unchanged
    assert _rows(monthly, local_plan, "2011-12", "birmingham-east")[TOTAL]["status"] == NO_LOCAL_MILESTONE
    assert _rows(monthly, local_plan, "2011-12", None)[TOTAL]["milestone"] == 200292
    # a local milestone that disagrees with its own rule is flagged
    wrong = with_local_milestone(plan, "sandwell", "2011-12", local.model_copy(
        update={"value": target + 5, "published": f"{target + 5:,}"}))
    flagged = _rows(monthly, wrong, "2011-12", "sandwell")[TOTAL]
    assert flagged["milestone_matches_rule"] is False
    assert any("the milestone's rule gives" in f for f in flagged["flags"])
