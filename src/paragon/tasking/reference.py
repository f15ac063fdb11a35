"""Plain per-cell implementations of the hotspot methods, one loop per cell and per event.

They exist to check the vectorised methods (same scores on the same input, see the tests) and to
show what vectorising buys (``benchmarks/hotspots.py``). They follow the definitions in
:mod:`paragon.tasking.methods` literally: for every cell in the area, sum over every training
event within reach its spatial weight times its temporal weight.
"""

from __future__ import annotations

import math

import numpy as np

from paragon.tasking.grid import Grid
from paragon.tasking.methods import Params


def _quartic(d: float, h: float) -> float:
    u2 = (d / h) ** 2
    return (1.0 - u2) ** 2 if u2 < 1.0 else 0.0


def _weight(name: str, params: Params, d_cells: float, cell: float, age: int) -> float:
    if name == "counts":
        return 1.0 if d_cells == 0 else 0.0
    if name == "kde":
        return _quartic(d_cells * cell, params["bandwidth"])
    if name == "prospective":
        if d_cells > params["space"] or age >= params["time"]:
            return 0.0
        return 1.0 / ((1.0 + d_cells) * (1.0 + age))
    if name == "decay_kde":
        return _quartic(d_cells * cell, params["bandwidth"]) * math.exp(-age / params["tau"])
    if name == "neighbour_counts":
        if d_cells == 0:
            return 1.0
        if d_cells == 1:
            return params["edge"]
        if abs(d_cells - math.sqrt(2)) < 1e-12:
            return params["diagonal"]
        return 0.0
    raise ValueError(name)


def reach(name: str, params: Params, cell: float) -> int:
    """How many cells away an event can still add to a cell's score."""
    if name == "counts":
        return 0
    if name in ("kde", "decay_kde"):
        return math.ceil(params["bandwidth"] / cell)
    if name == "prospective":
        return math.floor(params["space"])
    return 1


def score(name: str, params: Params, grid: Grid, rows: list[int], cols: list[int],
          ages: list[int]) -> np.ndarray:
    """Scores of every cell from events given by their cell (row, col) and age in months: for
    each cell, each event in the cells within reach adds its weight."""
    by_cell: dict[tuple[int, int], list[int]] = {}
    for er, ec, age in zip(rows, cols, ages, strict=True):
        by_cell.setdefault((er, ec), []).append(age)
    k = reach(name, params, grid.cell)
    out = np.zeros(grid.shape)
    for r in range(grid.ny):
        for c in range(grid.nx):
            total = 0.0
            for dr in range(-k, k + 1):
                for dc in range(-k, k + 1):
                    for age in by_cell.get((r + dr, c + dc), ()):
                        total += _weight(name, params, math.hypot(dr, dc), grid.cell, age)
            out[r, c] = total
    return out


def score_window(name: str, params: Params, grid: Grid, window: np.ndarray) -> np.ndarray:
    """The per-cell score from a window of monthly grids (newest last), event by event."""
    rows: list[int] = []
    cols: list[int] = []
    ages: list[int] = []
    months = window.shape[0]
    for m in range(months):
        for r in range(grid.ny):
            for c in range(grid.nx):
                for _ in range(round(window[m, r, c])):
                    rows.append(r)
                    cols.append(c)
                    ages.append(months - 1 - m)
    return score(name, params, grid, rows, cols, ages)
