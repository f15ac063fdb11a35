"""Rolling-origin backtests: for each month M, train on the N months before M, predict M, score.

Parameters (bandwidths, decay) are chosen on the months before the evaluation range only: each
candidate is backtested on the ``tune_months`` months before ``start`` (each with its own N
training months) and the one with the highest mean PAI at 5% is kept (ties: the first candidate
in the method's list). When the data does not reach back that far, the method's documented
defaults are used and the report says so.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np

from paragon.errors import ParagonError
from paragon.tasking.grid import Grid
from paragon.tasking.methods import METHODS, Method, Params
from paragon.tasking.metrics import COVERAGES, MonthScore, Summary, ranking, score_month, summarise

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_index(text: str) -> int:
    """``YYYY-MM`` as a count of months (year x 12 + month - 1)."""
    m = _MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ParagonError(f"'{text}' is not a month: expected YYYY-MM.")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_text(index: int) -> str:
    y, m = divmod(int(index), 12)
    return f"{y:04d}-{m + 1:02d}"


@dataclass(frozen=True)
class Events:
    """Points in BNG metres with their month (see :func:`month_index`) and harm weight."""

    x: np.ndarray
    y: np.ndarray
    month: np.ndarray
    harm: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.x)
        if len(self.y) != n or len(self.month) != n or (
                self.harm is not None and len(self.harm) != n):
            raise ValueError("x, y, month and harm must have the same length")

    @property
    def first_month(self) -> int:
        return int(self.month.min())

    @property
    def last_month(self) -> int:
        return int(self.month.max())


def monthly_grids(grid: Grid, events: Events, first: int, last: int,
                  weights: np.ndarray | None = None) -> np.ndarray:
    """Events (or weights) per cell for each month first..last: shape ``(months, ny, nx)``."""
    months = last - first + 1
    r, c, ok = grid.locate(events.x, events.y)
    ok &= (events.month >= first) & (events.month <= last)
    key = (events.month[ok] - first) * (grid.nx * grid.ny) + r[ok] * grid.nx + c[ok]
    w = None if weights is None else np.asarray(weights, dtype=float)[ok]
    flat = np.bincount(key, weights=w, minlength=months * grid.nx * grid.ny)
    return flat.reshape(months, grid.ny, grid.nx).astype(float)


@dataclass
class MethodResult:
    method: str
    title: str
    params: Params
    tuned: bool
    seconds: float
    months: list[str]
    scores: list[MonthScore]
    tuning_seconds: float = 0.0
    versus_counts: Summary | None = None

    def summary(self, metric: str, coverage: int) -> Summary:
        return summarise([getattr(s, metric)[coverage] for s in self.scores])

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "method": self.method, "title": self.title, "parameters": self.params,
            "parameters_tuned": self.tuned, "seconds": round(self.seconds, 4),
            "tuning_seconds": round(self.tuning_seconds, 4),
        }
        for metric in ("hit_rate", "pai", "pei"):
            out[metric] = {str(c): self.summary(metric, c).mean for c in COVERAGES}
            out[metric + "_interval"] = {str(c): self.summary(metric, c).as_dict()
                                         for c in COVERAGES}
        if self.versus_counts is not None:
            out["pai_5_minus_counts"] = self.versus_counts.as_dict()
        out["by_month"] = [
            {"month": m, "events": s.events,
             "hit_rate": {str(c): s.hit_rate[c] for c in COVERAGES},
             "pai": {str(c): s.pai[c] for c in COVERAGES},
             "pei": {str(c): s.pei[c] for c in COVERAGES}}
            for m, s in zip(self.months, self.scores, strict=True)
        ]
        return _clean(out)  # type: ignore[return-value]


def _clean(value: object) -> object:
    """NaN and infinity become None so the JSON is valid."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def evaluate(method: Method, params: Params, grid: Grid, stack: np.ndarray, stack_first: int,
             start: int, end: int, train_months: int) -> list[MonthScore]:
    """Score ``method`` for each month start..end from a monthly stack beginning at
    ``stack_first`` (which must reach back ``train_months`` before ``start``)."""
    out = []
    for m in range(start, end + 1):
        lo = m - train_months - stack_first
        window = stack[lo:lo + train_months]
        scores = method.score(window, grid.cell, params)
        out.append(score_month(ranking(scores, grid.mask), stack[m - stack_first], grid.mask))
    return out


