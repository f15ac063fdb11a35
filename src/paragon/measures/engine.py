"""The measures engine: each plan measure computed from the warehouse, for any period and LPU.

- count: recorded crimes matching the measure's selection, by recorded date;
- detection_rate: offences detected in the period (outcome of a 'detected' type dated in the period)
  divided by offences recorded in the period (the plan's footnote 6), plus the cohort rate (of the
  offences recorded in the period, the share detected so far);
- survey_proportion: weighted share of respondents giving a positive answer, excluding
  "don't know" and refusals, with the Kish effective sample size.

A measure reads one source per force and period: the force's own records where any are loaded for
the period, police.uk otherwise, and says which it used. police.uk rows have a month but no
recorded date, so periods are matched on ``coalesce(recorded_date, month)``; a measure police.uk
cannot answer (no category for it) raises :class:`MeasureUnavailable` rather than counting zero.
police.uk detection rates come from the outcomes files (``outcomes.py``) and carry a warning that
recent months are incomplete.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from paragon.errors import ParagonError
from paragon.geography.forces import TERRITORIAL
from paragon.measures.periods import add_months
from paragon.plan.schema import CrimeSelect, Measure, Plan
from paragon.warehouse import Warehouse

NON_RESPONSES = ("dont_know", "refused", "no_answer")


@dataclass(frozen=True)
class Figure:
    """One measure for one period and area, with what it was computed from."""

    measure: str
    kind: str
    start: date
    end: date
    lpu: str | None
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    responses: int | None = None
    effective_n: float | None = None
    cohort_detected: int | None = None
    source: str | None = None
    note: str | None = None
    warning: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        return out


RECORDED = "coalesce(recorded_date, month)"
ASB_CATEGORY = "Anti-social behaviour"
# police.uk ASB incidents, shaped like the crimes a count measure reads (plan init's ASB measure)
ASB_ROWS = ("(SELECT force, source, month, NULL::DATE AS recorded_date, lsoa_code, lpu_id, "
            f"'{ASB_CATEGORY}' AS category FROM asb_incidents)")


POLICEUK_DETECTIONS = (
    "Detections from police.uk outcomes files, in the month of each crime's first detected "
    "outcome. Outcomes arrive for months after the crime, so recent months are incomplete "
    "(paragon outcomes lag measures how long)."
)


class MeasureUnavailable(ParagonError):
    """The data loaded cannot answer this measure (the reason says why)."""


def crime_source(
    wh: Warehouse, force: str, start: date | None = None, end: date | None = None
) -> str | None:
    """'force' when the force's own records cover any of [start, end), else 'policeuk' when
    police.uk rows do, else None. Without a period: over all time."""
    period = f"AND {RECORDED} >= ? AND {RECORDED} < ?" if start and end else ""
    params = [start, end] if start and end else []
    for source in ("force", "policeuk"):
        found = wh.scalar(
            f"SELECT EXISTS (SELECT 1 FROM crimes WHERE force = ? AND source = ? {period})",
            [force, source, *params],
        )
        if found:
            return source
    return None


def select_clause(select: CrimeSelect, source: str | None) -> tuple[str, list[Any]]:
    """SQL condition (on table crimes) for a count measure's selection, and its parameters."""
    if select.all:
        return "TRUE", []
    if source == "policeuk":
        if not select.policeuk_categories:
            raise MeasureUnavailable(
                "police.uk data has no offence codes or flags for this measure's selection"
            )
        return "category IN (SELECT unnest(?))", [select.policeuk_categories]
    parts: list[str] = []
    params: list[Any] = []
    for column, values in (
        ("offence_code", select.offence_codes),
        ("offence_subgroup", select.offence_subgroups),
        ("offence_group", select.offence_groups),
    ):
        if values:
            parts.append(f"{column} IN (SELECT unnest(?))")
            params.append(list(values))
    for flag in select.flags:
        parts.append(f"is_{flag}")
    if not parts:
        if source is None and select.policeuk_categories:
            # no crimes at all in the period: the measure is read as police.uk would be (it
            # matches nothing), like a measure of the force's codes, not refused as if the
            # force's own records were loaded
            return "category IN (SELECT unnest(?))", [select.policeuk_categories]
        raise MeasureUnavailable(
            "this measure selects police.uk categories only, and the force's own records are loaded"
        )
    return "(" + " OR ".join(parts) + ")", params


