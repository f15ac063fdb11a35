"""The tasking page's figures: next month's predicted hotspots per LPU, the patrol list, and the
backtest scorecard of the method in use against the naive counts (docs/methods.md, "Tasking").

Everything is computed from the warehouse's crimes with coordinates (force records or police.uk),
so it works for any force. The area is the convex hull of the category's crimes; an LPU is that
of the nearest LSOA centroid in the geography table (one area, "all", when there is none).

Demand ranks cells by expected crimes; harm ranks them by expected harm, every crime weighted by
the ONS Crime Severity Score weight of its offence code (force records) or of its police.uk
category (``paragon/tasking/ons_css_weights.csv``). When a category has no published weight
here, the page shows demand only and says why.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from paragon.errors import NotFoundError, ParagonError
from paragon.geography.bng import bng_to_lonlat
from paragon.tasking.backtest import BacktestReport, month_text, run_backtest
from paragon.tasking.grid import grid_for_area, hull_of_points
from paragon.tasking.harm import bundled_weights
from paragon.tasking.methods import METHODS
from paragon.tasking.metrics import COVERAGES
from paragon.tasking.predict import INTERVAL, Prediction, predict
from paragon.tasking.sources import centroids_from_warehouse, events_from_warehouse
from paragon.web.context import WebContext

CELL = 250.0
TRAIN_MONTHS = 12
TUNE_MONTHS = 12
BACKTEST_MONTHS = 12
TOP_PER_LPU = 5
METHOD_IN_USE = "neighbour_counts"
DEFAULT_CATEGORY = "Burglary"


def categories(ctx: WebContext) -> list[dict[str, Any]]:
    """Crime categories with coordinates, commonest first."""
    rows = ctx.warehouse.query(
        "SELECT category, count(*) AS crimes FROM crimes WHERE category IS NOT NULL "
        "AND bng_x IS NOT NULL AND bng_y IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1")
    return [{"category": r["category"], "crimes": int(r["crimes"])} for r in rows]


def tasking_page(ctx: WebContext, category: str | None) -> dict[str, Any]:
    cats = categories(ctx)
    names = [c["category"] for c in cats]
    if category is None:
        category = DEFAULT_CATEGORY if DEFAULT_CATEGORY in names else (names[0] if names else None)
    elif category not in names:
        raise NotFoundError(f"No crimes of category '{category}' with coordinates.")
    base: dict[str, Any] = {
        "filters": {"category": category}, "categories": cats,
        "settings": {"cell_metres": CELL, "train_months": TRAIN_MONTHS,
                     "tune_months": TUNE_MONTHS, "top_per_lpu": TOP_PER_LPU},
        "tables": ["patrol", "patrol_harm", "scorecard", "harm_scorecard"],
    }
    if category is None:
        return {**base, "available": False,
                "reason": "The warehouse has no crimes with coordinates yet.",
                "prediction": None, "backtest": None, "patrol": [], "patrol_harm": [],
                "scorecard": [], "harm_scorecard": [], "map": None, "map_harm": None,
                "map_area": None}
    return {**base, **ctx.cached(("tasking", category), lambda: _figures(ctx, category))}


def _figures(ctx: WebContext, category: str) -> dict[str, Any]:
    weights = bundled_weights()
    harm_reason = None
    try:
        events = events_from_warehouse(ctx.warehouse, category, weights=weights)
    except ParagonError as exc:
        if "harm weight" not in str(exc):
            raise
        events = events_from_warehouse(ctx.warehouse, category)
        harm_reason = (f"Harm is not shown for {category}: the published severity weights "
                       "shipped with Paragon do not cover all of its offences.")
    centroids = centroids_from_warehouse(ctx.warehouse)
    hull = hull_of_points(events.x, events.y)
    grid = grid_for_area(hull, CELL)
    span = events.last_month - events.first_month + 1
    if span < TRAIN_MONTHS:
        return {"available": False,
                "reason": f"Hotspot predictions need {TRAIN_MONTHS} months of data; "
                f"{category} has {span} ({month_text(events.first_month)} to "
                f"{month_text(events.last_month)}).",
                "prediction": None, "backtest": None, "patrol": [], "patrol_harm": [],
                "scorecard": [], "harm_scorecard": [], "map": None, "map_harm": None,
                "map_area": None}
    pred = predict(grid, events, METHOD_IN_USE, TRAIN_MONTHS, TOP_PER_LPU, centroids,
                   tune_months=TUNE_MONTHS, harm_source=None if harm_reason else weights.source)
    hpred = None
    if events.harm is not None:
        hpred = predict(grid, events, METHOD_IN_USE, TRAIN_MONTHS, TOP_PER_LPU, centroids,
                        tune_months=TUNE_MONTHS, harm_source=weights.source, rank_by="harm")
    months = min(BACKTEST_MONTHS, span - TRAIN_MONTHS)
    backtest: dict[str, Any] | None = None
    scorecard: list[dict[str, Any]] = []
    if months >= 1:
        end = events.last_month
        start = end - months + 1
        try:
            report = run_backtest(grid, events, month_text(start), month_text(end), TRAIN_MONTHS,
                                  tune_months=TUNE_MONTHS)
        except ParagonError:
            report = None
        if report is not None:
            backtest = {"from": report.start, "to": report.end, "cells": report.cells,
                        "events": report.events, "method_in_use": METHOD_IN_USE}
            scorecard = _scorecard(report)
    harm_scorecard: list[dict[str, Any]] = []
    uniform = events.harm is not None and bool(np.ptp(events.harm) == 0)
    if backtest is not None and events.harm is not None and not uniform:
        try:
            hreport = run_backtest(grid, events, str(backtest["from"]), str(backtest["to"]),
                                   TRAIN_MONTHS, methods=[METHOD_IN_USE],
                                   tune_months=TUNE_MONTHS, harm=True)
        except ParagonError:
            hreport = None
        if hreport is not None:
            harm_scorecard = _scorecard(hreport)
            backtest["harm"] = round(hreport.harm or 0.0, 1)
    lpu_names = _lpu_names(ctx)
    patrol = _patrol(pred, lpu_names)
    patrol_harm = _patrol(hpred, lpu_names) if hpred is not None else []
    same = None
    if hpred is not None:
        demand_cells = {c.cell for c in pred.cells}
        same = sum(c.cell in demand_cells for c in hpred.cells)
    per_crime = (None if pred.monthly_harm is None or not pred.monthly_crimes
                 else pred.monthly_harm / pred.monthly_crimes)
    return {
        "available": True, "reason": None,
        "prediction": {
            "month": pred.month, "method": pred.method, "title": pred.title,
            "method_title": METHODS[pred.method].title, "parameters_tuned": pred.tuned,
            "train_from": pred.train_from, "train_to": pred.train_to,
            "cells_in_area": pred.cells_in_area, "monthly_crimes": round(pred.monthly_crimes, 1),
            "interval": INTERVAL,
            "harm": None if hpred is None else {
                "monthly_harm": None if pred.monthly_harm is None
                else round(pred.monthly_harm, 1),
                "harm_per_crime": None if per_crime is None else round(per_crime, 1),
                "source": weights.source, "cells_in_both": same,
                "cells": len(hpred.cells),
                "same_weight_for_all": uniform},
            "harm_reason": harm_reason,
        },
        "backtest": backtest, "scorecard": scorecard, "harm_scorecard": harm_scorecard,
        "patrol": patrol,
        "patrol_harm": patrol_harm,
        "map": _features(pred, lpu_names),
        "map_harm": None if hpred is None else _features(hpred, lpu_names),
        "map_area": _outline(hull),
    }


def _outline(area: BaseGeometry) -> dict[str, Any]:
    """The area the cells were drawn from (the convex hull of the crimes), in WGS84."""
    ring = np.asarray(shapely.get_coordinates(shapely.get_exterior_ring(area)))
    if ring.size == 0:
        return {"type": "FeatureCollection", "features": []}
    lon, lat = bng_to_lonlat(ring[:, 0], ring[:, 1])
    coords = [[round(float(a), 5), round(float(b), 5)] for a, b in zip(lon, lat, strict=True)]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "area"},
         "geometry": {"type": "Polygon", "coordinates": [coords]}}]}


def _scorecard(report: BacktestReport) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for r in report.results:
        row: dict[str, Any] = {
            "method": r.method, "title": r.title, "in_use": r.method == METHOD_IN_USE,
            "parameters": ", ".join(f"{k} {v:g}" for k, v in r.params.items()),
            "parameters_tuned": r.tuned, "seconds": round(r.seconds, 3)}
        for c in COVERAGES:
            for metric in ("hit_rate", "pai"):
                s = r.summary(metric, c)
                row[f"{metric}_{c}"] = s.mean
                row[f"{metric}_{c}_lower"] = s.lower
                row[f"{metric}_{c}_upper"] = s.upper
        vs = r.versus_counts
        row["pai_5_minus_counts"] = None if vs is None else vs.mean
        row["pai_5_minus_counts_lower"] = None if vs is None else vs.lower
        row["pai_5_minus_counts_upper"] = None if vs is None else vs.upper
        row["beats_counts"] = None if vs is None else bool(vs.lower > 0)
        rows.append(row)
    return rows


def _patrol(pred: Prediction, lpu_names: dict[str, str]) -> list[dict[str, Any]]:
    return [{**c.as_dict(), "lpu_name": lpu_names.get(c.lpu, c.lpu)} for c in pred.cells]


def _features(pred: Prediction, lpu_names: dict[str, str]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [c.polygon]},
         "properties": {"cell": c.cell, "lpu": lpu_names.get(c.lpu, c.lpu), "rank": c.rank,
                        "expected_crimes": round(c.expected_crimes, 3),
                        "expected_harm": None if c.expected_harm is None
                        else round(c.expected_harm, 1)}}
        for c in pred.cells]}


def _lpu_names(ctx: WebContext) -> dict[str, str]:
    try:
        return {lpu.id: lpu.name for lpu in ctx.plan().lpus}
    except ParagonError:
        return {}
