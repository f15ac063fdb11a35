"""How far the data goes for a measure: the first month with data and the first day after the
last complete month."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from paragon.measures.engine import RECORDED, crime_source
from paragon.measures.periods import add_months
from paragon.plan.schema import Measure, Plan
from paragon.warehouse import Warehouse


@dataclass(frozen=True)
class Coverage:
    """Data for a measure runs over [start, end): whole months only."""

    start: date
    end: date
    source: str | None


def coverage(wh: Warehouse, plan: Plan, measure: Measure) -> Coverage | None:
    """The whole months the measure's data covers (None: no data at all).

    A force export whose last record is not on the last day of its month is taken to have an
    incomplete last month, which is left out; police.uk data comes in whole months.
    """
    if measure.kind == "survey_proportion":
        source: str | None = "survey"
        row = wh.query(
            "SELECT min(interview_date) AS first, max(interview_date) AS last "
            "FROM survey_responses WHERE survey = ?",
            [measure.survey],
        )[0]
        whole_months = False
    else:
        source = crime_source(wh, plan.force)
        row = wh.query(
            f"SELECT min({RECORDED}) AS first, max({RECORDED}) AS last FROM crimes "
            "WHERE force = ? AND source = ?",
            [plan.force, source],
        )[0]
        whole_months = source == "policeuk"
    first, last = row["first"], row["last"]
    if first is None or last is None:
        return None
    end = add_months(date(last.year, last.month, 1), 1)
    if (
        not whole_months
        and source != "survey"
        and last.day < calendar.monthrange(last.year, last.month)[1]
    ):
        end = date(last.year, last.month, 1)
    return Coverage(date(first.year, first.month, 1), end, source)


def data_end(wh: Warehouse, plan: Plan, measure: Measure) -> date | None:
    """First day after the last complete month of the measure's data (None: no data)."""
    cov = coverage(wh, plan, measure)
    return cov.end if cov else None
