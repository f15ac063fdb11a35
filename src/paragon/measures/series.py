"""Monthly series of a measure and its control chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from paragon.errors import ParagonError
from paragon.measures import charts
from paragon.measures.availability import coverage, unavailable_reason
from paragon.measures.engine import Components, figure_from, monthly_components
from paragon.measures.periods import add_months, month_label
from paragon.plan.schema import Plan
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
        reason = unavailable_reason(wh, plan, measure) or "ingest some first"
        raise ParagonError(f"no data for measure '{measure_id}': {reason}")
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
    wh: Warehouse,
    plan: Plan,
    measure_id: str,
    lpu: str | None = None,
    months: int = DEFAULT_MONTHS,
    *,
    breaks: Sequence[str] = (),
    recorded: Sequence[tuple[str, str]] = (),
    baseline: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The measure's monthly control chart over its last ``months`` months, as JSON-ready data
    (paragon.measures.charts: seasonally adjusted XmR for counts, Laney u′/p′ for rates and
    surveys). A count reads up to five years of history for its seasonal profile. ``breaks`` are
    months given for this chart only, ``recorded`` the (month, reason) breaks an analyst recorded
    (paragon.measures.breaks); the plan's own always apply."""
    measure = plan.measure(measure_id)
    history = max(months, charts.HISTORY_MONTHS) if measure.kind == "count" else months
    rows = monthly_series(wh, plan, measure_id, lpu, history)
    if len(rows) < 2:
        raise ParagonError(f"measure '{measure_id}' has fewer than 2 months of data")
    first = charts.show_from(rows[-1]["period"], months)
    chart = charts.chart_from_series(plan, measure, rows, show_from=first,
                                     breaks=[*recorded, *charts.check_breaks(breaks)],
                                     baseline=baseline)
    return {**chart, "lpu": lpu,
            "rare_events": charts.rare_events(wh, plan, measure, chart, lpu)}
