"""Many comparisons at once: the Benjamini-Hochberg false discovery rate.

An area page judges a dozen or more crime categories at once, and a list of neighbourhoods
hundreds. At a 5% level each, about 1 in 20 of the categories that did not really change would
still be called a "real change" by chance. The Benjamini-Hochberg (1995) procedure keeps the
expected share of false "real change" verdicts among all such verdicts at or below ``q``:

* sort the ``m`` p-values, ``p(1) <= ... <= p(m)``;
* find the largest ``k`` with ``p(k) <= k q / m``; the ``k`` smallest are discoveries;
* the adjusted p-value of ``p(i)`` is ``min over j >= i of min(1, m p(j) / j)``, so a verdict
  is a discovery exactly when its adjusted p-value is at most ``q``.

It matches statsmodels' ``multipletests(method="fdr_bh")``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

FDR = 0.05
"""Default false discovery rate."""


def bh_adjust(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values, in the input order."""
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError("p-values must be a flat list")
    if len(p) == 0:
        return []
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("p-values must be numbers from 0 to 1")
    m = len(p)
    # Tied p-values get the same adjusted value whatever their order, so any sort will do; no
    # cap at 1 is needed, as the largest adjusted value is the largest p-value.
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    return [float(v) for v in adjusted]


def bh_discoveries(p_values: Sequence[float], q: float = FDR) -> list[bool]:
    """Which comparisons stay significant with the false discovery rate held at ``q``."""
    if not (0.0 < q < 1.0) or math.isnan(q):
        raise ValueError("the false discovery rate must be between 0 and 1")
    return [a <= q for a in bh_adjust(p_values)]
