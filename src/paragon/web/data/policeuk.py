"""Data of the analyst pages for police.uk stop and search and outcomes (any force loaded).

Every figure comes from ``paragon.measures.stop_search`` and ``paragon.measures.outcomes``; the page
dicts are the JSON twins, and every table is downloadable as CSV.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from paragon.measures import outcomes as oc
from paragon.measures import stop_search as ss
from paragon.measures.periods import add_months, month_label, months_between
from paragon.web.context import WebContext
from paragon.web.data.charts import BLUE, GREY, INK, ORANGE, SCHEMA

BREAKDOWNS = (("months", "month", "Searches by month"),
              ("legislation", "legislation", "By legislation"),
              ("objects", "object", "By object of search"),
              ("outcomes", "outcome", "By outcome"),
              ("ethnicity", "ethnicity", "By self-defined ethnicity (census group)"))


def _spec(description: str, height: int) -> dict[str, Any]:
    return {"$schema": SCHEMA, "description": description, "width": "container",
            "height": height, "config": {"font": "system-ui, sans-serif",
                                         "axis": {"labelColor": INK, "titleColor": INK},
                                         "view": {"stroke": None}}}


def shares_spec(rows: list[dict[str, Any]], what: str) -> dict[str, Any]:
    """Arrest and find shares of each group with their 95% Wilson intervals (points and bars)."""
    values = []
    for r in rows:
        if r["searches"] is None:
            continue
        label = "(not recorded)" if r["key"] is None else str(r["key"])
        for name, key in (("Ended in arrest", "arrest"), ("Object found", "found")):
            if r[f"{key}_pct"] is not None:
                values.append({"group": label, "share": name, "pct": r[f"{key}_pct"],
                               "lower": r[f"{key}_lower"], "upper": r[f"{key}_upper"],
                               "searches": r["searches"]})
    y = {"field": "group", "type": "nominal", "sort": None, "title": None,
         "axis": {"labelLimit": 220}}
    colour = {"field": "share", "type": "nominal", "title": None,
              "scale": {"domain": ["Ended in arrest", "Object found"], "range": [ORANGE, BLUE]},
              "legend": {"orient": "bottom", "columns": 1}}
    return {
        **_spec(f"Share of searches ending in arrest and with the object found, by {what}, "
                "with 95% intervals.", max(120, 40 * len({v["group"] for v in values}))),
        "data": {"values": values},
        "encoding": {"y": y, "yOffset": {"field": "share"}, "color": colour},
        "layer": [
            {"mark": {"type": "rule", "strokeWidth": 2},
             "encoding": {"x": {"field": "lower", "type": "quantitative", "title": "% of searches",
                                "scale": {"domain": [0, 100]}},
                          "x2": {"field": "upper"}}},
            {"mark": {"type": "point", "filled": True, "size": 60},
             "encoding": {"x": {"field": "pct", "type": "quantitative"},
                          "shape": {"field": "share", "type": "nominal", "legend": None,
                                    "scale": {"range": ["diamond", "circle"]}},
                          "tooltip": [{"field": "group"}, {"field": "share"},
                                      {"field": "pct", "title": "%", "format": ".1f"},
                                      {"field": "lower", "format": ".1f"},
                                      {"field": "upper", "format": ".1f"},
                                      {"field": "searches", "format": ","}]}},
        ],
    }


def months_spec(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Searches per month as bars; a month with no data has no bar (a gap, never zero)."""
    values = [{"month": r["key"], "searches": r["searches"]} for r in rows
              if r["searches"] is not None]
    return _monthly_bars("Searches per month; months with no data are gaps.",
                         [r["key"] for r in rows], values, "searches", "searches")


def _monthly_bars(description: str, months: list[str], values: list[dict[str, Any]],
                  field: str, title: str) -> dict[str, Any]:
    """A count per month as grey bars over every month in ``months``: a month missing from
    ``values`` has no bar (a gap, never zero)."""
    return {
        **_spec(description, 200),
        "data": {"values": values},
        "mark": {"type": "bar", "color": GREY},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "title": None,
                  "scale": {"domain": months}},
            "y": {"field": field, "type": "quantitative", "title": title,
                  "axis": {"tickCount": 5}},
            "tooltip": [{"field": "month"}, {"field": field, "format": ","}],
        },
    }


