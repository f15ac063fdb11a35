"""Hotspot methods: each turns the monthly event grids before a month into a score per cell.

Every method reads ``window``, an array of shape ``(months, ny, nx)`` holding the events per cell
(or their harm weights) of the training months in time order, the newest last, and returns a score
grid ``(ny, nx)``; a higher score is a predicted hotter cell. Every method is linear in the events:
a temporal weight per month times a spatial kernel over cells, so the whole window collapses to
one weighted grid and one convolution (``scipy.ndimage.correlate``: an exact direct sum, no FFT
rounding, so cells with equal inputs get equal scores and ties stay ties).

Distances are between cell centres. ``t`` is the age of a month: 0 for the newest month of the
window, 1 for the month before, and so on.

- ``counts``: the events in the window (the naive baseline).
- ``kde``: retrospective kernel density, quartic kernel ``(1 - (d/h)^2)^2`` for ``d < h``.
- ``prospective``: Bowers, Johnson & Pease (2004), weight ``1/((1 + d)(1 + t))`` for ``d`` (in
  cells) up to ``space`` cells and ``t`` below ``time`` months; zero beyond.
- ``decay_kde``: quartic kernel times ``exp(-t / tau)``.
- ``neighbour_counts``: the counts of the cell plus ``edge`` times the counts of each of its four
  edge neighbours and ``diagonal`` times those of its four corner neighbours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from paragon.errors import ParagonError

Params = dict[str, float]


def quartic_kernel(bandwidth: float, cell: float) -> np.ndarray:
    """Quartic weights on the cell offsets within ``bandwidth`` metres (centre at the middle)."""
    reach = int(np.ceil(bandwidth / cell))
    off = np.arange(-reach, reach + 1) * cell
    d2 = off[None, :] ** 2 + off[:, None] ** 2
    u2 = d2 / bandwidth**2
    return np.where(u2 < 1.0, (1.0 - u2) ** 2, 0.0)


def inverse_distance_kernel(space_cells: float) -> np.ndarray:
    """``1/(1 + d)`` for centre-to-centre distance ``d`` (in cells) up to ``space_cells``."""
    reach = int(np.floor(space_cells))
    off = np.arange(-reach, reach + 1, dtype=float)
    d = np.sqrt(off[None, :] ** 2 + off[:, None] ** 2)
    return np.where(d <= space_cells, 1.0 / (1.0 + d), 0.0)


def _ages(months: int) -> np.ndarray:
    """Age of each month of a window in time order: the newest is 0."""
    return np.arange(months - 1, -1, -1, dtype=float)


def _smooth(grid: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    if kernel.shape == (1, 1):
        return grid * kernel[0, 0]
    return np.asarray(ndimage.correlate(grid, kernel, mode="constant", cval=0.0), dtype=float)


def counts(window: np.ndarray, cell: float, params: Params) -> np.ndarray:
    return np.asarray(window.sum(axis=0), dtype=float)


def kde(window: np.ndarray, cell: float, params: Params) -> np.ndarray:
    return _smooth(window.sum(axis=0), quartic_kernel(params["bandwidth"], cell))


def prospective(window: np.ndarray, cell: float, params: Params) -> np.ndarray:
    t = _ages(window.shape[0])
    wt = np.where(t < params["time"], 1.0 / (1.0 + t), 0.0)
    weighted = np.tensordot(wt, window, axes=1)
    return _smooth(weighted, inverse_distance_kernel(params["space"]))


def neighbour_counts(window: np.ndarray, cell: float, params: Params) -> np.ndarray:
    kernel = np.array([[params["diagonal"], params["edge"], params["diagonal"]],
                       [params["edge"], 1.0, params["edge"]],
                       [params["diagonal"], params["edge"], params["diagonal"]]])
    return _smooth(window.sum(axis=0), kernel)


def decay_kde(window: np.ndarray, cell: float, params: Params) -> np.ndarray:
    wt = np.exp(-_ages(window.shape[0]) / params["tau"])
    weighted = np.tensordot(wt, window, axes=1)
    return _smooth(weighted, quartic_kernel(params["bandwidth"], cell))


@dataclass(frozen=True)
class Method:
    """A hotspot method, its default parameters and the candidates tried when tuning."""

    name: str
    title: str
    score: Callable[[np.ndarray, float, Params], np.ndarray]
    defaults: Params = field(default_factory=dict)
    candidates: tuple[Params, ...] = ()

    def describe(self, params: Params) -> str:
        if not params:
            return self.title
        return self.title + " (" + ", ".join(f"{k}={_fmt(v)}" for k, v in params.items()) + ")"


def _fmt(v: Any) -> str:
    return f"{v:g}"


def _grid(**axes: list[float]) -> tuple[Params, ...]:
    keys = list(axes)
    mesh = np.meshgrid(*[np.asarray(axes[k], dtype=float) for k in keys], indexing="ij")
    return tuple({k: float(m) for k, m in zip(keys, vals, strict=True)}
                 for vals in zip(*[a.ravel() for a in mesh], strict=True))


# Defaults are the candidates chosen by tuning on Greater Manchester burglary 2017-02..2018-01
# (250 m cells, 12 training months): see docs/methods.md, "Tasking". Bandwidths in metres.
METHODS: dict[str, Method] = {
    m.name: m for m in (
        Method("counts", "Counts", counts),
        Method("kde", "Retrospective KDE (quartic)", kde, {"bandwidth": 300.0},
               _grid(bandwidth=[260, 280, 300, 320, 340, 400, 500, 750, 1000, 1500])),
        Method("prospective", "Prospective hotspotting", prospective,
               {"space": 1.0, "time": 12.0},
               _grid(space=[1, 2, 3, 4], time=[2, 4, 6, 12])),
        Method("decay_kde", "Time-decayed KDE", decay_kde, {"bandwidth": 300.0, "tau": 12.0},
               _grid(bandwidth=[280, 300, 320, 400, 500, 750], tau=[1, 3, 6, 12, 24])),
        Method("neighbour_counts", "Counts with neighbours", neighbour_counts,
               {"edge": 0.1, "diagonal": 0.05},
               _grid(edge=[0.05, 0.1, 0.15, 0.2, 0.3], diagonal=[0.0, 0.05, 0.1])),
    )
}


def method(name: str) -> Method:
    try:
        return METHODS[name]
    except KeyError:
        raise ParagonError(
            f"Unknown hotspot method '{name}'; choose from {', '.join(METHODS)}.") from None
