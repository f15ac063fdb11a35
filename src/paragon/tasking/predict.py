"""Predict the next month: the top cells per LPU with their expected crimes and harm.

The method is trained on the last ``train_months`` months of data and predicts the month after.
Its parameters are tuned on the ``tune_months`` months before that (as in the backtest), or take
the method's defaults when the data is too short.

Expected crimes in a cell = the cell's share of the method's score over the area x the average
monthly number of crimes in the area over the training window. Expected harm is the same with
every crime weighted by its harm weight (only when weights are given). Cells are ranked by
expected crimes (demand) or, with ``rank_by="harm"``, by expected harm. A cell belongs to the LPU
of the nearest LSOA centroid of the force (cells with no LSOA given belong to one area, "all").

The interval given with each expected figure is a 90% Poisson prediction interval for the count
of crimes the cell will see in the month (the 5th and 95th percentiles of a Poisson distribution
with the expected crimes as its mean); the harm interval scales it by the cell's expected harm
per crime. It allows for chance in the coming month, not for error in the expectation itself;
``tests/test_tasking_harm.py`` measures how often it held on real data.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from scipy.spatial import cKDTree

from paragon.csv_safe import safe_cell
from paragon.errors import ParagonError
from paragon.tasking.backtest import Events, month_text, monthly_grids, tune
from paragon.tasking.grid import Grid
from paragon.tasking.methods import Params, method
from paragon.tasking.metrics import ranking

ALL = "all"
INTERVAL = 0.90


def poisson_interval(mean: float, level: float = INTERVAL) -> tuple[float, float]:
    """The central ``level`` prediction interval of a Poisson count with this mean."""
    if not mean > 0:
        return (0.0, 0.0)
    lo, hi = stats.poisson.ppf([(1 - level) / 2, (1 + level) / 2], mean)
    return (float(lo), float(hi))


@dataclass(frozen=True)
class Centroids:
    """LSOA centroids (BNG metres) with the LPU each belongs to."""

    x: np.ndarray
    y: np.ndarray
    lpu: list[str]


@dataclass
class PredictedCell:
    cell: str
    index: int
    lpu: str
    rank: int
    score: float
    expected_crimes: float
    expected_harm: float | None
    polygon: list[list[float]]

    @property
    def crimes_interval(self) -> tuple[float, float]:
        return poisson_interval(self.expected_crimes)

    @property
    def harm_interval(self) -> tuple[float, float] | None:
        if self.expected_harm is None or not self.expected_crimes > 0:
            return None
        per_crime = self.expected_harm / self.expected_crimes
        lo, hi = self.crimes_interval
        return (lo * per_crime, hi * per_crime)

    def as_dict(self) -> dict[str, object]:
        lo, hi = self.crimes_interval
        harm = self.harm_interval
        return {"cell": self.cell, "lpu": self.lpu, "rank": self.rank,
                "score": round(self.score, 6),
                "expected_crimes": round(self.expected_crimes, 4),
                "crimes_lower": lo, "crimes_upper": hi,
                "expected_harm": None if self.expected_harm is None
                else round(self.expected_harm, 4),
                "harm_lower": None if harm is None else round(harm[0], 4),
                "harm_upper": None if harm is None else round(harm[1], 4)}


@dataclass
class Prediction:
    month: str
    method: str
    title: str
    params: Params
    tuned: bool
    train_from: str
    train_to: str
    cells_in_area: int
    monthly_crimes: float
    monthly_harm: float | None
    harm_source: str | None
    rank_by: str = "crimes"
    cells: list[PredictedCell] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"month": self.month, "method": self.method, "title": self.title,
                "parameters": self.params, "parameters_tuned": self.tuned,
                "train_from": self.train_from, "train_to": self.train_to,
                "cells_in_area": self.cells_in_area,
                "monthly_crimes": round(self.monthly_crimes, 3),
                "monthly_harm": None if self.monthly_harm is None
                else round(self.monthly_harm, 3),
                "harm_source": self.harm_source, "ranked_by": self.rank_by,
                "interval": INTERVAL,
                "cells": [c.as_dict() for c in self.cells]}

    def geojson(self) -> dict[str, object]:
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "id": c.cell,
             "geometry": {"type": "Polygon", "coordinates": [c.polygon]},
             "properties": c.as_dict()} for c in self.cells]}

    def csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        keys = ["cell", "lpu", "rank", "expected_crimes", "crimes_lower", "crimes_upper",
                "expected_harm", "harm_lower", "harm_upper", "score"]
        w.writerow(keys)
        for c in self.cells:
            d = c.as_dict()
            w.writerow(["" if d[k] is None else safe_cell(d[k]) for k in keys])
        return buf.getvalue()

    def geojson_text(self) -> str:
        return json.dumps(self.geojson(), separators=(",", ":"))


def cell_lpus(grid: Grid, centroids: Centroids | None) -> np.ndarray:
    """The LPU of every cell (flat, row-major): the LPU of the nearest LSOA centroid."""
    n = grid.nx * grid.ny
    if centroids is None or len(centroids.x) == 0:
        return np.full(n, ALL, dtype=object)
    tree = cKDTree(np.column_stack([centroids.x, centroids.y]))
    cx, cy = grid.centres(np.arange(n))
    _, nearest = tree.query(np.column_stack([cx, cy]))
    return np.asarray(centroids.lpu, dtype=object)[nearest]


def predict(grid: Grid, events: Events, method_name: str, train_months: int, top: int,
            centroids: Centroids | None = None, tune_months: int = 12,
            harm_source: str | None = None, rank_by: str = "crimes") -> Prediction:
    """The ``top`` cells of each LPU for the month after the data ends, ranked by expected
    crimes (``rank_by="crimes"``) or expected harm (``"harm"``, needs harm weights)."""
    if train_months < 1:
        raise ParagonError("--train-months must be at least 1.")
    if top < 1:
        raise ParagonError("--top must be at least 1.")
    if len(events.x) == 0:
        raise ParagonError("No events to predict from.")
    if rank_by not in ("crimes", "harm"):
        raise ParagonError(f"Rank by 'crimes' or 'harm', not '{rank_by}'.")
    if rank_by == "harm" and events.harm is None:
        raise ParagonError("Ranking by harm needs harm weights for these crimes.")
    m = method(method_name)
    last = events.last_month
    target = last + 1
    first = last - train_months + 1
    if first < events.first_month:
        raise ParagonError(
            f"Training on {train_months} months needs data from {month_text(first)}; the "
            f"events start in {month_text(events.first_month)}.")
    stack_first = max(events.first_month, first - max(tune_months, 0))
    stack = monthly_grids(grid, events, stack_first, last)
    params, tuned = tune(m, grid, stack, stack_first, target, train_months, tune_months)
    window = stack[first - stack_first:]
    scores = m.score(window, grid.cell, params)
    mask = grid.mask
    total_score = float(scores[mask].sum())
    monthly = float(window.sum()) / train_months
    share = scores / total_score if total_score > 0 else np.zeros_like(scores)
    harm_share = None
    monthly_harm = None
    hscores = None
    if events.harm is not None:
        hstack = monthly_grids(grid, events, first, last, events.harm)
        hscores = m.score(hstack, grid.cell, params)
        htotal = float(hscores[mask].sum())
        harm_share = hscores / htotal if htotal > 0 else np.zeros_like(hscores)
        monthly_harm = float(hstack.sum()) / train_months
    ranked = hscores if rank_by == "harm" and hscores is not None else scores
    order = ranking(ranked, mask)
    lpus = cell_lpus(grid, centroids)
    out = Prediction(month_text(target), m.name, m.describe(params), params, tuned,
                     month_text(first), month_text(last), grid.cells_in_area, monthly,
                     monthly_harm, harm_source, rank_by)
    taken: dict[str, int] = {}
    for idx in order:
        lpu = str(lpus[idx])
        rank = taken.get(lpu, 0)
        if rank >= top:
            continue
        taken[lpu] = rank + 1
        r, c = divmod(int(idx), grid.nx)
        out.cells.append(PredictedCell(
            grid.cell_name(int(idx)), int(idx), lpu, rank + 1, float(ranked[r, c]),
            float(share[r, c]) * monthly,
            None if harm_share is None or monthly_harm is None
            else float(harm_share[r, c]) * monthly_harm,
            grid.polygon_lonlat(int(idx))))
    out.cells.sort(key=lambda c: (c.lpu, c.rank))
    return out