def tune(method: Method, grid: Grid, stack: np.ndarray, stack_first: int, start: int,
         train_months: int, tune_months: int) -> tuple[Params, bool]:
    """The candidate with the best mean PAI@5% over the ``tune_months`` months before ``start``
    (defaults when the data does not reach back far enough)."""
    if not method.candidates:
        return dict(method.defaults), False
    first = start - tune_months
    if tune_months < 1 or first - train_months < stack_first:
        return dict(method.defaults), False
    best, best_value = method.candidates[0], -np.inf
    for cand in method.candidates:
        value = summarise([s.pai[5] for s in evaluate(
            method, cand, grid, stack, stack_first, first, start - 1, train_months)]).mean
        if np.isfinite(value) and value > best_value:
            best, best_value = cand, value
    return dict(best), True


@dataclass
class BacktestReport:
    cells: int
    events: int
    start: str
    end: str
    train_months: int
    cell: float
    results: list[MethodResult] = field(default_factory=list)
    weight: str = "counts"
    weight_source: str | None = None
    harm: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {"cells": self.cells, "events": self.events, "from": self.start, "to": self.end,
                "train_months": self.train_months, "cell_metres": self.cell,
                "weight": self.weight, "weight_source": self.weight_source,
                "harm": None if self.harm is None else round(self.harm, 3),
                "coverages": list(COVERAGES),
                "methods": [r.as_dict() for r in self.results]}

    def best(self) -> MethodResult | None:
        scored = [r for r in self.results if np.isfinite(r.summary("pai", 5).mean)]
        return max(scored, key=lambda r: r.summary("pai", 5).mean, default=None)


def run_backtest(grid: Grid, events: Events, start: str, end: str, train_months: int,
                 methods: list[str] | None = None, tune_months: int = 12,
                 harm: bool = False) -> BacktestReport:
    """Backtest every method (default: all) on start..end; the naive counts are always included."""
    s, e = month_index(start), month_index(end)
    if e < s:
        raise ParagonError(f"--from {start} is after --to {end}.")
    if train_months < 1:
        raise ParagonError("--train-months must be at least 1.")
    if len(events.x) == 0:
        raise ParagonError("No events to backtest.")
    if s - train_months < events.first_month:
        raise ParagonError(
            f"Training for {start} needs data from {month_text(s - train_months)}; the events "
            f"start in {month_text(events.first_month)}.")
    if e > events.last_month:
        raise ParagonError(
            f"The events end in {month_text(events.last_month)}; cannot score up to {end}.")
    if harm and events.harm is None:
        raise ParagonError("These events carry no harm weights.")
    names = list(dict.fromkeys(["counts", *(methods or list(METHODS))]))
    stack_first = max(events.first_month, s - train_months - max(tune_months, 0))
    weights = events.harm if harm else None
    report = BacktestReport(grid.cells_in_area, 0, start, end, train_months, grid.cell,
                            weight="harm" if harm else "counts")
    for name in names:
        method = METHODS[name]
        t0 = time.perf_counter()
        stack = monthly_grids(grid, events, stack_first, e, weights)
        params, tuned = tune(method, grid, stack, stack_first, s, train_months, tune_months)
        t1 = time.perf_counter()
        stack = monthly_grids(grid, events, stack_first, e, weights)
        scores = evaluate(method, params, grid, stack, stack_first, s, e, train_months)
        t2 = time.perf_counter()
        report.results.append(MethodResult(
            name, method.title, params, tuned, t2 - t1,
            [month_text(m) for m in range(s, e + 1)], scores, tuning_seconds=t1 - t0))
    _, _, inside = grid.locate(events.x, events.y)
    report.events = int((inside & (events.month >= s) & (events.month <= e)).sum())
    if harm:
        report.harm = float(sum(sc.events for sc in report.results[0].scores))
    base = [sc.pai[5] for sc in report.results[0].scores]
    for r in report.results[1:]:
        r.versus_counts = summarise([a.pai[5] - b for a, b in zip(r.scores, base, strict=True)])
    return report
