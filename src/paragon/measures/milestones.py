"""The plan's four milestone tables, recomputed from the warehouse with their uncertainty.

For each milestone row and financial year: the computed value with its interval, the figure the plan
published beside it (flagged where they differ), the baseline, the change against the comparison
year the plan uses (with its interval and test, never a bare % change), the milestone as published
and as recomputed from its rule (flagged where they differ), and the status: met / missed (and
whether the gap is beyond noise) for a closed year, or a projection with the probability of meeting
the milestone for the current year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from paragon.measures.availability import data_end
from paragon.measures.engine import Components, Figure, compute, monthly_components
from paragon.measures.periods import add_months, months_between, parse_year, year_bounds, year_label
from paragon.plan.schema import Measure, MilestoneRow, Plan, YearEntry
from paragon.stats import (
    assess_closed_year,
    compare_counts,
    newcombe_difference,
    project_count_year_end,
    project_proportion_year_end,
    wilson_interval,
)
from paragon.stats.projection import poisson_exact_interval
from paragon.warehouse import Warehouse


@dataclass(frozen=True)
class Period:
    """The part of a financial year the data covers."""

    year: str
    start: date
    end: date
    months: int
    partial: bool


def covered_period(wh: Warehouse, plan: Plan, measure: Measure, year: str) -> Period:
    start, end = year_bounds(year)
    last = data_end(wh, plan, measure)
    if last is not None and start < last < end:
        return Period(year, start, last, len(months_between(start, last)), True)
    return Period(year, start, end, 12, False)


def _shifted(period: Period, years: int) -> Period:
    """The same months ``years`` earlier (for year-to-date comparisons)."""
    start, end = add_months(period.start, -12 * years), add_months(period.end, -12 * years)
    return Period(year_label(start.year), start, end, period.months, period.partial)


def _deff(plan: Plan, measure: Measure) -> float:
    return plan.survey(measure.survey).design_effect if measure.survey else 1.0


def _n(fig: Figure) -> float:
    """The sample size a proportion's interval uses: responses or offences recorded."""
    if fig.kind == "survey_proportion":
        return float(fig.responses or 0)
    return float(fig.denominator or 0)


def value_interval(plan: Plan, measure: Measure, fig: Figure) -> tuple[float | None, float | None]:
    """95% interval of a figure: exact Poisson for counts, Wilson (design effect) for rates."""
    if fig.value is None:
        return None, None
    if fig.kind == "count":
        return poisson_exact_interval(int(fig.value))
    n = _n(fig)
    est = wilson_interval(fig.value / 100 * n, n, 0.95, _deff(plan, measure))
    if est.lower is None or est.upper is None:
        return None, None
    return 100 * est.lower, 100 * est.upper


def change(plan: Plan, measure: Measure, now: Figure, then: Figure | None) -> dict[str, Any]:
    """Change from ``then`` to ``now`` with its interval and significance."""
    if then is None or now.value is None or then.value is None:
        return {
            "change_pct": None,
            "change_lower": None,
            "change_upper": None,
            "change_unit": None,
            "change_significant": None,
            "change_test": None,
        }
    if now.kind == "count":
        c = compare_counts(int(then.value), int(now.value))
        return {
            "change_pct": c.percent_change,
            "change_lower": c.percent_change_lower,
            "change_upper": c.percent_change_upper,
            "change_unit": "%",
            "change_significant": c.p_value < 0.05,
            "change_p_value": c.p_value,
            "change_test": c.test_method,
        }
    deff = _deff(plan, measure)
    d = newcombe_difference(now.value / 100, _n(now) / deff, then.value / 100, _n(then) / deff)
    return {
        "change_pct": _pct(d.difference),
        "change_lower": _pct(d.lower),
        "change_upper": _pct(d.upper),
        "change_unit": "percentage points",
        "change_significant": d.significant,
        "change_test": "Newcombe hybrid score interval",
    }


def _pct(value: float | None) -> float | None:
    return None if value is None else 100 * value


