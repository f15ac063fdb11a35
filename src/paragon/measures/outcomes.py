"""Detections from police.uk outcomes files, and how late outcomes arrive (docs/methods.md).

police.uk publishes one row per outcome of a crime in the month the outcome was given (table
``outcomes``: ``crime_reference``, ``month`` = the outcome's month, ``outcome_type``). A crime is
*detected* when it has an outcome of a type the plan lists in ``detected_outcomes``; it is counted
once, in the month of its first detected outcome among the outcomes loaded. Court results
(``court_disposal``, ``not_guilty``, ...) follow a charge and are not detections of their own.

- ``detection_months``: per month, detections (by the outcome's month) and crimes recorded that
  month (police.uk street rows), which is the plan's footnote-6 rate; plus the cohort count (of
  the crimes recorded in the month, how many have a detected outcome so far). Outcomes files carry
  no crime type, so a measure of one crime type counts only the detections whose street row is
  loaded.
- ``outcome_lag``: for each outcome row whose crime's street row is loaded, the months between the
  crime's month and the outcome's month; the distribution, and from it the window of recent months
  whose crimes are not yet fully resolved (``COMPLETE_SHARE``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from paragon.errors import NotFoundError
from paragon.geography.forces import TERRITORIAL
from paragon.measures.engine import Components, MeasureUnavailable, select_clause
from paragon.measures.periods import add_months, month_label
from paragon.plan.schema import Measure, Plan
from paragon.warehouse import Warehouse

# A crime month is taken as complete once this share of detected outcomes has arrived at its age.
COMPLETE_SHARE = 0.9
# Fewer matched detected outcomes than this and the lag is not estimated (too few to say).
MIN_MATCHED = 30

_FIRST_DETECTED = """
    SELECT crime_reference, min(month) AS m FROM outcomes
    WHERE force = ? AND outcome_type IN (SELECT unnest(?)) GROUP BY crime_reference
