"""The web's only doorway into the figures other modules compute (measures, stats, demo).

Everything the pages show about plan measures goes through here, cached by data version, so the
web never recomputes a figure its own way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from paragon.demo import is_demo
from paragon.measures.engine import crime_source, figure_from, monthly_components
from paragon.measures.periods import month_label, months_between, year_bounds
from paragon.plan import Plan
from paragon.warehouse import Warehouse
from paragon.web.context import WebContext


def warehouse_is_demo(wh: Warehouse) -> bool:
    """True when the warehouse was built by ``paragon demo`` (synthetic data)."""
    tables = {r["table_name"] for r in wh.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")}
    return "meta" in tables and is_demo(wh)


def latest_crime_month(ctx: WebContext) -> date | None:
    """First day of the newest month with recorded crime (the source the measures read)."""
    def compute() -> date | None:
        wh, plan = ctx.warehouse, ctx.plan()
        source = crime_source(wh, plan.force)
        if source is None:
            return None
        value = wh.scalar("SELECT max(month) FROM crimes WHERE force = ? AND source = ?",
                          [plan.force, source])
        return None if value is None else date(value.year, value.month, 1)

    return ctx.cached(("latest_crime_month",), compute)


def source_of(ctx: WebContext) -> str | None:
    return ctx.cached(("source",), lambda: crime_source(ctx.warehouse, ctx.plan().force))


def milestone_years(plan: Plan) -> list[str]:
    """The financial years for which the plan sets milestones (not baseline years)."""
    return sorted({y for row in plan.milestones for y, entry in row.years.items()
                   if entry.milestone is not None})


def display_year(ctx: WebContext, plan: Plan) -> str:
    """The financial year the pages report: the plan's current year if the data reaches it, else
    the newest plan year the data covers."""
    last = latest_crime_month(ctx)
    years = milestone_years(plan)
    if last is None:
        return plan.current_year
    covered = [y for y in years if year_bounds(y)[0] <= last]
    if plan.current_year in covered:
        return plan.current_year
    return covered[-1] if covered else plan.current_year


def milestones(ctx: WebContext, year: str, lpu: str | None = None) -> list[dict[str, Any]]:
    """Every milestone row for the year (force-wide or one LPU), from paragon.measures (its
    statistics, numpy and scipy.special, load when the first figure is computed: figures stored
    with the published version need none of them)."""
    from paragon.measures.milestones import milestone_table

    return ctx.cached(("milestones", year, lpu),
                      lambda: milestone_table(ctx.warehouse, ctx.plan(), year, lpu))


def monthly_series(ctx: WebContext, measure_id: str, start: date, end: date,
                   lpu: str | None = None) -> list[dict[str, Any]]:
    """One row per month with data in [start, end): period, value, numerator, denominator."""
    from paragon.measures import series

    months = len(months_between(start, end))
    return ctx.cached(("series", measure_id, start, end, lpu), lambda: series.monthly_series(
        ctx.warehouse, ctx.plan(), measure_id, lpu, months=months, end=end))


def control_chart(ctx: WebContext, measure_id: str, start: date, end: date,
                  lpu: str | None = None, breaks: tuple[str, ...] = (),
                  baseline: tuple[str, str] | None = None,
                  rare: bool = False) -> dict[str, Any]:
    """The measure's control chart over [start, end) (paragon.measures.charts): a count reads
    up to five years before ``end`` for its seasonal profile and charts only the window. The
    breaks analysts recorded (paragon.measures.breaks) are read on every call, so a break added
    from the command line shows at once. ``rare``: with the days between events of a count too
    rare for the chart (``rare_events``; the measure page shows it, sparklines do not)."""
    from paragon.measures.charts import chart_from_series, history_start, rare_events

    recorded = recorded_breaks(ctx, measure_id)

    def compute() -> dict[str, Any]:
        plan = ctx.plan()
        measure = plan.measure(measure_id)
        first = history_start(start, end) if measure.kind == "count" else start
        rows = monthly_series(ctx, measure_id, first, end, lpu)
        months = sum(1 for r in rows if r["period"] >= month_label(start))
        if months < 2:
            return {"measure": measure_id, "months_with_data": months, "points": [],
                    "centre": None, "lower_limit": None,
                    "upper_limit": None, "trial_limits": None, "method": "none", "breaks": [],
                    "caveats": ["Fewer than 2 months of data: no control chart."],
                    "seasonal": None, "baseline": None, "rare_events": None}
        chart = chart_from_series(plan, measure, rows, show_from=month_label(start),
                                  breaks=[*recorded, *breaks], baseline=baseline)
        return {**chart,
                "rare_events": rare_events(ctx.warehouse, plan, measure, chart, lpu) if rare
                else None}

    return ctx.cached(("chart", measure_id, start, end, lpu, breaks, recorded, baseline, rare),
                      compute)


def recorded_breaks(ctx: WebContext, measure_id: str) -> tuple[tuple[str, str], ...]:
    """(month, reason) of the breaks recorded for the measure (its own and every measure's)."""
    from paragon.measures.breaks import analyst_breaks

    return analyst_breaks(ctx.ops, measure_id)


def breaks_version(ctx: WebContext) -> tuple[tuple[Any, ...], ...]:
    """Every recorded break, for the keys of cached pages that draw many charts (a break added
    from the command line shows without waiting for the next ingest)."""
    from paragon.measures.breaks import list_breaks

    return tuple((r["break_id"], r["measure"], r["month"], r["reason"])
                 for r in list_breaks(ctx.ops))


def period_components(ctx: WebContext, measure_id: str, start: date, end: date,
                      lpu: str | None) -> dict[str, Any]:
    """The measure's figure for [start, end) in one LPU (for funnel plots)."""
    def compute() -> dict[str, Any]:
        plan = ctx.plan()
        months, source = monthly_components(ctx.warehouse, plan, measure_id, start, end, lpu)
        total = None
        for parts in months.values():
            total = parts if total is None else total + parts
        if total is None:
            return {"value": None}
        fig = figure_from(plan.measure(measure_id), start, end, lpu, total, source)
        return {"value": fig.value, "numerator": fig.numerator, "denominator": fig.denominator,
                "responses": fig.responses, "effective_n": fig.effective_n,
                "cohort_detected": fig.cohort_detected}

    return ctx.cached(("components", measure_id, start, end, lpu), compute)