def _comparison_year(row: MilestoneRow, year: str, entry: YearEntry | None) -> str:
    rule = entry.milestone.rule if entry and entry.milestone else None
    if rule and rule.type == "change" and rule.against:
        return rule.against
    if row.table == "reducing_crime" and row.baseline and entry and entry.performance:
        return "baseline"
    return year_label(parse_year(year) - 1)


def recompute_milestone(
    row: MilestoneRow, entry: YearEntry | None, against_value: float | None
) -> float | None:
    """The milestone from its rule: a value, or a % change applied to the figure it is against."""
    if entry is None or entry.milestone is None:
        return None
    rule = entry.milestone.rule
    if rule.type == "value":
        return rule.value
    if rule.type == "change" and against_value is not None and rule.pct is not None:
        return float(round(against_value * (1 + rule.pct / 100)))
    return None


def _published_against(row: MilestoneRow, against: str) -> float | None:
    if against == "baseline":
        return row.baseline.value if row.baseline else None
    prior = row.years.get(against)
    return prior.performance.value if prior and prior.performance else None


def _figure_for(
    wh: Warehouse, plan: Plan, measure: Measure, period: Period, lpu: str | None
) -> Figure:
    return compute(wh, plan, measure.id, period.start, period.end, lpu)


def _comparison(
    wh: Warehouse,
    plan: Plan,
    measure: Measure,
    row: MilestoneRow,
    period: Period,
    against: str,
    lpu: str | None,
) -> tuple[str, Figure | None]:
    """The figure the change is measured against: same months of the comparison year."""
    if against == "baseline":
        if row.baseline is None:
            return against, None
        years_back = parse_year(period.year) - parse_year(row.baseline.year)
        label = row.baseline.year
    else:
        years_back = parse_year(period.year) - parse_year(against)
        label = against
    if years_back <= 0:
        return label, None
    earlier = _shifted(period, years_back)
    return label, _figure_for(wh, plan, measure, earlier, lpu)


def _status(
    wh: Warehouse,
    plan: Plan,
    measure: Measure,
    fig: Figure,
    period: Period,
    milestone: float | None,
    lpu: str | None,
) -> dict[str, Any]:
    if milestone is None or fig.value is None:
        return {"status": None}
    better: Literal["higher", "lower"] = "lower" if measure.better == "lower" else "higher"
    if not period.partial:
        n = None if fig.kind == "count" else _n(fig)
        value = fig.value if fig.kind == "count" else fig.value / 100
        target = milestone if fig.kind == "count" else milestone / 100
        a = assess_closed_year(value, target, better, n=n, design_effect=_deff(plan, measure))
        return {"status": a.outcome, "beyond_noise": a.beyond_noise}
    if fig.kind == "count":
        months, _ = monthly_components(wh, plan, measure.id, period.start, period.end, lpu)
        observed = [
            months.get(m, Components()).numerator
            for m in months_between(period.start, period.end)
        ]
        history = _previous_years(wh, plan, measure, period, lpu)
        if not history:
            return {"status": "in progress", "assurance": "no history for a projection"}
        p = project_count_year_end(observed, history, milestone, better=better)
        scale = 1.0
    else:
        n = _n(fig)
        p = project_proportion_year_end(
            fig.value / 100 * n,
            n,
            milestone / 100,
            better=better,
            design_effect=_deff(plan, measure),
        )
        scale = 100.0
    return {
        "status": "in progress",
        "projected": None if p.projected is None else p.projected * scale,
        "projected_80": None if p.interval_80 is None else [v * scale for v in p.interval_80],
        "projected_95": None if p.interval_95 is None else [v * scale for v in p.interval_95],
        "probability_met": p.probability_met,
        "assurance": p.assurance,
    }


def _previous_years(
    wh: Warehouse, plan: Plan, measure: Measure, period: Period, lpu: str | None, most: int = 3
) -> list[list[float]]:
    """Complete earlier financial years (monthly counts), newest last, for the seasonal profile."""
    first = add_months(period.start, -12 * most)
    months, _ = monthly_components(wh, plan, measure.id, first, period.start, lpu)
    if not months:
        return []
    years = []
    for back in range(most, 0, -1):
        start = add_months(period.start, -12 * back)
        series = [months.get(m) for m in months_between(start, add_months(start, 12))]
        if all(c is not None for c in series):
            years.append([c.numerator for c in series if c is not None])
    return years