"""


def outcome_forces(wh: Warehouse) -> list[str]:
    """Forces with any outcomes loaded, alphabetically."""
    return [r["force"] for r in wh.query("SELECT DISTINCT force FROM outcomes ORDER BY force")]


def has_outcomes(wh: Warehouse, force: str) -> bool:
    return bool(wh.scalar("SELECT EXISTS (SELECT 1 FROM outcomes WHERE force = ?)", [force]))


def choose_force(wh: Warehouse, requested: str | None, plan_force: str) -> tuple[str, str | None]:
    """The force to report outcomes for, and a note when it is not the one asked for: the requested
    force (an error naming the forces with outcomes when it has none), else the plan's force when it
    has outcomes, else the first force that has."""
    forces = outcome_forces(wh)
    if not forces:
        raise NotFoundError("no police.uk outcomes files are loaded (paragon ingest FOLDER)")
    if requested is not None:
        if requested not in forces:
            raise NotFoundError(f"no outcomes are loaded for force '{requested}' (loaded for: "
                                f"{', '.join(forces)})")
        return requested, None
    if plan_force in forces:
        return plan_force, None
    return forces[0], (f"The plan's force ({plan_force}) has no outcomes loaded; showing "
                       f"{forces[0]} (outcomes are loaded for: {', '.join(forces)}).")


# --- detections ------------------------------------------------------------------------------


def _selection(plan: Plan, measure: Measure) -> Measure:
    base = plan.measure(measure.of) if measure.of else measure
    assert base.select is not None
    return base


def detection_months(
    wh: Warehouse, plan: Plan, measure: Measure, start: date, end: date, lpu: str | None = None
) -> dict[date, Components]:
    """Per-month components of a detection rate from police.uk outcomes and street rows:
    numerator = crimes whose first detected outcome falls in the month, denominator = crimes
    recorded in the month (street rows), cohort = crimes recorded in the month detected so far.
    Only months with outcomes loaded are returned: a month without them is missing, not zero."""
    force = plan.force
    if not has_outcomes(wh, force):
        raise MeasureUnavailable(
            "no police.uk outcomes files are loaded for this force: detections need them "
            "(street files give each crime's latest outcome, not when it was detected)"
        )
    base = _selection(plan, measure)
    assert base.select is not None
    where, params = select_clause(base.select, "policeuk")
    crimes = f"force = ? AND source = 'policeuk' AND {where}"
    crime_params: list[Any] = [force, *params]
    if lpu is not None:
        crimes += " AND lpu_id = ?"
        crime_params.append(lpu)
    if not base.select.all and not wh.scalar(
            "SELECT EXISTS (SELECT 1 FROM crimes WHERE force = ? AND source = 'policeuk')",
            [force]):
        raise MeasureUnavailable(
            "police.uk outcomes files carry no crime type: detections of one type need the street "
            "files of the months the crimes were recorded"
        )
    detected = list(plan.detected_outcomes)
    if base.select.all and lpu is None:
        # Every detected crime counts: no street row needed.
        det_where, det_params = "TRUE", []
    elif base.select.all:
        # The outcome row carries the crime's LSOA, which the plan's geography places in an LPU
        # (the warehouse's geography table is filled only for the demo).
        assert lpu is not None
        lsoa_params: list[Any]
        if force in TERRITORIAL:
            from paragon.geography.lpus import lpu_lsoas  # pyarrow and pyproj: only for an LPU

            lsoas, lsoa_params = "SELECT unnest(?)", [lpu_lsoas(plan, lpu)]
        else:
            lsoas, lsoa_params = "SELECT lsoa_code FROM geography WHERE lpu_id = ?", [lpu]
        det_where = ("d.crime_reference IN (SELECT crime_reference FROM outcomes WHERE force = ? "
                     f"AND lsoa_code IN ({lsoas}))")
        det_params = [force, *lsoa_params]
    else:
        det_where = f"d.crime_reference IN (SELECT crime_reference FROM crimes WHERE {crimes})"
        det_params = crime_params
    # A measure of one crime type reads the outcome months whose street rows are loaded too.
    both = ("TRUE" if base.select.all else
            "month IN (SELECT month FROM crimes WHERE force = ? AND source = 'policeuk')")
    both_params = [] if base.select.all else [force]
    rows = wh.query(
        f"""
        WITH d AS ({_FIRST_DETECTED}),
        det AS (
          SELECT m, count(*) AS detected FROM d
          WHERE {det_where} AND m >= ? AND m < ? GROUP BY m
        ),
        rec AS (
          SELECT c.month AS m, count(*) AS recorded,
                 count(*) FILTER (WHERE c.crime_reference IN (SELECT crime_reference FROM d))
                   AS cohort
          FROM crimes c WHERE {crimes} AND c.month >= ? AND c.month < ? GROUP BY c.month
        ),
        outcome_months AS (SELECT DISTINCT month AS m FROM outcomes
                   WHERE force = ? AND month >= ? AND month < ? AND {both})
        SELECT o.m, coalesce(recorded, 0) AS recorded,
               coalesce(cohort, 0) AS cohort, coalesce(detected, 0) AS detected
        FROM outcome_months o LEFT JOIN rec ON rec.m = o.m LEFT JOIN det ON det.m = o.m
        """,
        [force, detected, *det_params, start, end, *crime_params, start, end, force, start, end,
         *both_params],
    )
    if not rows:
        first, last = wh.query("SELECT min(month) AS a, max(month) AS b FROM outcomes "
                               "WHERE force = ?", [force])[0].values()
        street = "" if base.select.all else " with the street file of the same month"
        raise MeasureUnavailable(
            f"no police.uk outcomes{street} are loaded for {month_label(start)} to "
            f"{month_label(add_months(end, -1))} (outcomes are loaded for {month_label(first)} "
            f"to {month_label(last)}): a month without its outcomes file is missing, not zero"
        )
    return {
        r["m"]: Components(float(r["detected"]), float(r["recorded"]),
                           cohort_detected=int(r["cohort"]))
        for r in rows
    }


def detections_by_month(wh: Warehouse, plan: Plan, force: str) -> list[dict[str, Any]]:
    """Every outcome month loaded for ``force``: outcome rows, crimes with an outcome, crimes first
    detected that month by type, and crimes recorded that month where street rows are loaded (months
    with no outcomes file are absent, never zero)."""
    rows = wh.query(
        f"""
        WITH d AS ({_FIRST_DETECTED}),
        o AS (SELECT month AS m, count(*) AS outcome_rows, count(DISTINCT crime_reference) AS crimes
              FROM outcomes WHERE force = ? GROUP BY month),
        det AS (SELECT d.m, count(*) AS detected FROM d GROUP BY d.m),
        rec AS (SELECT month AS m, count(*) AS recorded FROM crimes
                WHERE force = ? AND source = 'policeuk' GROUP BY month)
        SELECT o.m AS month, o.outcome_rows, o.crimes AS crimes_with_outcome,
               coalesce(det.detected, 0) AS detected, rec.recorded AS recorded_street_rows
        FROM o LEFT JOIN det ON det.m = o.m LEFT JOIN rec ON rec.m = o.m ORDER BY o.m
        """,
        [force, list(plan.detected_outcomes), force, force],
    )
    for r in rows:
        r["month"] = month_label(r["month"])
        r["detection_rate_pct"] = (round(100.0 * r["detected"] / r["recorded_street_rows"], 2)
                                   if r["recorded_street_rows"] else None)
    return rows


def detections_by_type(wh: Warehouse, plan: Plan, force: str) -> list[dict[str, Any]]:
    """Each outcome type loaded for ``force``: rows, distinct crimes, and whether the plan counts it
    as a detection."""
    rows = wh.query(
        "SELECT outcome_type, count(*) AS rows, count(DISTINCT crime_reference) AS crimes, "
        "string_agg(DISTINCT outcome_text, '; ' ORDER BY outcome_text) AS published_as "
        "FROM outcomes WHERE force = ? GROUP BY outcome_type ORDER BY rows DESC, outcome_type",
        [force],
    )
    for r in rows:
        r["detected"] = r["outcome_type"] in plan.detected_outcomes
    return rows


# --- lag -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LagReport:
    """How many months after the crime's month its outcomes arrive, for one force."""

    force: str
    first_outcome_month: str
    last_outcome_month: str
    outcome_rows: int
    matched_rows: int
    detected_rows: int
    detected_matched: int
    distribution: list[dict[str, Any]] = field(default_factory=list)
    window_months: int | None = None
    repeat_crimes: int = 0
    repeat_gaps: list[dict[str, Any]] = field(default_factory=list)
    explanation: str = ""

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["complete_share"] = COMPLETE_SHARE
        out["min_matched"] = MIN_MATCHED
        return out


