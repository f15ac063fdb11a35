"""A measure's control chart: which chart fits the measure, on which months, with which breaks.

* counts: :func:`paragon.stats.control.count_chart` (seasonally adjusted XmR); the seasonal profile
  is estimated from up to :data:`HISTORY_MONTHS` months before the end, only the window is charted;
* detection rates (footnote 6: detected in the period ÷ recorded in the period, which can exceed
  100%): Laney's u′ chart, months with fewer than :data:`MIN_RECORDED` offences recorded suppressed;
* survey proportions: Laney's p′ chart on effective responses (responses ÷ the survey's design
  effect), months with fewer than :data:`paragon.stats.MIN_RESPONSES` effective responses
  suppressed;
* rare counts (a last segment averaging fewer events a month than the XmR chart needs):
  :func:`rare_events` adds a g chart of the days between events when the force's own records
  date each crime (police.uk gives only the month).

Breaks come from the plan (plan-wide and the measure's own) and from the analyst.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from paragon.errors import ParagonError
from paragon.measures.periods import add_months, month_label
from paragon.plan.schema import Measure, Plan
from paragon.stats.control import (
    MIN_RARE_MONTHS,
    count_chart,
    g_chart,
    proportion_chart,
    rare_months_chart,
)
from paragon.stats.proportions import MIN_RESPONSES

if TYPE_CHECKING:
    from paragon.warehouse import Warehouse

HISTORY_MONTHS = 60
"""Months of history read to estimate a count's seasonal profile (five years)."""
MIN_RECORDED = 30
"""A month's detection rate is charted only with at least this many offences recorded."""
CHART_METHODS = {
    "xmr_seasonal": "XmR chart of seasonally adjusted counts",
    "xmr": "XmR chart",
    "u_prime": "Laney u′ chart",
    "p_prime": "Laney p′ chart",
    "none": "no control chart",
}
"""Each chart method in words."""
ANALYST_REASON = "set by the analyst"
"""The reason shown for a break given for one chart only (``paragon spc --break``)."""


def parse_baseline(text: str | None) -> tuple[str, str] | None:
    """``YYYY-MM:YYYY-MM`` to a (first, last) pair; ``None`` for no text."""
    if not text:
        return None
    parts = text.split(":")
    if len(parts) != 2 or not all(_is_month(p) for p in parts) or parts[0] > parts[1]:
        raise ParagonError(f"a baseline is two months like 2016-10:2017-09, not '{text[:40]}'")
    return parts[0], parts[1]


def check_breaks(months: Sequence[str]) -> list[str]:
    """The analyst's break months, checked (``YYYY-MM`` each)."""
    for m in months:
        if not _is_month(m):
            raise ParagonError(f"a break is a month like 2016-10, not '{m[:40]}'")
    return sorted(set(months))


def _month_start(month: str) -> date:
    """'2011-04' -> 1 April 2011 (a month already checked)."""
    return date(int(month[:4]), int(month[5:7]), 1)


def _next_month(month: str) -> str:
    return month_label(add_months(_month_start(month), 1))


def _is_month(text: str) -> bool:
    year, _, month = text.partition("-")
    return len(year) == 4 and year.isdigit() and month.isdigit() and len(month) == 2 \
        and 1 <= int(month) <= 12


def counts_label(point: dict[str, Any]) -> str | None:
    """"11 of 6" (detected of recorded) for a detection rate, so a rate is always read with its
    counts: above 100% (crimes recorded earlier detected in the period) or on a few offences."""
    if point.get("numerator") is None or point.get("denominator") is None:
        return None
    return f"{point['numerator']:,.0f} of {point['denominator']:,.0f}"


