"""Charts as Vega-Lite specs (rendered in the browser by the vendored vega-embed), and tiny
server-drawn SVG sparklines. Every chart's data is also on the page as a table.

Colours follow Making Data Count: blue for improvement, orange for concern, grey for common-cause
variation; each also differs in shape so colour is never the only cue.
"""

from __future__ import annotations

import calendar
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
BLUE, ORANGE, GREY, INK = "#1d5fa6", "#b35900", "#6b6b6b", "#1f2933"
VARIATION_COLOURS = {"improvement": BLUE, "concern": ORANGE, "common": GREY, "neither": "#7a4fa0"}
VARIATION_SHAPES = {"improvement": "circle", "concern": "diamond", "common": "circle",
                    "neither": "square"}


def _base(description: str, height: int = 260) -> dict[str, Any]:
    return {"$schema": SCHEMA, "description": description, "width": "container",
            "height": height, "config": {"font": "system-ui, sans-serif",
                                         "axis": {"labelColor": INK, "titleColor": INK},
                                         "view": {"stroke": None}}}


CHART_WORDS = {
    "xmr_seasonal": "Control chart of seasonally adjusted monthly counts (each month divided by "
                    "its usual seasonal level)",
    "xmr": "Control chart of monthly values",
    "u_prime": "Control chart of monthly rates, limits wider for months with fewer offences",
    "p_prime": "Control chart of monthly survey results, limits wider for months with fewer "
               "responses",
    "none": "No control chart: too few data",
}


def chart_method_words(method: str | None) -> str:
    """The chart's method in words (the methods page names the techniques)."""
    return CHART_WORDS.get(method or "none", CHART_WORDS["none"])