def _area(lpu: str | None) -> tuple[str, list[Any]]:
    return ("lpu_id = ?", [lpu]) if lpu else ("TRUE", [])


def _crime_area(plan: Plan, lpu: str | None) -> tuple[str, list[Any]]:
    """An LPU's crimes by LSOA through the plan's geography (so a changed plan needs no
    re-ingest); a crime without an LSOA falls back to the LPU stored with it."""
    if not lpu:
        return "TRUE", []
    if plan.force not in TERRITORIAL:
        return _area(lpu)
    from paragon.geography.lpus import lpu_lsoas  # pyarrow and pyproj: only for an LPU

    lsoas = lpu_lsoas(plan, lpu)
    return "(lsoa_code IN (SELECT unnest(?)) OR (lsoa_code IS NULL AND lpu_id = ?))", [lsoas, lpu]


@dataclass(frozen=True)
class Components:
    """Additive parts of a figure for one month: sums over months give any longer period."""

    numerator: float = 0.0
    denominator: float = 0.0
    responses: int = 0
    sum_w2: float = 0.0
    cohort_detected: int = 0

    def __add__(self, other: Components) -> Components:
        return Components(
            self.numerator + other.numerator,
            self.denominator + other.denominator,
            self.responses + other.responses,
            self.sum_w2 + other.sum_w2,
            self.cohort_detected + other.cohort_detected,
        )


def _crime_filter(
    plan: Plan, measure: Measure, source: str | None, lpu: str | None
) -> tuple[str, list[Any]]:
    base = plan.measure(measure.of) if measure.kind == "detection_rate" and measure.of else measure
    assert base.select is not None
    where, params = select_clause(base.select, source)
    area, area_params = _crime_area(plan, lpu)
    return (
        f"force = ? AND source = ? AND {where} AND {area}",
        [plan.force, source, *params, *area_params],
    )


def _count_months(
    wh: Warehouse,
    plan: Plan,
    measure: Measure,
    start: date,
    end: date,
    lpu: str | None,
    source: str | None,
) -> dict[date, Components]:
    where, params = _crime_filter(plan, measure, source, lpu)
    asb = measure.select is not None and measure.select.policeuk_categories == [ASB_CATEGORY]
    rows = wh.query(
        f"SELECT date_trunc('month', {RECORDED})::DATE AS m, count(*) AS n "
        f"FROM {ASB_ROWS if asb else 'crimes'} "
        f"WHERE {where} AND {RECORDED} >= ? AND {RECORDED} < ? GROUP BY m",
        [*params, start, end],
    )
    return {r["m"]: Components(float(r["n"]), float(r["n"])) for r in rows}


def event_dates(
    wh: Warehouse, plan: Plan, measure_id: str, start: date, end: date, lpu: str | None = None
) -> list[date] | None:
    """The recording date of each crime a count measure counts in [start, end), in date order
    (one entry per crime, so a day with two crimes appears twice), from the force's own records;
    None when they are not the source for the period or any of its crimes has no date: police.uk
    gives only the month of a crime."""
    measure = plan.measure(measure_id)
    if measure.kind != "count" or crime_source(wh, plan.force, start, end) != "force":
        return None
    if lpu is not None:
        plan.lpu(lpu)
    try:
        where, params = _crime_filter(plan, measure, "force", lpu)
    except MeasureUnavailable:  # a police.uk-only selection: not from these records
        return None
    rows = wh.query(
        f"SELECT recorded_date AS d FROM crimes WHERE {where} AND {RECORDED} >= ? "
        f"AND {RECORDED} < ? ORDER BY {RECORDED}",
        [*params, start, end],
    )
    dates = [r["d"] for r in rows]
    return None if any(d is None for d in dates) else dates


