"""Which months the data covers for a measure: coverage is data.

A month is covered when the warehouse holds any row for it from the source the measure reads
(the force's own records or police.uk, for the plan's force; or the measure's survey). A month
that is not covered is missing, never zero: series leave it out, control charts are computed on
the covered months only, and periods are compared over months both have.

police.uk data comes two ways: street files, which hold every crime type of a force's month, and
points files (paragon.ingest.points), which often hold one crime type. A month of a points file
covers only the measures whose police.uk crime types it holds (``points_categories``): a
measure over police.uk data is covered in the months of full files, plus the months where points
files hold every crime type the measure selects. A measure of all crime is covered by full files
only. A measure none of whose months is covered is unavailable, with the reason
(:func:`unavailable_reason`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

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
        points = points_months(wh, plan.force) if source == "policeuk" else {}
        full_files = ("AND ingest_id NOT IN (SELECT ingest_id FROM points_categories "
                      "WHERE force = ?)") if points else ""
        rows = wh.query(
            f"SELECT DISTINCT date_trunc('month', {RECORDED})::DATE AS m, "
            f"max({RECORDED}) OVER () AS last FROM crimes WHERE force = ? AND source = ? "
            f"{full_files}",
            [plan.force, source, *([plan.force] if points else [])],
        )
        whole_months = source == "policeuk"
        if points:
            rows = [*rows, *_points_rows(points, selected_categories(plan, measure))]
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


def points_months(wh: Warehouse, force: str) -> dict[date, frozenset[str]]:
    """month -> the police.uk crime types the force's points files hold that month (empty: no
    points file for the force, or a warehouse made before points files were recorded)."""
    try:
        rows = wh.query(
            "SELECT month, list(DISTINCT category) AS types FROM points_categories "
            "WHERE force = ? GROUP BY month",
            [force],
        )
    except duckdb.CatalogException:
        return {}
    return {r["month"]: frozenset(r["types"]) for r in rows}


def selected_categories(plan: Plan, measure: Measure) -> frozenset[str] | None:
    """The police.uk crime types a crime measure selects (a detection rate: those of the measure
    it is the rate of); None for all crime."""
    base = plan.measure(measure.of) if measure.kind == "detection_rate" and measure.of else measure
    if base.select is None or base.select.all:
        return None
    return frozenset(base.select.policeuk_categories)


def _points_rows(points: dict[date, frozenset[str]],
                 wanted: frozenset[str] | None) -> list[dict[str, Any]]:
    """Coverage rows (m, last) for the months where points files hold every wanted crime type."""
    if not wanted:  # all crime, or no police.uk crime type: full files only
        return []
    covered = [m for m, held in points.items() if wanted <= held]
    last = max(covered, default=None)
    return [{"m": m, "last": last} for m in covered]


def coverage_key(wh: Warehouse, plan: Plan, measure: Measure) -> tuple[Any, ...]:
    """Measures with the same key have the same coverage (to compute it once per table)."""
    if measure.kind == "survey_proportion":
        return ("survey", measure.survey)
    if not points_months(wh, plan.force):
        return ("crimes",)
    wanted = selected_categories(plan, measure)
    return ("crimes", None if wanted is None else tuple(sorted(wanted)))


def unavailable_reason(wh: Warehouse, plan: Plan, measure: Measure) -> str | None:
    """Why a crime measure has no data although police.uk rows are loaded for the force: the
    points files loaded hold other crime types only (None: the measure has data, or nothing is
    loaded at all)."""
    if measure.kind == "survey_proportion" or crime_source(wh, plan.force) != "policeuk":
        return None
    points = points_months(wh, plan.force)
    if not points or coverage(wh, plan, measure) is not None:
        return None
    held = sorted(set().union(*points.values()))
    wanted = selected_categories(plan, measure)
    counted = ", ".join(sorted(wanted or ())) or "no police.uk crime type"
    needs = ("all recorded crime needs police.uk street files (every crime type)"
             if wanted is None else f"this measure counts {counted}")
    return f"the data loaded for this force holds only {', '.join(held)}; {needs}"


def full_file_months(wh: Warehouse, force: str) -> frozenset[date] | None:
    """Where points files are loaded for the force: the months its full police.uk files (every
    crime type) cover. None where no points file is loaded: every police.uk month is full."""
    if not points_months(wh, force):
        return None
    rows = wh.query(
        "SELECT DISTINCT month AS m FROM crimes WHERE force = ? AND source = 'policeuk' "
        "AND ingest_id NOT IN (SELECT ingest_id FROM points_categories WHERE force = ?)",
        [force, force],
    )
    return frozenset(r["m"] for r in rows if r["m"] is not None)
