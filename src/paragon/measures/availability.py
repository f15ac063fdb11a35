"""How far the data goes: the first day after the last month with data, per kind of measure."""

from __future__ import annotations

from datetime import date

from paragon.measures.periods import add_months
from paragon.plan.schema import Measure, Plan
from paragon.warehouse import Warehouse


def data_end(wh: Warehouse, plan: Plan, measure: Measure) -> date | None:
    """First day of the month after the latest record the measure reads (None: no data)."""
    if measure.kind == "survey_proportion":
        last = wh.scalar(
            "SELECT max(interview_date) FROM survey_responses WHERE survey = ?", [measure.survey]
        )
    else:
        last = wh.scalar("SELECT max(recorded_date) FROM crimes WHERE force = ?", [plan.force])
    if last is None:
        return None
    return add_months(date(last.year, last.month, 1), 1)