def _detection_months(
    wh: Warehouse,
    plan: Plan,
    measure: Measure,
    start: date,
    end: date,
    lpu: str | None,
    source: str | None,
) -> dict[date, Components]:
    where, params = _crime_filter(plan, measure, source, lpu)
    rows = wh.query(
        f"""
        WITH c AS (
          SELECT recorded_date, outcome_date,
                 coalesce(outcome_type IN (SELECT unnest(?)), FALSE) AS detected
          FROM crimes WHERE {where}
        ),
        rec AS (
          SELECT date_trunc('month', recorded_date)::DATE AS m, count(*) AS recorded,
                 count(*) FILTER (WHERE detected) AS cohort
          FROM c WHERE recorded_date >= ? AND recorded_date < ? GROUP BY m
        ),
        det AS (
          SELECT date_trunc('month', outcome_date)::DATE AS m, count(*) AS detected
          FROM c WHERE detected AND outcome_date >= ? AND outcome_date < ? GROUP BY m
        )
        SELECT coalesce(rec.m, det.m) AS m, coalesce(recorded, 0) AS recorded,
               coalesce(cohort, 0) AS cohort, coalesce(detected, 0) AS detected
        FROM rec FULL OUTER JOIN det ON rec.m = det.m
        """,
        [list(plan.detected_outcomes), *params, start, end, start, end],
    )
    return {
        r["m"]: Components(
            float(r["detected"]), float(r["recorded"]), cohort_detected=int(r["cohort"])
        )
        for r in rows
    }


def _survey_months(
    wh: Warehouse, measure: Measure, start: date, end: date, lpu: str | None
) -> dict[date, Components]:
    area, area_params = _area(lpu)
    victim = "victim_type = ?" if measure.victim_type else "TRUE"
    victim_params = [measure.victim_type] if measure.victim_type else []
    rows = wh.query(
        f"""
        SELECT date_trunc('month', interview_date)::DATE AS m, count(*) AS n, sum(weight) AS w,
               coalesce(sum(weight) FILTER (WHERE answer IN (SELECT unnest(?))), 0) AS w_pos,
               sum(weight * weight) AS w2
        FROM survey_responses
        WHERE survey = ? AND question_id = ? AND answer NOT IN (SELECT unnest(?))
          AND interview_date >= ? AND interview_date < ? AND {victim} AND {area}
        GROUP BY m
        """,
        [
            list(measure.positive_answers),
            measure.survey,
            measure.question,
            list(NON_RESPONSES),
            start,
            end,
            *victim_params,
            *area_params,
        ],
    )
    return {
        r["m"]: Components(float(r["w_pos"]), float(r["w"]), int(r["n"]), float(r["w2"]))
        for r in rows
    }


def monthly_components(
    wh: Warehouse, plan: Plan, measure_id: str, start: date, end: date, lpu: str | None = None
) -> tuple[dict[date, Components], str | None]:
    """Per-month components of a measure in [start, end), and the data source used."""
    measure = plan.measure(measure_id)
    if lpu is not None:
        plan.lpu(lpu)
    if measure.kind == "survey_proportion":
        return _survey_months(wh, measure, start, end, lpu), "survey"
    source = crime_source(wh, plan.force, start, end)
    covered = _points_covered(wh, plan, measure) if source == "policeuk" else None
    if covered is not None and not any(start <= m < end for m in covered):
        from paragon.measures.availability import points_months

        held = sorted({c for m, types in points_months(wh, plan.force).items()
                       if start <= m < end for c in types})
        only = f" (the data loaded for those months holds only {', '.join(held)})" if held else ""
        raise MeasureUnavailable(
            f"no data loaded covers this measure from {start:%Y-%m} to "
            f"{add_months(end, -1):%Y-%m}{only}"
        )
    if measure.kind == "detection_rate" and source != "force":
        from paragon.measures import outcomes  # imports this module

        if source == "policeuk" or outcomes.has_outcomes(wh, plan.force):
            months = outcomes.detection_months(wh, plan, measure, start, end, lpu)
            return _only(months, covered), "policeuk"
    if measure.kind == "count":
        months = _count_months(wh, plan, measure, start, end, lpu, source)
        return _only(months, covered), source
    if measure.kind == "detection_rate":
        months = _detection_months(wh, plan, measure, start, end, lpu, source)
        return _only(months, covered), source
    raise ParagonError(f"measure kind '{measure.kind}' is not computable")  # pragma: no cover