def outcome_lag(wh: Warehouse, plan: Plan, force: str) -> LagReport:
    """The lag from each outcome's crime month (its matched police.uk street row) to the outcome's
    month, its distribution, the window of incomplete recent months, and the gaps between a crime's
    first outcome month and its later ones (which need no street row)."""
    detected = list(plan.detected_outcomes)
    head = wh.query(
        """
        SELECT min(month) AS first, max(month) AS last, count(*) AS n,
               count(*) FILTER (WHERE outcome_type IN (SELECT unnest(?))) AS n_det
        FROM outcomes WHERE force = ?
        """,
        [detected, force],
    )[0]
    if not head["n"]:
        raise NotFoundError(f"no outcomes are loaded for force '{force}'")
    dist = wh.query(
        """
        WITH c AS (SELECT crime_reference, min(month) AS crime_month FROM crimes
                   WHERE force = ? AND source = 'policeuk' AND crime_reference IS NOT NULL
                   GROUP BY crime_reference),
        lag AS (
          SELECT datediff('month', c.crime_month, o.month) AS lag_months,
                 o.outcome_type IN (SELECT unnest(?)) AS detected
          FROM outcomes o JOIN c ON c.crime_reference = o.crime_reference WHERE o.force = ?
        )
        SELECT lag_months, count(*) AS outcomes, count(*) FILTER (WHERE detected) AS detected
        FROM lag GROUP BY lag_months ORDER BY lag_months
        """,
        [force, detected, force],
    )
    matched = sum(r["outcomes"] for r in dist)
    det_matched = sum(r["detected"] for r in dist)
    running = 0
    window: int | None = None
    for r in dist:
        running += r["detected"]
        r["cumulative_detected_share"] = round(running / det_matched, 4) if det_matched else None
        enough = det_matched >= MIN_MATCHED
        if window is None and enough and running >= COMPLETE_SHARE * det_matched:
            window = int(r["lag_months"])
    gaps = wh.query(
        """
        WITH o AS (SELECT crime_reference, month, min(month) OVER (PARTITION BY crime_reference)
                     AS first FROM outcomes WHERE force = ?)
        SELECT datediff('month', first, month) AS gap_months, count(*) AS outcomes,
               count(DISTINCT crime_reference) AS crimes
        FROM o WHERE month > first GROUP BY gap_months ORDER BY gap_months
        """,
        [force],
    )
    repeat = wh.scalar(
        "SELECT count(*) FROM (SELECT crime_reference FROM outcomes WHERE force = ? "
        "GROUP BY crime_reference HAVING count(DISTINCT month) > 1)",
        [force],
    )
    first, last = month_label(head["first"]), month_label(head["last"])
    return LagReport(
        force=force, first_outcome_month=first, last_outcome_month=last,
        outcome_rows=int(head["n"]), matched_rows=matched, detected_rows=int(head["n_det"]),
        detected_matched=det_matched, distribution=dist, window_months=window,
        repeat_crimes=int(repeat), repeat_gaps=gaps,
        explanation=_explain(int(head["n"]), matched, det_matched, window, int(repeat), gaps),
    )


