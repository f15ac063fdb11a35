"""What the analyst pages show: every milestone with its control-chart sparkline and assurance, a
measure's XmR chart and LPU funnel plot with the tables behind them, and data quality."""

from __future__ import annotations

from datetime import date
from typing import Any

from paragon.errors import ParagonError
from paragon.measures.availability import Coverage, coverage, data_end, unavailable_reason
from paragon.measures.charts import MIN_RECORDED, counts_label
from paragon.measures.periods import add_months, month_label, months_between, year_bounds
from paragon.stats import funnel_proportions, funnel_rates
from paragon.stats.proportions import MIN_RESPONSES
from paragon.web.context import WebContext
from paragon.web.data import charts, words
from paragon.web.data.adapters import control_chart, milestones, period_components
from paragon.web.data.areas import area_index

SPARK_MONTHS = 24
DEFAULT_MONTHS = 24
OPTIONAL_FIELDS = ("projected", "probability_met", "assurance", "beyond_noise", "change_pct",
                   "change_lower", "change_upper", "change_significant", "value_lower",
                   "value_upper", "milestone_published")


def measure_end(ctx: WebContext, measure_id: str) -> date | None:
    plan = ctx.plan()
    return ctx.cached(("data_end", measure_id),
                      lambda: data_end(ctx.warehouse, plan, plan.measure(measure_id)))


def rate_counts(ctx: WebContext, row: dict[str, Any]) -> dict[str, Any] | None:
    """Detected and recorded offences behind a detection-rate milestone row, so the rate is read
    with its counts ("11 of 6": a rate can pass 100%, as detections include crimes recorded
    earlier); ``None`` for other measures or without a figure."""
    if row.get("kind") != "detection_rate" or row.get("value") is None:
        return None
    start = date.fromisoformat(str(row["period_start"])[:10])
    end = date.fromisoformat(str(row["period_end"])[:10])
    part = period_components(ctx, row["measure"], start, end, row.get("lpu"))
    if part.get("numerator") is None or part.get("denominator") is None:
        return None
    return {"detected": part["numerator"], "recorded": part["denominator"],
            "label": counts_label(part)}


def too_few(row: dict[str, Any], counts: dict[str, Any] | None) -> str | None:
    """Why a milestone row's figure is too small to judge (the charts' minimum denominators),
    else ``None``."""
    if counts is not None and counts["recorded"] < MIN_RECORDED:
        return f"fewer than {MIN_RECORDED} offences recorded"
    effective = row.get("effective_n")
    if row.get("kind") == "survey_proportion" and effective is not None \
            and effective < MIN_RESPONSES:
        return f"fewer than {MIN_RESPONSES:g} effective survey responses"
    return None


def dashboard_rows(ctx: WebContext, year: str, lpu: str | None) -> list[dict[str, Any]]:
    rows = []
    for r in milestones(ctx, year, lpu):
        status = words.milestone_status(r)
        counts = rate_counts(ctx, r)
        small = too_few(r, counts)
        if small and r.get("status") in ("met", "missed", "in progress"):
            status = {"label": "Too few to judge", "tone": "unknown",
                      "sentence": f"Not judged against the milestone: {small}."}
        end = measure_end(ctx, r["measure"])
        spark: dict[str, Any] = {"points": []}
        if end is not None and r.get("status") != "data not available":
            try:
                spark = control_chart(ctx, r["measure"], add_months(end, -SPARK_MONTHS), end, lpu)
            except ParagonError as exc:  # one measure never takes the dashboard down
                spark = {"points": [], "note": exc.message}
        rows.append({
            **dict.fromkeys(OPTIONAL_FIELDS),
            **{k: v for k, v in r.items() if not isinstance(v, list | dict)},
            "flags": "; ".join(r.get("flags") or []),
            "status_label": status["label"], "tone": status["tone"],
            "status_sentence": status["sentence"],
            "counts": counts["label"] if counts else None,
            "detected": counts["detected"] if counts else None,
            "recorded": counts["recorded"] if counts else None,
            "over_100": bool(counts and counts["detected"] > counts["recorded"]),
            "too_few": small,
            "spark": {"centre": spark.get("centre"), "lower_limit": spark.get("lower_limit"),
                      "upper_limit": spark.get("upper_limit"), "method": spark.get("method"),
                      "points": [{"period": p["period"], "value": p["value"],
                                  "plotted": p.get("plotted"), "variation": p["variation"],
                                  "signal": p["signal"], "suppressed": p.get("suppressed")}
                                 for p in spark.get("points", [])]},
            "spark_summary": charts.spark_summary(spark),
        })
    return rows