def seasonal_rows(profile: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The seasonal profile as a table: month, index and its 95% interval."""
    if not profile:
        return []
    return [{"month": m, "index": i, "lower_95": lo, "upper_95": hi}
            for m, i, lo, hi in zip(profile["months"], profile["index"], profile["lower"],
                                    profile["upper"], strict=True)]


def xmr_spec(chart: dict[str, Any], title: str, unit: str) -> dict[str, Any]:
    """Control chart: the plotted values (seasonally adjusted counts, or the rate), centre line
    and limits per point, signals coloured; months shown but not judged are hollow grey; a
    dashed vertical rule marks each break in recording practice."""
    adjusted = chart.get("method") == "xmr_seasonal"
    points = [
        {"period": p["period"], "value": p.get("plotted"), "raw": p["value"],
         "centre": p.get("centre"), "lower": p.get("lower_limit"), "upper": p.get("upper_limit"),
         "variation": "not judged" if p.get("suppressed") else p["variation"],
         "signal": p["signal"], "counts": p.get("counts")}
        for p in chart.get("points", [])
    ]
    # the legend lists what this chart can show: "neither" only for a neutral measure,
    # "not judged" only when some month is
    kinds = ["improvement", "concern", "common"]
    if chart.get("better") == "neutral" or any(p["variation"] == "neither" for p in points):
        kinds = ["neither", "common"]
    if any(p["variation"] == "not judged" for p in points):
        kinds.append("not judged")
    x = {"field": "period", "type": "temporal", "timeUnit": "yearmonth", "title": None}
    y_title = ("seasonally adjusted per month" if adjusted else
               "per month" if unit == "count" else "%")
    rule = {"mark": {"type": "line", "strokeDash": [6, 4], "color": GREY},
            "encoding": {"x": x}}
    colours = {k: {**VARIATION_COLOURS, "not judged": "#b0b0b0"}[k] for k in kinds}
    shapes = {k: {**VARIATION_SHAPES, "not judged": "triangle-up"}[k] for k in kinds}
    counts = ([{"field": "counts", "title": "detected of recorded"}]
              if any(p["counts"] for p in points) else [])
    layers: list[dict[str, Any]] = [
        {**rule, "encoding": {"x": x, "y": {"field": "upper", "type": "quantitative"}}},
        {**rule, "encoding": {"x": x, "y": {"field": "lower", "type": "quantitative"}}},
        {"mark": {"type": "line", "color": GREY},
         "encoding": {"x": x, "y": {"field": "centre", "type": "quantitative"}}},
    ]
    if chart.get("method") in ("u_prime", "p_prime"):
        # limits that vary with each month's size: stepped, with a tick at every judged month so
        # a month between two months not judged still shows its limits
        for layer in layers[:2]:
            layer["mark"] = {**layer["mark"], "interpolate": "step"}
        layers += [{"mark": {"type": "point", "shape": "M-1,0L1,0", "color": GREY,
                             "strokeWidth": 1.5, "size": 80},
                    "encoding": {"x": x, "y": {"field": field, "type": "quantitative"}}}
                   for field in ("upper", "lower")]
    if adjusted:
        layers.append({"mark": {"type": "line", "color": "#9aa5b1", "strokeDash": [2, 2]},
                       "encoding": {"x": x, "y": {"field": "raw", "type": "quantitative"}}})
    layers += [
        {"mark": {"type": "line", "color": INK, "strokeWidth": 1.5},
         "encoding": {"x": x, "y": {"field": "value", "type": "quantitative",
                                    "title": y_title, "scale": {"zero": False},
                                    "axis": {"format": ",~f"}}}},
        {"transform": [{"calculate": "datum.value === null ? datum.raw : datum.value",
                        "as": "shown"}],
         "mark": {"type": "point", "filled": True, "size": 60},
         "encoding": {
             "x": x, "y": {"field": "shown", "type": "quantitative"},
             "color": _legend_scale("variation", colours, "Variation"),
             "shape": _legend_scale("variation", shapes, "Variation"),
             "tooltip": [{"field": "period", "type": "temporal", "timeUnit": "yearmonth"},
                         {"field": "raw", "type": "quantitative", "format": ",.1f",
                          "title": "value"},
                         *counts,
                         {"field": "value", "type": "quantitative", "format": ",.1f",
                          "title": "charted"},
                         {"field": "signal"}, {"field": "variation"}]}},
    ]
    for b in chart.get("breaks") or []:
        layers.append({"data": {"values": [{"period": b["month"], "reason": b["reason"]}]},
                       "mark": {"type": "rule", "color": INK, "strokeDash": [3, 3]},
                       "encoding": {"x": x, "tooltip": [{"field": "reason"}]}})
    return {
        **_base(f"Control chart of {title}: monthly values with centre line and process limits."),
        "data": {"values": points},
        "layer": layers,
    }


def _legend_scale(field: str, mapping: dict[str, str], title: str) -> dict[str, Any]:
    return {"field": field, "type": "nominal", "title": title,
            "scale": {"domain": list(mapping), "range": list(mapping.values())},
            "legend": {"orient": "bottom", "columns": 4}}


def position_colours(better: str) -> dict[str, str]:
    """Funnel positions coloured by what they mean for this measure: blue better, orange worse."""
    if better == "lower":
        return {"within": GREY, "above": ORANGE, "below": BLUE}
    if better == "higher":
        return {"within": GREY, "above": BLUE, "below": ORANGE}
    return {"within": GREY, "above": "#7a4fa0", "below": "#7a4fa0"}


def funnel_spec(funnel: dict[str, Any], title: str, value_title: str,
                better: str = "neutral") -> dict[str, Any]:
    """Funnel plot: each LPU's value against its size, with 95% and 99.8% limits."""
    units = [{"unit": u["unit"], "size": u["size"], "value": u["value"],
              "position": u["classification"]} for u in funnel["units"]]
    curve = funnel_curve(funnel)
    x = {"field": "size", "type": "quantitative", "title": funnel.get("size_title", "size"),
         "scale": {"zero": False}}
    line = {"mark": {"type": "line", "color": GREY}}
    layers: list[dict[str, Any]] = [
        {**line, "mark": {**line["mark"], "strokeDash": dash},
         "encoding": {"x": x, "y": {"field": field, "type": "quantitative"}}}
        for field, dash in (("upper_95", [4, 3]), ("lower_95", [4, 3]),
                            ("upper_998", [1, 0]), ("lower_998", [1, 0]))
    ]
    layers.append({"mark": {"type": "rule", "color": INK},
                   "encoding": {"y": {"datum": funnel["target"]}}})
    layers = [{**layer, "data": {"values": curve}} for layer in layers[:4]] + layers[4:]
    layers.append({
        "data": {"values": units}, "mark": {"type": "point", "filled": True, "size": 80},
        "encoding": {"x": x, "y": {"field": "value", "type": "quantitative",
                                   "title": value_title, "scale": {"zero": False}},
                     "color": _legend_scale("position", position_colours(better), "Position"),
                     "tooltip": [{"field": "unit"}, {"field": "value", "format": ",.2f"},
                                 {"field": "size", "format": ",.0f"}, {"field": "position"}]}})
    layers.append({"data": {"values": units}, "mark": {"type": "text", "dx": 8, "align": "left",
                                                       "fontSize": 10, "color": INK},
                   "encoding": {"x": x, "y": {"field": "value", "type": "quantitative"},
                                "text": {"field": "unit"}}})
    return {**_base(f"Funnel plot of {title} across local policing units, with 95% and "
                    f"99.8% control limits.", 300), "layer": layers}


def funnel_curve(funnel: dict[str, Any], points: int = 40) -> list[dict[str, float]]:
    """The funnel's limits at sizes spanning the units' sizes."""
    from paragon.stats.funnel import Overdispersion, limits_curve  # numpy, scipy.special

    sizes = [u["size"] for u in funnel["units"]]
    if not sizes:
        return []
    lo, hi = min(sizes) * 0.8, max(sizes) * 1.1
    per = funnel["per"]
    target = funnel["target"] / per
    od = funnel.get("overdispersion")
    adjusted = Overdispersion(**od) if od else None

    grid = [lo + (hi - lo) * i / (points - 1) for i in range(points)]
    l95, u95 = limits_curve(funnel["kind"], target, grid, 0.95, adjusted, per)
    l998, u998 = limits_curve(funnel["kind"], target, grid, 0.998, adjusted, per)
    return [{"size": size, "lower_95": float(l95[i]) * per, "upper_95": float(u95[i]) * per,
             "lower_998": float(l998[i]) * per, "upper_998": float(u998[i]) * per}
            for i, size in enumerate(grid)]


def comparison_bars(rows: list[dict[str, Any]], last_label: str,
                    before_label: str) -> dict[str, Any]:
    """Crime by category: the last 12 months beside the 12 before."""
    values = []
    for r in rows:
        values.append({"category": r["category"], "period": before_label,
                       "crimes": r["previous_12_months"]})
        values.append({"category": r["category"], "period": last_label,
                       "crimes": r["last_12_months"]})
    return {
        **_base("Recorded crime by category: the last 12 months beside the 12 months before.",
                max(120, 34 * len(rows))),
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "category", "type": "nominal", "sort": None, "title": None,
                  "axis": {"labelLimit": 150}},
            "yOffset": {"field": "period", "sort": [before_label, last_label]},
            "x": {"field": "crimes", "type": "quantitative", "title": "crimes",
                  "axis": {"tickCount": 5}},
            "color": {"field": "period", "type": "nominal", "title": None,
                      "scale": {"domain": [before_label, last_label], "range": ["#8da4bd", BLUE]},
                      "legend": {"orient": "bottom", "columns": 1}},
            "tooltip": [{"field": "category"}, {"field": "period"},
                        {"field": "crimes", "format": ","}],
        },
    }