def _points_covered(wh: Warehouse, plan: Plan, measure: Measure) -> frozenset[date] | None:
    """Where the force's police.uk data includes points files (which may hold a few crime types):
    the months the measure is covered in (measures.availability); None where every police.uk
    month is a full street file's. A measure covered in no month is unavailable, with the reason:
    its crime types are missing, never zero."""
    from paragon.measures import availability  # imports this module

    if not availability.points_months(wh, plan.force):
        return None
    cov = availability.coverage(wh, plan, measure)
    if cov is None:
        reason = availability.unavailable_reason(wh, plan, measure)
        raise MeasureUnavailable(reason or "no police.uk data covers this measure")
    return cov.months


def _only(months: dict[date, Components], covered: frozenset[date] | None
          ) -> dict[date, Components]:
    return months if covered is None else {m: c for m, c in months.items() if m in covered}


def figure_from(
    measure: Measure, start: date, end: date, lpu: str | None, parts: Components, source: str | None
) -> Figure:
    """The figure for a period from its summed components."""
    if measure.kind == "count":
        return Figure(
            measure.id,
            "count",
            start,
            end,
            lpu,
            parts.numerator,
            parts.numerator,
            None,
            source=source,
        )
    value = 100.0 * parts.numerator / parts.denominator if parts.denominator else None
    if measure.kind == "detection_rate":
        return Figure(
            measure.id,
            "detection_rate",
            start,
            end,
            lpu,
            value,
            parts.numerator,
            parts.denominator,
            cohort_detected=parts.cohort_detected,
            source=source,
            warning=POLICEUK_DETECTIONS if source == "policeuk" else None,
        )
    effective = parts.denominator**2 / parts.sum_w2 if parts.sum_w2 else 0.0
    return Figure(
        measure.id,
        "survey_proportion",
        start,
        end,
        lpu,
        value,
        parts.numerator,
        parts.denominator,
        responses=parts.responses,
        effective_n=effective,
        source=source,
    )


def compute_with_months(
    wh: Warehouse, plan: Plan, measure_id: str, start: date, end: date, lpu: str | None = None
) -> tuple[Figure, dict[date, Components]]:
    """The measure's figure for [start, end) and the monthly components it sums (none when the
    data loaded cannot answer it: then the value is None, with a note)."""
    measure = plan.measure(measure_id)
    try:
        months, source = monthly_components(wh, plan, measure_id, start, end, lpu)
    except MeasureUnavailable as exc:
        return Figure(measure.id, measure.kind, start, end, lpu, None, note=exc.message), {}
    total = sum(months.values(), Components())
    return figure_from(measure, start, end, lpu, total, source), months


def compute_months(
    wh: Warehouse,
    plan: Plan,
    measure_id: str,
    months: list[date],
    lpu: str | None = None,
) -> tuple[Figure, dict[date, Components]]:
    """The measure's figure summed over exactly ``months`` (first days, oldest first), and its
    monthly components: a period with gaps in its data is the sum of the months it covers."""
    measure = plan.measure(measure_id)
    if not months:
        raise ParagonError(f"no months given for measure '{measure_id}'")
    start, end = months[0], add_months(months[-1], 1)
    fig, parts = compute_with_months(wh, plan, measure_id, start, end, lpu)
    if fig.note:
        return fig, parts
    wanted = set(months)
    kept = {m: c for m, c in parts.items() if m in wanted}
    total = sum(kept.values(), Components())
    return figure_from(measure, start, end, lpu, total, fig.source), kept


def compute(
    wh: Warehouse, plan: Plan, measure_id: str, start: date, end: date, lpu: str | None = None
) -> Figure:
    """The measure's figure for [start, end) in the force or one LPU; value None, with a note,
    when the data loaded cannot answer it."""
    return compute_with_months(wh, plan, measure_id, start, end, lpu)[0]