def _explain(n: int, matched: int, det_matched: int, window: int | None, repeat: int,
             gaps: list[dict[str, Any]]) -> str:
    if window is not None:
        months = f"{window} month{'s' if window != 1 else ''}"
        text = (f"{matched:,} of {n:,} outcome rows match a loaded street row; "
                f"{COMPLETE_SHARE:.0%} of their {det_matched:,} detected outcomes arrived within "
                f"{months} of the crime's month, so crimes of the last {months} up to the "
                "latest outcomes file are not yet fully resolved.")
    elif matched == 0:
        text = (f"None of the {n:,} outcome rows matches a loaded street row, so the lag from "
                "crime to outcome cannot be measured: outcomes files give the outcome's month, "
                "not the crime's. Load the street files of the months the crimes were recorded.")
    else:
        text = (f"Only {det_matched:,} detected outcomes (of {matched:,} outcome rows matching a "
                f"street row) are too few (under {MIN_MATCHED}) to estimate the lag.")
    if repeat:
        longest = max(int(g["gap_months"]) for g in gaps)
        text += (f" {repeat:,} crimes have outcomes in more than one month, up to {longest} "
                 f"month{'s' if longest != 1 else ''} after their first: outcomes keep arriving "
                 "after a crime's first outcome.")
    return text


def incomplete_from(report: LagReport) -> date | None:
    """First crime month not yet fully resolved (None when the lag could not be measured)."""
    if report.window_months is None:
        return None
    year, month = map(int, report.last_outcome_month.split("-"))
    return add_months(date(year, month, 1), 1 - report.window_months)


def detection_note(wh: Warehouse, plan: Plan) -> str:
    """The warning every police.uk detection figure carries."""
    report = outcome_lag(wh, plan, plan.force)
    start = incomplete_from(report)
    recent = (f"crimes recorded from {month_label(start)} on are not yet fully resolved"
              if start else "the lag could not be measured, so any month may be incomplete")
    return ("Detections from police.uk outcomes files, counted in the month of each crime's first "
            "detected outcome. Outcomes arrive for months after the crime: " + recent +
            " (paragon outcomes lag). Outcomes files carry no crime type, so a measure of one type "
            "counts only crimes whose street row is loaded.")
