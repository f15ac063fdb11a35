"""The plan's four milestone tables, recomputed from the warehouse with their uncertainty.

For each milestone row and financial year: the computed value with its interval, the figure the plan
published beside it, the baseline, the change against the comparison year the plan uses (with its
interval and test, never a bare % change), the milestone as published and as recomputed from its
rule, the status (met / missed and whether beyond noise for a closed year; a projection with the
probability of meeting the milestone during the year), and flags wherever Paragon's figures and the
plan's disagree — including where the plan disagrees with its own rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from paragon.errors import ParagonError
from paragon.measures.assessment import (
    NO_CHANGE,
    change,
    closed_year,
    enough_responses,
    overdispersion,
    projection,
    value_interval,
)
from paragon.measures.availability import Coverage, coverage, coverage_key
from paragon.measures.engine import (
    Components,
    Figure,
    MeasureUnavailable,
    compute,
    compute_months,
    compute_with_months,
    monthly_components,
)
from paragon.measures.periods import add_months, months_between, parse_year, year_bounds, year_label
from paragon.plan.schema import Measure, MilestoneRow, Plan, YearEntry
from paragon.warehouse import Warehouse


@dataclass(frozen=True)
class Period:
    """The part of a financial year the data covers: ``covered`` are the months with data.
    ``state`` is complete (all 12 months), partial (the year to date: every month from April to
    the end of the data), incomplete (any other part of the year: data starting during the year,
    or months missing) or no data."""

    year: str
    start: date
    end: date
    months: int
    state: str
    covered: tuple[date, ...] = ()

    @property
    def partial(self) -> bool:
        return self.state == "partial"

    @property
    def expected(self) -> int:
        """Months in the financial year: 12."""
        return len(months_between(*year_bounds(self.year)))


def covered_period(cov: Coverage | None, year: str) -> Period:
    start, end = year_bounds(year)
    covered = tuple(cov.covered(start, end)) if cov is not None else ()
    if cov is None or not covered:
        return Period(year, start, end, 0, "no data")
    n = len(covered)
    if n == 12:
        return Period(year, start, end, 12, "complete", covered)
    to_date = add_months(start, n)
    if covered == tuple(months_between(start, to_date)) and cov.end == to_date:
        return Period(year, start, to_date, n, "partial", covered)
    return Period(year, start, end, n, "incomplete", covered)


def months_text(months: tuple[date, ...] | list[date]) -> str:
    """'April to June 2011', or 'February 2011', or runs joined: the months a figure covers."""
    runs: list[list[date]] = []
    for m in months:
        if runs and add_months(runs[-1][-1], 1) == m:
            runs[-1].append(m)
        else:
            runs.append([m])
    parts = []
    for run in runs:
        first, last = run[0], run[-1]
        if first == last:
            parts.append(f"{MONTH_NAMES[first.month - 1]} {first.year}")
        else:
            year = "" if first.year == last.year else f" {first.year}"
            parts.append(
                f"{MONTH_NAMES[first.month - 1]}{year} to {MONTH_NAMES[last.month - 1]} {last.year}"
            )
    return ", ".join(parts)


MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def round_half_up(value: float) -> float:
    return float(math.floor(value + 0.5))


def _shifted(period: Period, years: int) -> Period:
    """The same months ``years`` earlier (for comparisons over the same months)."""
    start, end = add_months(period.start, -12 * years), add_months(period.end, -12 * years)
    covered = tuple(add_months(m, -12 * years) for m in period.covered)
    return Period(year_label(start.year), start, end, period.months, period.state, covered)


def _comparison_year(row: MilestoneRow, year: str, entry: YearEntry | None) -> str:
    rule = entry.milestone.rule if entry and entry.milestone else None
    if rule and rule.type == "change" and rule.against:
        return rule.against
    if row.table == "reducing_crime" and row.baseline and entry and entry.performance:
        return "baseline"
    return year_label(parse_year(year) - 1)


def _against_label(row: MilestoneRow, against: str) -> str:
    if against == "baseline":
        return row.baseline.year if row.baseline else "baseline"
    return against


def _comparison(
    wh: Warehouse,
    plan: Plan,
    measure: Measure,
    row: MilestoneRow,
    period: Period,
    against: str,
    cov: Coverage | None,
    lpu: str | None,
) -> tuple[str, Figure | None]:
    """The figure the change is measured against: the same months of the comparison year, only
    when every one of them has data; for a complete year against a baseline year the data does not
    cover, the plan's published baseline (force-wide counts). Never a part year against a whole
    one."""
    label = _against_label(row, against)
    if against == "baseline" and not row.baseline:
        return label, None  # a rule against a baseline the row does not give
    years_back = parse_year(period.year) - parse_year(label)
    if years_back <= 0 or not period.covered:
        return label, None
    earlier = _shifted(period, years_back)
    if cov is None or not all(cov.covers(m) for m in earlier.covered):
        if against == "baseline" and row.baseline and not lpu and period.state == "complete":
            fig = Figure(
                measure.id,
                measure.kind,
                earlier.start,
                earlier.end,
                None,
                row.baseline.value,
                row.baseline.value,
                source="published baseline",
            )
            return f"{label} (published baseline)", fig
        return label, None
    fig, _ = compute_months(wh, plan, measure.id, list(earlier.covered), lpu)
    if period.state != "complete":
        label = f"{label} (same months: {months_text(earlier.covered)})"
    return label, fig


def recompute_milestone(entry: YearEntry | None, against_value: float | None) -> float | None:
    """The milestone from its rule: a value, or a % change applied to the figure it is against."""
    if entry is None or entry.milestone is None:
        return None
    rule = entry.milestone.rule
    if rule.type == "value":
        return rule.value
    if rule.type == "change" and against_value is not None and rule.pct is not None:
        return round_half_up(against_value * (1 + rule.pct / 100))
    return None


def _against_value(
    wh: Warehouse,
    plan: Plan,
    measure: Measure,
    row: MilestoneRow,
    against: str,
    lpu: str | None,
    cov: Coverage | None,
) -> float | None:
    """What a change rule applies to: the plan's published figure force-wide, the LPU's own
    figure for the whole comparison year for an LPU (only when the data covers all of it)."""
    if not lpu:
        if against == "baseline":
            return row.baseline.value if row.baseline else None
        prior = row.years.get(against)
        return prior.performance.value if prior and prior.performance else None
    if against == "baseline" and not row.baseline:
        return None
    year = row.baseline.year if against == "baseline" and row.baseline else against
    if covered_period(cov, year).state != "complete":
        return None
    return compute(wh, plan, measure.id, *year_bounds(year), lpu).value


def _history(
    wh: Warehouse,
    plan: Plan,
    measure: Measure,
    period: Period,
    cov: Coverage | None,
    lpu: str | None,
    most: int = 3,
) -> list[list[float]]:
    """Earlier financial years the data covers in full, as monthly counts, oldest first (the
    seasonal profile)."""
    first = add_months(period.start, -12 * most)
    if cov is None or not period.covered or not cov.covered(first, period.start):
        return []
    months, _ = monthly_components(wh, plan, measure.id, first, period.start, lpu)
    years = []
    for back in range(most, 0, -1):
        start = add_months(period.start, -12 * back)
        series = months_between(start, add_months(start, 12))
        if all(cov.covers(m) for m in series):
            years.append([months.get(m, Components()).numerator for m in series])
    return [y for y in years if sum(y) > 0]


def _status(
    plan: Plan,
    measure: Measure,
    fig: Figure,
    period: Period,
    milestone: float | None,
    months: dict[date, Components],
    history: list[list[float]],
    dispersion: float,
) -> dict[str, Any]:
    """Met or missed for a closed year, a projection for the year in progress, or why neither."""
    if fig.value is None:
        return {"status": "data not available" if fig.note else "no data"}
    if not enough_responses(plan, measure, fig):
        return {"status": "not enough responses"}
    if period.state == "incomplete":
        return {"status": "incomplete data"}
    if milestone is None:
        return {"status": None}
    if measure.better == "neutral":
        return {"status": "no direction set"}
    better = measure.better
    if not period.partial:
        return closed_year(plan, measure, fig, milestone, better, dispersion)
    observed = [
        months.get(m, Components()).numerator for m in months_between(period.start, period.end)
    ]
    return projection(plan, measure, fig, milestone, better, observed, history, dispersion)


def milestone_row(
    wh: Warehouse,
    plan: Plan,
    row: MilestoneRow,
    year: str,
    lpu: str | None = None,
    cov: Coverage | None = None,
) -> dict[str, Any]:
    """One row of a milestone table for one year (force-wide, or one LPU)."""
    measure = plan.measure(row.measure)
    cov = cov if cov is not None else coverage(wh, plan, measure)
    entry = row.years.get(year)
    period = covered_period(cov, year)
    if period.covered:
        fig, months = compute_months(wh, plan, measure.id, list(period.covered), lpu)
        fig = replace(fig, start=period.start, end=period.end)
    else:
        fig, months = compute_with_months(wh, plan, measure.id, period.start, period.end, lpu)
        fig = replace(fig, value=None)
    counted = measure.kind == "count" and fig.note is None
    history = _history(wh, plan, measure, period, cov, lpu) if counted else []
    dispersion = overdispersion(history)
    lower, upper = value_interval(plan, measure, fig, dispersion)
    perf = entry.performance if entry and not lpu and period.state == "complete" else None
    # a milestone the plan sets for the LPU names the year its rule (and the change) is against
    local_ms = entry.lpus.get(lpu) if lpu and entry else None
    against = _comparison_year(
        row, year, entry.model_copy(update={"milestone": local_ms}) if entry and local_ms else entry
    )
    compared_with, then = _comparison(wh, plan, measure, row, period, against, cov, lpu)
    base_fig = None
    if row.baseline and covered_period(cov, row.baseline.year).state == "complete":
        base_fig = compute(wh, plan, measure.id, *year_bounds(row.baseline.year), lpu)
    # An LPU has a milestone only where the plan sets one for it: the force's milestone is not
    # applied to the LPU's own figure.
    if lpu:
        published_ms = entry.lpus.get(lpu) if entry else None
        local = YearEntry(milestone=published_ms) if published_ms else None
        recomputed = recompute_milestone(
            local, _against_value(wh, plan, measure, row, against, lpu, cov)
        )
        milestone = published_ms.value if published_ms else None
    else:
        published_ms = entry.milestone if entry else None
        recomputed = recompute_milestone(
            entry, _against_value(wh, plan, measure, row, against, lpu, cov)
        )
        milestone = published_ms.value if published_ms else recomputed
    out: dict[str, Any] = {
        "table": row.table,
        "title": row.title,
        "measure": measure.id,
        "kind": measure.kind,
        "better": measure.better,
        "year": year,
        "lpu": lpu,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "months": period.months,
        "months_covered": period.months,
        "months_expected": period.expected,
        "months_text": months_text(period.covered) if period.covered else None,
        "partial_year": period.partial,
        "coverage": period.state,
        "source": fig.source,
        "note": fig.note,
        "unit": "count" if measure.kind == "count" else "percent",
        "value": _round(fig.value),
        "value_lower": _round(lower),
        "value_upper": _round(upper),
        "published_value": perf.value if perf else None,
        "published_text": perf.published if perf else None,
        "published_change_pct": perf.change_pct if perf else None,
        "baseline_year": row.baseline.year if row.baseline else None,
        "baseline": row.baseline.value if row.baseline and not lpu else None,
        "baseline_computed": _round(base_fig.value) if base_fig else None,
        "compared_with": compared_with,
        "comparison_value": _round(then.value) if then else None,
        "milestone_published": published_ms.published if published_ms else None,
        "milestone_rule": _rule_text(YearEntry(milestone=published_ms) if published_ms else None),
        "milestone": milestone,
        "milestone_recomputed": recomputed,
        "footnotes": row.footnotes,
    }
    if measure.kind == "detection_rate":
        out.update(
            detected=fig.numerator,
            recorded=fig.denominator,
            cohort_detected=fig.cohort_detected,
            published_count=perf.count if perf else None,
            milestone_count_published=published_ms.count if published_ms else None,
        )
    if measure.kind == "survey_proportion":
        out.update(responses=fig.responses, effective_n=_round(fig.effective_n))
    out.update(change(plan, measure, fig, then, dispersion))
    if period.state != "complete" and not period.partial:
        out["change_significant"] = None  # nothing incomplete is called significant
    out.update(_flags(out, perf, measure))
    out["dispersion"] = round(dispersion, 2) if measure.kind == "count" else None
    out.update(_status(plan, measure, fig, period, milestone, months, history, dispersion))
    unjudged = ("not enough responses", "no data", "data not available", "incomplete data")
    no_target = published_ms.rule.type if published_ms else None
    if no_target in ("benchmark", "not_available") and out["status"] not in unjudged:
        out["status"] = no_target
    if lpu and published_ms is None and out["status"] not in unjudged:
        out["status"] = NO_LOCAL_MILESTONE
    return out


NO_LOCAL_MILESTONE = "no local milestone"
"""Status of an LPU row for which the plan sets no milestone of its own."""


def _flags(out: dict[str, Any], perf: Any, measure: Measure) -> dict[str, Any]:
    """Where Paragon's figures and the plan's disagree, and where the plan disagrees with its own
    rules, say so — separately."""
    figure_flags: list[str] = []
    if perf is not None and out["value"] is not None:
        same = (
            out["value"] == perf.value
            if measure.kind == "count"
            else round_half_up(out["value"] * 10) / 10 == perf.value
        )
        if not same:
            figure_flags.append(
                f"computed {out['value']:,} but the plan published {perf.published}"
            )
    if perf is not None and perf.count is not None and out.get("detected") != perf.count:
        figure_flags.append(
            f"computed {out.get('detected')} detections, the plan published {perf.count}"
        )
    if (
        perf is not None
        and perf.change_pct is not None
        and out["change_pct"] is not None
        and round_half_up(out["change_pct"] * 10) / 10 != perf.change_pct
    ):
        figure_flags.append(
            f"computed change {out['change_pct']:+.1f}%, the plan published {perf.change_pct:+.1f}%"
        )
    if out["baseline"] is not None and out["baseline_computed"] not in (None, out["baseline"]):
        figure_flags.append(
            f"baseline computed {out['baseline_computed']:,.0f}, published {out['baseline']:,.0f}"
        )
    rule_flags: list[str] = []
    pub, rec = out["milestone"], out["milestone_recomputed"]
    if pub is not None and rec is not None and pub != rec:
        rule_flags.append(f"the milestone's rule gives {rec:,.0f}; the plan printed {pub:,.0f}")
    count = out.get("milestone_count_published")
    recorded = out.get("recorded")
    if count is not None and recorded and pub is not None and not out["partial_year"]:
        implied = round_half_up(pub / 100 * recorded)
        if implied != count:
            rule_flags.append(
                f"{pub:g}% of the {recorded:,.0f} offences recorded is "
                f"{implied:,.0f}; the plan printed {count:,}"
            )
    return {
        "performance_matches": (not figure_flags) if perf is not None else None,
        "milestone_matches_rule": (not rule_flags) if pub is not None and rec is not None else None,
        "flags": figure_flags + rule_flags,
    }


def _rule_text(entry: YearEntry | None) -> str | None:
    if entry is None or entry.milestone is None:
        return None
    rule = entry.milestone.rule
    if rule.type == "change":
        return f"{rule.pct:+g}% on {rule.against}"
    if rule.type == "value":
        return f"{rule.value:g}"
    return rule.type.replace("_", " ")


def _round(value: float | None) -> float | None:
    if value is None:
        return None
    return float(round(value, 3)) if value != int(value) else float(int(value))


def milestone_table(
    wh: Warehouse, plan: Plan, year: str, lpu: str | None = None
) -> list[dict[str, Any]]:
    """Every milestone row of the plan for ``year`` (force-wide, or for one LPU); a year outside
    the plan's years is a user error naming the years there are."""
    parse_year(year)
    years = plan_years(plan)
    if year not in years:
        raise ParagonError(
            f"the plan has no year {year}: its years are {', '.join(years) or 'none'}"
        )
    if lpu is not None:
        plan.lpu(lpu)
    coverages: dict[tuple[Any, ...], Coverage | None] = {}
    rows = []
    for row in plan.milestones:
        measure = plan.measure(row.measure)
        key = coverage_key(wh, plan, measure)
        try:
            if key not in coverages:
                coverages[key] = coverage(wh, plan, measure)
            rows.append(milestone_row(wh, plan, row, year, lpu, coverages[key]))
        except MeasureUnavailable as exc:
            rows.append(unavailable_row(plan, row, year, lpu, exc.message))
    return rows