def milestone_row(
    wh: Warehouse, plan: Plan, row: MilestoneRow, year: str, lpu: str | None = None
) -> dict[str, Any]:
    """One row of a milestone table for one year (force-wide, or one LPU)."""
    measure = plan.measure(row.measure)
    entry = row.years.get(year)
    period = covered_period(wh, plan, measure, year)
    fig = _figure_for(wh, plan, measure, period, lpu)
    lower, upper = value_interval(plan, measure, fig)
    perf = entry.performance if entry and not lpu and not period.partial else None
    against = _comparison_year(row, year, entry)
    against_label, then = _comparison(wh, plan, measure, row, period, against, lpu)
    base_fig = None
    if row.baseline:
        base_fig = compute(wh, plan, measure.id, *year_bounds(row.baseline.year), lpu)
    against_value = (
        _published_against(row, against)
        if not lpu
        else (then.value if then and not period.partial else None)
    )
    recomputed = recompute_milestone(row, entry, against_value)
    published_ms = entry.milestone if entry else None
    milestone = published_ms.value if published_ms and not lpu else recomputed
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
        "partial_year": period.partial,
        "source": fig.source,
        "unit": "count" if measure.kind == "count" else "percent",
        "value": _round(fig.value),
        "value_lower": _round(lower),
        "value_upper": _round(upper),
        "published_value": perf.value if perf else None,
        "published_text": perf.published if perf else None,
        "baseline_year": row.baseline.year if row.baseline else None,
        "baseline": row.baseline.value if row.baseline and not lpu else None,
        "baseline_computed": _round(base_fig.value) if base_fig else None,
        "compared_with": (
            f"{against_label} (same {period.months} months)" if period.partial else against_label
        ),
        "comparison_value": _round(then.value) if then else None,
        "milestone_published": published_ms.published if published_ms else None,
        "milestone_rule": _rule_text(entry),
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
        )
    if measure.kind == "survey_proportion":
        out.update(responses=fig.responses, effective_n=_round(fig.effective_n))
    out.update(change(plan, measure, fig, then))
    out.update(_flags(out, perf, measure))
    out.update(_status(wh, plan, measure, fig, period, milestone, lpu))
    if published_ms and published_ms.rule.type in ("benchmark", "not_available"):
        out["status"] = published_ms.rule.type
    return out


def _flags(out: dict[str, Any], perf: Any, measure: Measure) -> dict[str, Any]:
    """Where Paragon's figure and the plan's disagree, say so."""
    flags: list[str] = []
    if perf is not None and out["value"] is not None:
        same = (
            out["value"] == perf.value
            if measure.kind == "count"
            else round(out["value"], 1) == round(perf.value, 1)
        )
        if not same:
            flags.append(f"computed {out['value']:,} but the plan published {perf.published}")
    if perf is not None and perf.count is not None and out.get("detected") != perf.count:
        flags.append(
            f"computed {out.get('detected')} detections but the plan published {perf.count}"
        )
    if out["baseline"] is not None and out["baseline_computed"] not in (None, out["baseline"]):
        flags.append(
            f"baseline computed {out['baseline_computed']:,} but published {out['baseline']:,}"
        )
    pub, rec = out["milestone"], out["milestone_recomputed"]
    if pub is not None and rec is not None and pub != rec:
        flags.append(f"milestone recomputed from its rule is {rec:,.0f}, published {pub:,.0f}")
    return {"matches_published": not flags if perf is not None else None, "flags": flags}


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
    """Every milestone row of the plan for ``year`` (force-wide, or for one LPU)."""
    parse_year(year)
    if lpu is not None:
        plan.lpu(lpu)
    return [milestone_row(wh, plan, row, year, lpu) for row in plan.milestones]