def monthly_lines(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Crimes and ASB per month as lines over the window; with one month of data, that month
    alone, drawn in the middle with its figures written beside the points (a time axis over the
    whole window would put it at an edge)."""
    counted = [r for r in rows
               if r["crimes"] is not None or r.get("anti_social_behaviour") is not None]
    if len(counted) == 1:
        return single_month_points(counted[0])
    values = []
    for r in rows:
        values.append({"month": r["month"], "series": "Crimes", "count": r["crimes"]})
        if r.get("anti_social_behaviour"):
            values.append({"month": r["month"], "series": "Anti-social behaviour",
                           "count": r["anti_social_behaviour"]})
    return {
        **_base("Crimes and anti-social behaviour incidents per month, last 24 months.", 220),
        "data": {"values": values},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": None},
            "y": {"field": "count", "type": "quantitative", "title": "per month",
                  "axis": {"tickCount": 5}},
            "color": {"field": "series", "type": "nominal", "title": None,
                      "scale": {"domain": ["Crimes", "Anti-social behaviour"],
                                "range": [BLUE, ORANGE]},
                      "legend": {"orient": "bottom", "columns": 1}},
            "strokeDash": {"field": "series", "type": "nominal", "title": None,
                           "scale": {"domain": ["Crimes", "Anti-social behaviour"],
                                     "range": [[1, 0], [5, 3]]},
                           "legend": {"orient": "bottom", "columns": 1}},
        },
    }


def single_month_points(row: dict[str, Any]) -> dict[str, Any]:
    """The one month with data: a point per series in the middle of the chart, each labelled
    with its count."""
    series = [("Crimes", row["crimes"], BLUE),
              ("Anti-social behaviour", row.get("anti_social_behaviour"), ORANGE)]
    shown = [(name, n, colour) for name, n, colour in series if n is not None]
    values = [{"month": row["month"], "series": name, "count": n} for name, n, _ in shown]
    year, month = (int(x) for x in str(row["month"]).split("-")[:2])
    words = ", ".join(f"{n:,} {'crimes' if name == 'Crimes' else 'anti-social behaviour incidents'}"
                      for name, n, _ in shown)
    return {
        **_base(f"{calendar.month_name[month]} {year}, the one month with data: {words}.", 220),
        "data": {"values": values},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "timeUnit": "yearmonth", "title": None,
                  "axis": {"labelAngle": 0}},
            "y": {"field": "count", "type": "quantitative", "title": "per month",
                  "axis": {"tickCount": 5}},
            "color": {"field": "series", "type": "nominal", "title": None,
                      "scale": {"domain": [name for name, _, _ in shown],
                                "range": [colour for _, _, colour in shown]},
                      "legend": {"orient": "bottom", "columns": 1}},
        },
        "layer": [
            {"mark": {"type": "point", "filled": True, "size": 90, "opacity": 1},
             "encoding": {"shape": {"field": "series", "type": "nominal", "title": None,
                                    "scale": {"domain": ["Crimes", "Anti-social behaviour"],
                                              "range": ["circle", "diamond"]},
                                    "legend": None}}},
            {"mark": {"type": "text", "align": "left", "dx": 10, "fontSize": 13},
             "encoding": {"text": {"field": "count", "type": "quantitative", "format": ","}}},
        ],
    }


def sparkline_svg(chart: dict[str, Any], width: int = 150, height: int = 36) -> str:
    """A small XmR sparkline as inline SVG: values, centre, limits, signals as dots."""
    charted = [(p, _charted(p)) for p in chart.get("points") or []]
    points = [p for p, v in charted if v is not None]
    values = [v for _, v in charted if v is not None]
    if len(points) < 2:
        return ""
    lo = min([*values, chart.get("lower_limit") or min(values)])
    hi = max([*values, chart.get("upper_limit") or max(values)])
    span = (hi - lo) or 1.0

    def xy(i: int, v: float) -> tuple[float, float]:
        return (2 + i * (width - 4) / (len(points) - 1),
                height - 2 - (v - lo) / span * (height - 4))

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
    parts = [f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="1.2"/>']
    for key, colour in (("centre", GREY), ("upper_limit", GREY), ("lower_limit", GREY)):
        if chart.get(key) is not None:
            y = xy(0, chart[key])[1]
            dash = "" if key == "centre" else ' stroke-dasharray="3 2"'
            parts.append(f'<line x1="2" x2="{width - 2}" y1="{y:.1f}" y2="{y:.1f}" '
                         f'stroke="{colour}" stroke-width="0.8"{dash}/>')
    for i, p in enumerate(points):
        if p["variation"] in ("improvement", "concern"):
            x, y = xy(i, values[i])
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" '
                         f'fill="{VARIATION_COLOURS[p["variation"]]}"/>')
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-hidden="true" focusable="false">{"".join(parts)}</svg>')


def _charted(point: dict[str, Any]) -> float | None:
    """The value a point has on its chart (seasonally adjusted for counts); None if not judged."""
    if point.get("suppressed"):
        return None
    value = point["plotted"] if "plotted" in point else point["value"]
    return None if value is None else float(value)


def spark_summary(chart: dict[str, Any]) -> str:
    """The sparkline in words, for screen readers and the table."""
    points = chart.get("points") or []
    if not points:
        if chart.get("months_with_data") == 1:
            return "1 month of data: too few for a chart"
        return "no monthly data"
    if chart.get("method") == "none":
        if chart.get("kind") == "count":
            return "Too few crimes a month for a control chart"
        return "Too few offences or responses a month for a control chart"
    judged = [p for p in points[-6:] if not p.get("suppressed")]
    if not judged:
        return "Last 6 months: too few offences or responses a month to judge"
    kinds = {p["variation"] for p in judged} - {"common"}
    if "concern" in kinds:
        signal = "concern"
    elif "improvement" in kinds:
        signal = "improvement"
    elif "neither" in kinds:
        signal = "special cause"
    else:
        return "Last 6 months: common-cause variation only"
    return f"Last 6 months: {signal} signal"