def plan_years(plan: Plan) -> list[str]:
    """The financial years the plan covers: its years (first to last) and every year it sets a
    milestone for."""
    years = {y for row in plan.milestones for y, e in row.years.items() if e.milestone is not None}
    if plan.first_year and plan.last_year:
        first, last = parse_year(plan.first_year), parse_year(plan.last_year)
        years.update(year_label(y) for y in range(first, last + 1))
    return sorted(years)


def unavailable_row(
    plan: Plan, row: MilestoneRow, year: str, lpu: str | None, reason: str
) -> dict[str, Any]:
    """A milestone row that could not be computed: its measure id, status "data not available"
    and the reason in ``note``; every figure None. One measure never takes down the table."""
    measure = plan.measure(row.measure)
    start, end = year_bounds(year)
    entry = row.years.get(year)
    if lpu:
        published_ms = entry.lpus.get(lpu) if entry else None
    else:
        published_ms = entry.milestone if entry else None
    out: dict[str, Any] = dict.fromkeys(ROW_KEYS)
    out.update(
        table=row.table,
        title=row.title,
        measure=measure.id,
        kind=measure.kind,
        better=measure.better,
        year=year,
        lpu=lpu,
        period_start=start.isoformat(),
        period_end=end.isoformat(),
        months=0,
        months_covered=0,
        months_expected=12,
        partial_year=False,
        coverage="no data",
        note=reason,
        unit="count" if measure.kind == "count" else "percent",
        baseline_year=row.baseline.year if row.baseline else None,
        baseline=row.baseline.value if row.baseline and not lpu else None,
        milestone_published=published_ms.published if published_ms else None,
        milestone_rule=_rule_text(YearEntry(milestone=published_ms) if published_ms else None),
        milestone=published_ms.value if published_ms else None,
        footnotes=row.footnotes,
        flags=[],
        status="data not available",
    )
    return out


ROW_KEYS = (
    "table", "title", "measure", "kind", "better", "year", "lpu", "period_start", "period_end",
    "months", "months_covered", "months_expected", "months_text", "partial_year", "coverage",
    "source", "note", "unit", "value", "value_lower", "value_upper", "published_value",
    "published_text", "published_change_pct", "baseline_year", "baseline", "baseline_computed",
    "compared_with", "comparison_value", "milestone_published", "milestone_rule", "milestone",
    "milestone_recomputed", "footnotes", *NO_CHANGE, "performance_matches",
    "milestone_matches_rule", "flags", "dispersion", "status", "projection_note",
)  # fmt: skip