def parse_month(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        year, month = text.split("-")
        parsed = date(int(year), int(month), 1)
    except ValueError as exc:
        raise ParagonError(f"{field} must be a month like 2011-06, not '{text[:20]}'") from exc
    if not 1900 <= parsed.year <= 2200:  # month arithmetic must stay inside Python's dates
        raise ParagonError(f"{field} must be a month between 1900-01 and 2200-12")
    return parsed


def measure_coverage(ctx: WebContext, measure_id: str) -> Coverage | None:
    plan = ctx.plan()
    return ctx.cached(("coverage", measure_id),
                      lambda: coverage(ctx.warehouse, plan, plan.measure(measure_id)))


def measure_window(ctx: WebContext, measure_id: str, start_text: str | None,
                   end_text: str | None) -> tuple[date, date]:
    """[start, end) from the filter (months inclusive), defaulting to the last 24 months with
    data (never before the first month of data); without data, the plan's current year."""
    cov = measure_coverage(ctx, measure_id)
    last = cov.end if cov else year_bounds(ctx.plan().current_year)[1]
    to = parse_month(end_text, "to")
    end = add_months(to, 1) if to else last
    start = parse_month(start_text, "from") or add_months(end, -DEFAULT_MONTHS)
    if not start_text and cov is not None and cov.start < end:
        start = max(start, cov.start)
    if start >= end:
        raise ParagonError("The period must start before it ends.")
    if (end.year - start.year) * 12 + end.month - start.month > 240:
        raise ParagonError("The period can be at most 20 years long.")
    return start, end


def funnel(ctx: WebContext, measure_id: str, start: date, end: date) -> dict[str, Any] | None:
    """LPUs on a funnel plot for [start, end): rates per 1,000 residents or proportions, with
    limits that allow for overdispersion between LPUs when the data show it (Spiegelhalter)."""
    plan = ctx.plan()
    measure = plan.measure(measure_id)
    index = area_index(ctx)
    units, events, sizes = [], [], []
    for lpu in plan.lpus:
        part = period_components(ctx, measure_id, start, end, lpu.id)
        if part["value"] is None:
            continue
        if measure.kind == "count":
            event, size = int(part["numerator"]), float(index.lpu(lpu.id).population)
        elif measure.kind == "detection_rate":
            event, size = int(part["cohort_detected"] or 0), float(part["denominator"])
        else:
            deff = plan.survey(measure.survey).design_effect if measure.survey else 1.0
            size = float(round((part["responses"] or 0) / deff))
            event = round(size * part["value"] / 100)
        if size > 0:
            units.append(lpu.name)
            events.append(event)
            sizes.append(size)
    if len(units) < 2:
        return None
    if measure.kind == "count":
        plot = funnel_rates(events, sizes, units, per=1000.0, adjust="auto").to_dict()
        plot.update(value_title="crimes per 1,000 residents", size_title="residents")
    else:
        plot = funnel_proportions(events, [int(s) for s in sizes], units,
                                  adjust="auto").to_dict()
        plot["per"] = 100.0
        plot["target"] *= 100
        if plot["overdispersion"]:
            plot["overdispersion"]["tau2"] *= 100 * 100
        for u in plot["units"]:
            for key in ("value", "lower_95", "upper_95", "lower_998", "upper_998"):
                u[key] *= 100
        title = ("offences recorded" if measure.kind == "detection_rate"
                 else "effective responses")
        plot.update(value_title="%", size_title=title)
    return plot


def parse_baseline(start_text: str | None, end_text: str | None) -> tuple[str, str] | None:
    """The analyst's baseline months (both or neither), checked."""
    if not start_text and not end_text:
        return None
    if not (start_text and end_text):
        raise ParagonError("A baseline needs both its first and its last month.")
    first, last = parse_month(start_text, "baseline from"), parse_month(end_text, "baseline to")
    if first is None or last is None or first > last:
        raise ParagonError("The baseline must start before it ends.")
    return month_label(first), month_label(last)


def measure_page(ctx: WebContext, measure_id: str, lpu: str | None, start: date,
                 end: date, baseline: tuple[str, str] | None = None) -> dict[str, Any]:
    plan = ctx.plan()
    measure = plan.measure(measure_id)
    unavailable = None
    try:
        chart = control_chart(ctx, measure_id, start, end, lpu, baseline=baseline, rare=True)
        plot = ctx.cached(("funnel", measure_id, start, end), lambda: funnel(ctx, measure_id,
                                                                              start, end))
    except ParagonError as exc:  # the data cannot answer this measure: say why, on a page
        unavailable, plot = exc.message, None
        chart = {"points": [], "centre": None, "lower_limit": None, "upper_limit": None,
                 "trial_limits": None, "method": None, "breaks": [], "caveats": [],
                 "baseline": None, "seasonal": None}
    cov = measure_coverage(ctx, measure_id)
    if cov is None:
        unavailable = (f"no results of the '{measure.survey}' survey are loaded"
                       if measure.kind == "survey_proportion"
                       else unavailable_reason(ctx.warehouse, plan, measure)
                       or "no crime records for this force are loaded")
    expected = len(months_between(start, end))
    covered = len(cov.covered(start, end)) if cov else 0
    unit = "count" if measure.kind == "count" else "percent"
    points = [{k: p.get(k) for k in ("period", "value", "plotted", "seasonal_index", "numerator",
                                     "denominator", "counts", "centre", "lower_limit",
                                     "upper_limit", "moving_range", "signal", "variation",
                                     "segment", "suppressed")} for p in chart["points"]]
    data: dict[str, Any] = {
        "measure": {"id": measure.id, "title": measure.title, "kind": measure.kind,
                    "better": measure.better, "priority": measure.priority,
                    "control_plan": measure.control_plan},
        "filters": {"lpu": lpu, "from": month_label(start),
                    "to": month_label(add_months(end, -1)),
                    "baseline_from": baseline[0] if baseline else None,
                    "baseline_to": baseline[1] if baseline else None},
        "lpus": [{"id": x.id, "name": x.name} for x in plan.lpus],
        "unavailable": unavailable,
        "months_covered": covered, "months_expected": expected,
        "data_from": month_label(cov.start) if cov else None,
        "data_to": month_label(add_months(cov.end, -1)) if cov else None,
        "control_chart": {**{k: chart.get(k) for k in ("method", "centre", "lower_limit",
                                                       "upper_limit", "trial_limits", "breaks",
                                                       "caveats", "baseline",
                                                       "rare_events")},
                          "method_words": charts.chart_method_words(chart.get("method"))},
        "seasonal_profile": charts.seasonal_rows(chart.get("seasonal")),
        "points": points,
        "funnel": {k: plot[k] for k in ("kind", "target", "per", "value_title", "size_title",
                                        "overdispersion")}
        if plot else None,
        "funnel_units": plot["units"] if plot else [],
        "tables": ["points", *(["seasonal_profile"] if chart.get("seasonal") else []),
                   "funnel_units"],
        "charts": {"xmr": charts.xmr_spec(chart, measure.title, unit)},
    }
    if plot:
        data["charts"]["funnel"] = charts.funnel_spec(plot, measure.title, plot["value_title"],
                                                      measure.better)
    return data


def quality(ctx: WebContext, ingest_id: int | None, reason: str | None) -> dict[str, Any]:
    """The ingests and what each one quarantined, with a capped sample of quarantined rows."""
    wh, cap = ctx.warehouse, ctx.settings.query_row_cap
    ingests = wh.query(
        "SELECT ingest_id, file_name, kind, started_at, finished_at, rows_read, rows_loaded, "
        "rows_quarantined, rows_duplicate, status, message FROM ingests ORDER BY ingest_id DESC",
        limit=cap,
    )
    reasons = wh.query(
        "SELECT ingest_id, reason, count(*) AS rows FROM quarantine "
        "WHERE ingest_id = coalesce(?, ingest_id) GROUP BY ALL ORDER BY rows DESC, reason",
        [ingest_id], limit=cap,
    )
    limit = min(200, cap)
    rows = wh.query(
        "SELECT ingest_id, file_name, line_number, column_name, reason, raw_text FROM quarantine "
        "WHERE ingest_id = coalesce(?, ingest_id) AND reason = coalesce(?, reason) "
        "ORDER BY ingest_id DESC, line_number LIMIT ?",
        [ingest_id, reason, limit], limit=limit,
    )
    totals = {k: sum(int(i[k]) for i in ingests) for k in
              ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")}
    return {"filters": {"ingest": ingest_id, "reason": reason}, "totals": totals,
            "ingests": ingests, "reasons": reasons, "quarantine": rows,
            "quarantine_shown": len(rows), "quarantine_limit": limit,
            "tables": ["ingests", "reasons", "quarantine"]}
