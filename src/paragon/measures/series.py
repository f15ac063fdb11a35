"""Monthly series of a measure and its XmR control chart."""

from __future__ import annotations

from datetime import date
from typing import Any

from paragon.errors import ParagonError
from paragon.measures.availability import coverage
from paragon.measures.engine import Components, figure_from, monthly_components
from paragon.measures.periods import add_months, month_label
from paragon.plan.schema import Plan
from paragon.stats import xmr
from paragon.warehouse import Warehouse

DEFAULT_MONTHS = 36


def monthly_series(
    wh: Warehouse,
    plan: Plan,
    measure_id: str,
    lpu: str | None = None,
    months: int = DEFAULT_MONTHS,
    end: date | None = None,
) -> list[dict[str, Any]]:
    """The covered months among the last ``months`` complete months of a measure (value,
    numerator, denominator). A month without data is missing, not zero: it is left out, and the
    window never reaches before the first month of data."""
    measure = plan.measure(measure_id)
    cov = coverage(wh, plan, measure)
    if cov is None:
        raise ParagonError(f"no data for measure '{measure_id}': ingest some first")
    end = end or cov.end
    start = max(add_months(end, -months), cov.start)
    covered = cov.covered(start, end)
    if not covered:
        return []
    parts, source = monthly_components(wh, plan, measure_id, start, end, lpu)
    out = []
    for month in covered:
        fig = figure_from(
            measure, month, add_months(month, 1), lpu, parts.get(month, Components()), source
        )
        if fig.value is None:
            continue
        out.append(
            {
                "period": month_label(month),
                "value": round(fig.value, 3),
                "numerator": fig.numerator,
                "denominator": fig.denominator,
                "responses": fig.responses,
            }
        )
    return out


def control_chart(
    wh: Warehouse, plan: Plan, measure_id: str, lpu: str | None = None, months: int = DEFAULT_MONTHS
) -> dict[str, Any]:
    """The measure's monthly XmR chart with Making Data Count signals, as JSON-ready data."""
    measure = plan.measure(measure_id)
    series = monthly_series(wh, plan, measure_id, lpu, months)
    if len(series) < 2:
        raise ParagonError(f"measure '{measure_id}' has fewer than 2 months of data")
    chart = xmr([p["value"] for p in series], [p["period"] for p in series], better=measure.better)
    data = chart.to_dict()
    points = []
    for raw, point in zip(series, data["points"], strict=True):
        points.append({**point, "numerator": raw["numerator"], "denominator": raw["denominator"]})
    return {
        "measure": measure.id,
        "title": measure.title,
        "kind": measure.kind,
        "better": measure.better,
        "lpu": lpu,
        "unit": "count per month" if measure.kind == "count" else "percent",
        "centre": data["centre"],
        "lower_limit": data["lower_limit"],
        "upper_limit": data["upper_limit"],
        "trial_limits": data["trial_limits"],
        "points": points,
    }
