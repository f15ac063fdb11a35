"""Uncertainty for milestone figures: intervals, changes, closed-year status and projections.

- counts: exact Poisson intervals; changes by the E-test on the counts divided by the measure's
  dispersion factor from earlier years (quasi-Poisson);
- detection rates (footnote 6: detected in the period ÷ recorded in the period): this is not a
  proportion of one group — it can exceed 100% — so it is treated as a Poisson count of detections
  per offence recorded: exact Poisson interval on the detections, changes by the E-test with the
  offences recorded as exposures;
- survey results: Wilson intervals on responses ÷ the survey's design effect, changes by Newcombe's
  interval, and "not enough responses" below the minimum.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import numpy as np

from paragon.measures.engine import Figure
from paragon.plan.schema import Measure, Plan
from paragon.stats import (
    assess_closed_year,
    compare_counts,
    newcombe_difference,
    project_count_year_end,
    project_proportion_year_end,
    wilson_interval,
)
from paragon.stats.projection import poisson_exact_interval

Direction = Literal["higher", "lower"]


def design_effect(plan: Plan, measure: Measure) -> float:
    return plan.survey(measure.survey).design_effect if measure.survey else 1.0


def _pct(value: float | None) -> float | None:
    return None if value is None else 100 * value


def overdispersion(history: list[list[float]]) -> float:
    """Quasi-Poisson dispersion factor of monthly counts (at least 1).

    Each earlier year's months are compared with what that year's total and the average seasonal
    profile predict; Pearson's chi-squared over its degrees of freedom says how much more the months
    vary than Poisson counts would. Real crime counts are usually overdispersed (one-off events,
    recording drives), and ignoring it makes "beyond noise" and projections too confident.
    """
    years = np.array([y for y in history if sum(y) > 0], dtype=float)
    if len(years) < 2:
        return 1.0
    totals = years.sum(axis=1)
    shares = (years / totals[:, None]).mean(axis=0)
    expected = totals[:, None] * shares[None, :]
    ok = expected > 0
    chi2 = float((((years - expected) ** 2)[ok] / expected[ok]).sum())
    df = years.size - len(years) - (years.shape[1] - 1)
    return max(1.0, chi2 / df) if df > 0 else 1.0


def survey_successes(fig: Figure) -> float:
    """The weighted positive answers behind a survey percentage, within [0, responses]: a figure
    of 100% (or 0%) rebuilt from its percentage can land a rounding error outside them."""
    responses = float(fig.responses or 0)
    return min(responses, max(0.0, float(fig.value or 0) / 100 * responses))


def value_interval(
    plan: Plan, measure: Measure, fig: Figure, dispersion: float = 1.0
) -> tuple[float | None, float | None]:
    """95% interval of a figure, in its own unit (count, or percent). Counts: exact Poisson,
    widened for overdispersion by working on the count divided by the dispersion factor."""
    if fig.value is None:
        return None, None
    if fig.kind == "count":
        lo, hi = poisson_exact_interval(round(fig.value / dispersion))
        return lo * dispersion, hi * dispersion
    if fig.kind == "detection_rate":
        lo, hi = poisson_exact_interval(int(fig.numerator or 0))
        recorded = float(fig.denominator or 0)
        return 100 * lo / recorded, 100 * hi / recorded
    responses = float(fig.responses or 0)
    est = wilson_interval(
        survey_successes(fig), responses, 0.95, design_effect(plan, measure)
    )
    return _pct(est.lower), _pct(est.upper)


def enough_responses(plan: Plan, measure: Measure, fig: Figure) -> bool:
    if fig.kind != "survey_proportion" or fig.value is None:
        return True
    responses = float(fig.responses or 0)
    est = wilson_interval(
        survey_successes(fig), responses, 0.95, design_effect(plan, measure)
    )
    return est.status == "ok"


NO_CHANGE: dict[str, Any] = {
    "change_pct": None,
    "change_lower": None,
    "change_upper": None,
    "change_unit": None,
    "change_significant": None,
    "change_p_value": None,
    "change_test": None,
    "change_dispersion": None,
    "change_points": None,
}


def change(
    plan: Plan, measure: Measure, now: Figure, then: Figure | None, dispersion: float = 1.0
) -> dict[str, Any]:
    """Change from ``then`` to ``now`` with its 95% interval and significance.

    Counts are compared quasi-Poisson with the ``dispersion`` factor of the measure's earlier
    years (see :func:`overdispersion`); detection rates and survey results as they are."""
    if then is None or now.value is None or then.value is None:
        return dict(NO_CHANGE)
    if now.kind in ("count", "detection_rate"):
        if now.kind == "count":
            # Financial years are compared as whole years, as the plan does (not per day).
            c = compare_counts(int(then.value), int(now.value), dispersion=max(1.0, dispersion))
            unit = "%"
        else:
            c = compare_counts(
                int(then.numerator or 0),
                int(now.numerator or 0),
                float(then.denominator or 1),
                float(now.denominator or 1),
            )
            unit = "% of the rate"
        points = None
        if now.kind == "detection_rate":
            points = now.value - then.value
        return {
            "change_pct": c.percent_change,
            "change_lower": c.percent_change_lower,
            "change_upper": c.percent_change_upper,
            "change_unit": unit,
            "change_significant": c.p_value < 0.05,
            "change_p_value": c.p_value,
            "change_test": c.test_method,
            "change_dispersion": c.dispersion,
            "change_points": points,
        }
    deff = design_effect(plan, measure)
    d = newcombe_difference(
        now.value / 100,
        float(now.responses or 0) / deff,
        then.value / 100,
        float(then.responses or 0) / deff,
    )
    return {
        "change_pct": _pct(d.difference),
        "change_lower": _pct(d.lower),
        "change_upper": _pct(d.upper),
        "change_unit": "percentage points",
        "change_significant": d.significant,
        "change_p_value": None,
        "change_test": "Newcombe hybrid score interval" if d.status == "ok" else d.status,
        "change_dispersion": None,
        "change_points": _pct(d.difference),
    }


def closed_year(
    plan: Plan,
    measure: Measure,
    fig: Figure,
    milestone: float,
    better: Direction,
    dispersion: float = 1.0,
) -> dict[str, Any]:
    """Met or missed, and whether the gap is beyond noise (counts: quasi-Poisson, the count and
    the milestone both divided by the dispersion factor)."""
    assert fig.value is not None
    if fig.kind == "count":
        a = assess_closed_year(float(round(fig.value / dispersion)), milestone / dispersion, better)
        a = replace(a, outcome="met" if _met(fig.value, milestone, better) else "missed")
    elif fig.kind == "detection_rate":
        expected = milestone / 100 * float(fig.denominator or 0)
        a = assess_closed_year(float(fig.numerator or 0), expected, better)
    else:
        a = assess_closed_year(
            fig.value / 100,
            milestone / 100,
            better,
            n=float(fig.responses or 0),
            design_effect=design_effect(plan, measure),
        )
        if a.status != "ok":
            return {"status": "not enough responses"}
    return {"status": a.outcome, "beyond_noise": a.beyond_noise}


def _met(value: float, milestone: float, better: Direction) -> bool:
    return value <= milestone if better == "lower" else value >= milestone


def projection(
    plan: Plan,
    measure: Measure,
    fig: Figure,
    milestone: float,
    better: Direction,
    observed: list[float],
    history: list[list[float]],
    dispersion: float = 1.0,
) -> dict[str, Any]:
    """The projected year-end value, its intervals, the chance of meeting the milestone."""
    assert fig.value is not None
    scale = 1.0
    if fig.kind == "count":
        # Fewer than two complete earlier years: refused, with the reason (projection_note).
        p = project_count_year_end(
            observed, history, milestone, better=better, dispersion=max(1.0, dispersion)
        )
        if p.projected is None:
            return {"status": "in progress", "assurance": p.assurance,
                    "projection_note": p.reason}
    else:
        if fig.kind == "detection_rate":
            n = float(fig.denominator or 0)
            successes = min(float(fig.numerator or 0), n)
            deff = 1.0
        else:
            n = float(fig.responses or 0)
            successes = survey_successes(fig)
            deff = design_effect(plan, measure)
        p = project_proportion_year_end(
            successes, n, milestone / 100, better=better, design_effect=deff
        )
        scale = 100.0
    return {
        "status": "in progress",
        "projected": None if p.projected is None else p.projected * scale,
        "projected_80": None if p.interval_80 is None else [v * scale for v in p.interval_80],
        "projected_95": None if p.interval_95 is None else [v * scale for v in p.interval_95],
        "probability_met": None if p.probability_met is None else round(p.probability_met, 4),
        "assurance": p.assurance,
        "projection_note": p.reason,
    }