def chart_from_series(
    plan: Plan,
    measure: Measure,
    rows: Sequence[dict[str, Any]],
    *,
    show_from: str | None = None,
    breaks: Sequence[str | tuple[str, str]] = (),
    baseline: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The chart of a monthly series (rows of ``monthly_series``), as JSON-ready data.

    ``rows`` may start before ``show_from`` (history for the seasonal profile of a count); only
    months from ``show_from`` are charted. ``breaks`` (months, or (month, reason) pairs: the
    analyst's, recorded or given for this chart) are added to the plan's own.
    """
    reasons = {m: ANALYST_REASON for m in (b for b in breaks if isinstance(b, str))}
    reasons.update(b for b in breaks if not isinstance(b, str))
    reasons.update({b.month: b.reason for b in plan.breaks_of(measure.id)})
    all_breaks = sorted(reasons)
    shown = [r for r in rows if show_from is None or r["period"] >= show_from]
    if len(shown) < 2:
        raise ParagonError(f"measure '{measure.id}' has fewer than 2 months of data to chart")
    if measure.kind == "count":
        chart = count_chart([float(r["numerator"]) for r in rows], [r["period"] for r in rows],
                            better=measure.better, breaks=all_breaks, baseline=baseline,
                            show_from=shown[0]["period"])
        unit = "count per month"
    elif measure.kind == "detection_rate":
        chart = proportion_chart(
            [float(r["numerator"]) for r in shown], [float(r["denominator"]) for r in shown],
            [r["period"] for r in shown], better=measure.better, kind="rate",
            min_size=MIN_RECORDED, breaks=all_breaks, baseline=baseline,
            size_name="offences recorded")
        unit = "percent"
    else:
        deff = plan.survey(measure.survey).design_effect if measure.survey else 1.0
        sizes = [(r["responses"] or 0) / deff for r in shown]
        chart = proportion_chart(
            [r["value"] / 100 * n for r, n in zip(shown, sizes, strict=True)], sizes,
            [r["period"] for r in shown], better=measure.better, kind="proportion",
            min_size=MIN_RESPONSES, breaks=all_breaks, baseline=baseline,
            size_name="effective responses")
        unit = "percent"
    data = chart.to_dict()
    points = []
    for raw, point in zip(shown, data["points"], strict=True):
        extra = {"numerator": raw["numerator"], "denominator": raw["denominator"],
                 "responses": raw.get("responses")}
        if measure.kind == "detection_rate":
            extra["counts"] = counts_label(raw)
        points.append({**point, **extra})
    return {
        "measure": measure.id,
        "title": measure.title,
        "kind": measure.kind,
        "better": measure.better,
        "unit": unit,
        "method": data["method"],
        "centre": data["centre"],
        "lower_limit": data["lower_limit"],
        "upper_limit": data["upper_limit"],
        "trial_limits": data["trial_limits"],
        # a break before the first month charted still splits the seasonal profile's history,
        # but starts no segment on this chart
        "breaks": [{"month": m, "reason": reasons[m]} for m in data["breaks"]
                   if shown[0]["period"] < m],
        "baseline": data["baseline"],
        "seasonal": data["seasonal"],
        "caveats": data["caveats"],
        "points": points,
    }


def history_start(start: date, end: date) -> date:
    """Where to start reading a series charted over [start, end): far enough back for the
    seasonal profile of a count."""
    return min(start, add_months(end, -HISTORY_MONTHS))


def show_from(last_period: str, months: int) -> str:
    """The first month of a window of ``months`` ending with ``last_period`` (YYYY-MM)."""
    return month_label(add_months(_month_start(last_period), 1 - months))


RARE_PREFIX = "too few events for a control chart"
"""How :func:`paragon.stats.control.count_chart` begins the reason of a rare segment."""
MIN_RARE_EVENTS = 3
"""Events needed for a g chart (two gaps between them)."""


def _rare_months(months: list[str], points: list[dict[str, Any]],
                 measure: Measure) -> dict[str, Any]:
    """Without the day of each event: the months' own counts against probability limits
    (:func:`paragon.stats.control.rare_months_chart`), over the same months as a g chart."""
    base: dict[str, Any] = {"from": months[0], "to": months[-1], "unit": "events a month"}
    wanted = set(months)
    counts = [int(p["value"]) for p in points if p["period"] in wanted]
    reason = None
    if len(counts) < MIN_RARE_MONTHS:
        reason = (f"{len(counts)} month{'s' if len(counts) != 1 else ''} in a row: rare counts "
                  f"need at least {MIN_RARE_MONTHS} to be charted month by month")
    elif not any(counts):
        reason = "no events in these months"
    if reason is not None:
        return {**base, "method": "none", "events": sum(counts), "reason": (
            "the data gives the month of each crime, not the day, so the days between events "
            f"cannot be counted; and {reason}")}
    r = rare_months_chart(counts, better=measure.better)
    last = next((m for m, c in zip(reversed(months), reversed(counts), strict=True) if c), None)
    return {
        **base,
        "method": "months",
        "events": sum(counts),
        "centre": r.centre,
        "dispersion": r.dispersion,
        "upper_count": r.upper_count,
        "empty_run": r.empty_run,
        "months": [{"period": m, "events": c, "variation": v}
                   for m, c, v in zip(months, counts, r.signals, strict=True)],
        "since_last": {"after": last, "months": r.run_since_last,
                       "variation": r.run_variation},
    }


def rare_events(wh: Warehouse, plan: Plan, measure: Measure, chart: dict[str, Any],
                lpu: str | None = None) -> dict[str, Any] | None:
    """A g chart of the days between events for a count whose last segment is too rare for the
    XmR chart (:data:`RARE_PREFIX`), over that segment's months; None for any other chart.

    The gaps between consecutive crimes of a stable rare process are geometric
    (:func:`paragon.stats.control.g_chart`): a gap above the upper limit means the events became
    rarer. The open gap from the last event to the end of the window is given and judged against
    the same limit. Only the segment's last unbroken run of months is read (the data may hold
    nothing for a month left out of the chart). Without dates (police.uk data) the months' own
    counts are judged against probability limits instead (:func:`_rare_months`); with fewer than
    :data:`MIN_RARE_EVENTS` events the result says why there is no g chart."""
    points = chart.get("points") or []
    if measure.kind != "count" or not points \
            or not str(points[-1].get("suppressed") or "").startswith(RARE_PREFIX):
        return None
    segment = points[-1]["segment"]
    months = [p["period"] for p in points if p["segment"] == segment]
    # the last unbroken run of charted months: a month missing from the data may have had events
    for k in range(len(months) - 1, 0, -1):
        if _next_month(months[k - 1]) != months[k]:
            months = months[k:]
            break
    start, end = _month_start(months[0]), add_months(_month_start(months[-1]), 1)
    base: dict[str, Any] = {"from": months[0], "to": months[-1], "unit": "days between events"}
    from paragon.measures.engine import event_dates

    dates = event_dates(wh, plan, measure.id, start, end, lpu)
    if dates is None:
        return _rare_months(months, points, measure)
    if len(dates) < MIN_RARE_EVENTS:
        return {**base, "method": "none", "events": len(dates), "reason": (
            f"{len(dates)} event{'s' if len(dates) != 1 else ''} in these months: the days "
            f"between events need at least {MIN_RARE_EVENTS} events")}
    gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
    g = g_chart([float(d) for d in gaps], better=measure.better)
    open_gap = (end - dates[-1]).days - 1  # whole days after the last event
    return {
        **base,
        "method": "g",
        "events": len(dates),
        "centre": g.centre,
        "upper_limit": g.upper_limit,
        "gaps": [{"after": a.isoformat(), "until": b.isoformat(), "days": d, "variation": v}
                 for (a, b), d, v in zip(itertools.pairwise(dates), gaps, g.signals,
                                         strict=True)],
        "since_last": {"after": dates[-1].isoformat(), "days": open_gap,
                       "variation": g.judge(open_gap)},
    }