def stop_search_page(ctx: WebContext, force: str | None) -> dict[str, Any]:
    """Everything the stop-and-search page shows for one force."""
    wh, plan = ctx.warehouse, ctx.plan()
    loaded = ss.forces(wh)
    if not loaded:
        return {"force": None, "forces": [], "note": None, "plan_force": plan.force,
                "empty": True, "tables": []}
    the_force, note = ss.choose_force(wh, force or None, plan.force)
    data: dict[str, Any] = {
        "force": the_force, "forces": loaded, "note": note, "plan_force": plan.force,
        "empty": False, "totals": ss.totals(wh, the_force), "sections": [],
    }
    for key, by, title in BREAKDOWNS:
        data[key] = ss.breakdown(wh, the_force, by)
        data["sections"].append({"key": key, "title": title, "by": ss.BY[by][1]})
    people = ss.stored_residents(wh, the_force)
    data["disproportionality"] = (ss.disproportionality(wh, the_force, people)
                                  if people is not None else None)
    data["charts"] = {"months": months_spec(data["months"]),
                      "legislation": shares_spec(data["legislation"], "legislation"),
                      "ethnicity": shares_spec(data["ethnicity"], "ethnicity")}
    data["tables"] = [key for key, _, _ in BREAKDOWNS] + (
        ["disproportionality.groups"] if people is not None else [])
    return data


def outcome_months(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every month from the first outcome month loaded to the last: the loaded months with the
    detection rate's 95% Wilson interval, and a month without an outcomes file as a gap row (its
    figures None and ``missing`` True, never zero)."""
    have = {r["month"]: r for r in rows}
    if not have:
        return []
    first, last = (date(int(m[:4]), int(m[5:7]), 1) for m in (min(have), max(have)))
    out = []
    for m in months_between(first, add_months(last, 1)):
        label = month_label(m)
        r = have.get(label)
        if r is None:
            out.append({"month": label, "outcome_rows": None, "crimes_with_outcome": None,
                        "detected": None, "recorded_street_rows": None,
                        "detection_rate_pct": None, "detection_rate_lower": None,
                        "detection_rate_upper": None, "missing": True})
            continue
        rate: dict[str, Any] = (ss.share(min(int(r["detected"]), int(r["recorded_street_rows"])),
                         int(r["recorded_street_rows"]))
                if r["recorded_street_rows"] else {"lower": None, "upper": None})
        out.append({**r, "detection_rate_lower": rate["lower"],
                    "detection_rate_upper": rate["upper"], "missing": False})
    return out


def detections_spec(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Crimes first detected per outcome month as bars; a month without an outcomes file has no
    bar (a gap, never zero)."""
    values = [{"month": r["month"], "detected": r["detected"]} for r in rows
              if not r["missing"]]
    return _monthly_bars(
        "Crimes first detected per month; months without an outcomes file are gaps.",
        [r["month"] for r in rows], values, "detected", "first detected")


def outcomes_page(ctx: WebContext, force: str | None) -> dict[str, Any]:
    """Detections from outcomes files and the outcome lag for one force."""
    wh, plan = ctx.warehouse, ctx.plan()
    loaded = oc.outcome_forces(wh)
    if not loaded:
        return {"force": None, "forces": [], "note": None, "empty": True, "tables": []}
    the_force, note = oc.choose_force(wh, force or None, plan.force)
    lag = oc.outcome_lag(wh, plan, the_force)
    months = outcome_months(oc.detections_by_month(wh, plan, the_force))
    return {
        "force": the_force, "forces": loaded, "note": note, "empty": False,
        "detected_outcomes": plan.detected_outcomes,
        "months": months,
        "months_loaded": sum(1 for m in months if not m["missing"]),
        "months_in_span": len(months),
        "charts": {"months": detections_spec(months)},
        "types": oc.detections_by_type(wh, plan, the_force),
        "lag": lag.as_dict(),
        "lag_distribution": lag.distribution,
        "repeat_gaps": lag.repeat_gaps,
        "tables": ["months", "types", "lag_distribution", "repeat_gaps"],
    }
