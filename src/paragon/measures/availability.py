"""Which months the data covers for a measure: coverage is data.

A month is covered when the warehouse holds any row for it from the source the measure reads
(the force's own records or police.uk, for the plan's force; or the measure's survey). A month
that is not covered is missing, never zero: series leave it out, control charts are computed on
the covered months only, and periods are compared over months both have.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from paragon.measures.engine import RECORDED, crime_source
from paragon.measures.periods import add_months
from paragon.plan.schema import Measure, Plan
from paragon.warehouse import Warehouse


@dataclass(frozen=True)
class Coverage:
    """Data for a measure runs over [start, end) and covers exactly ``months`` (first days) —
    whole months only; there may be gaps between start and end."""

    start: date
    end: date
    source: str | None
    months: frozenset[date] = field(default_factory=frozenset)

    def covers(self, month: date) -> bool:
        return date(month.year, month.month, 1) in self.months

    def covered(self, start: date, end: date) -> list[date]:
        """The covered months in [start, end), oldest first."""
        return sorted(m for m in self.months if start <= m < end)


def coverage(wh: Warehouse, plan: Plan, measure: Measure) -> Coverage | None:
    """The whole months the measure's data covers (None: no data at all).

    A force export whose last record is not on the last day of its month is taken to have an
    incomplete last month, which is left out; police.uk data comes in whole months.
    """
    if measure.kind == "survey_proportion":
        source: str | None = "survey"
        rows = wh.query(
            "SELECT DISTINCT date_trunc('month', interview_date)::DATE AS m, "
            "max(interview_date) OVER () AS last FROM survey_responses WHERE survey = ?",
            [measure.survey],
        )
        whole_months = True
    else:
        source = crime_source(wh, plan.force)
        if source is None:
            return None
        rows = wh.query(
            f"SELECT DISTINCT date_trunc('month', {RECORDED})::DATE AS m, "
            f"max({RECORDED}) OVER () AS last FROM crimes WHERE force = ? AND source = ?",
            [plan.force, source],
        )
        whole_months = source == "policeuk"
    months = {r["m"] for r in rows if r["m"] is not None}
    if not months:
        return None
    last = rows[0]["last"]
    if not whole_months and last.day < calendar.monthrange(last.year, last.month)[1]:
        months.discard(date(last.year, last.month, 1))
        if not months:
            return None
    return Coverage(min(months), add_months(max(months), 1), source, frozenset(months))


def data_end(wh: Warehouse, plan: Plan, measure: Measure) -> date | None:
    """First day after the last complete month of the measure's data (None: no data)."""
    cov = coverage(wh, plan, measure)
    return cov.end if cov else None
