"""How well a ranking of cells caught what happened next: hit rate, PAI and PEI at a coverage.

Only cells inside the area are ranked and only events in them count. Ranking is by score, highest
first; scores are rounded to 9 significant decimals first so that equal scores computed in a
different order stay equal, and ties are broken by cell index, lowest first (row-major from the
south-west corner). Covering ``p`` per cent of the area means taking the first
``max(1, floor(p/100 x cells + 0.5))`` cells of the ranking.

- hit rate: share of the month's events in the covered cells;
- PAI (predictive accuracy index, Chainey et al. 2008): hit rate / share of the area covered;
- PEI (predictive efficiency index, Hunt 2016): events in the covered cells / the most events any
  choice of that many cells could have caught.

A month with no events in the area has no hit rate, PAI or PEI (NaN): it is reported, not scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

COVERAGES: tuple[int, ...] = (1, 5, 10, 20)


def ranking(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Flat indices of the cells in the area, best first; ties by lower index."""
    flat_mask = np.asarray(mask, dtype=bool).ravel()
    idx = np.flatnonzero(flat_mask)
    s = np.round(np.asarray(scores, dtype=float).ravel()[idx], 9)
    order = np.lexsort((idx, -s))  # last key is primary: score descending, then index ascending
    return np.asarray(idx[order])


def cells_for(coverage: float, n_cells: int) -> int:
    """How many cells cover ``coverage`` per cent of an area of ``n_cells`` cells."""
    if not 0 < coverage <= 100:
        raise ValueError(f"coverage must be in (0, 100], not {coverage}")
    return max(1, int(np.floor(coverage / 100.0 * n_cells + 0.5)))


@dataclass(frozen=True)
class MonthScore:
    events: float
    hit_rate: dict[int, float]
    pai: dict[int, float]
    pei: dict[int, float]


def score_month(order: np.ndarray, actual: np.ndarray, mask: np.ndarray,
                coverages: tuple[int, ...] = COVERAGES) -> MonthScore:
    """Hit rate, PAI and PEI of a ranking (``order``, from :func:`ranking`) against ``actual``."""
    flat = np.asarray(actual, dtype=float).ravel()
    inside = flat[np.asarray(mask, dtype=bool).ravel()]
    n = inside.size
    total = float(inside.sum())
    caught = np.cumsum(flat[order])
    best = np.cumsum(np.sort(inside)[::-1])
    hit: dict[int, float] = {}
    pai: dict[int, float] = {}
    pei: dict[int, float] = {}
    for c in coverages:
        k = cells_for(c, n)
        if total <= 0:
            hit[c] = pai[c] = pei[c] = float("nan")
            continue
        hit[c] = float(caught[k - 1]) / total
        pai[c] = hit[c] / (k / n)
        pei[c] = float(caught[k - 1]) / float(best[k - 1]) if best[k - 1] > 0 else float("nan")
    return MonthScore(total, hit, pai, pei)


@dataclass(frozen=True)
class Summary:
    """Mean over the scored months with a 95% t-interval (months as independent replicates)."""

    mean: float
    lower: float
    upper: float
    months: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {"mean": _num(self.mean), "lower": _num(self.lower), "upper": _num(self.upper),
                "months": self.months}


def _num(v: float) -> float | None:
    return None if not np.isfinite(v) else round(float(v), 6)


def summarise(values: list[float], level: float = 0.95) -> Summary:
    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    if v.size == 0:
        return Summary(float("nan"), float("nan"), float("nan"), 0)
    mean = float(v.mean())
    if v.size == 1:
        return Summary(mean, float("nan"), float("nan"), 1)
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return Summary(mean, mean - half, mean + half, int(v.size))
