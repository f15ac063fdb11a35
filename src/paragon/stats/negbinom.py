"""The negative binomial distribution from :mod:`scipy.special`, without :mod:`scipy.stats`.

``scipy.stats`` takes about a second to import, more than a read command's whole start; a count
projection needs only three things of the negative binomial, computed here from the regularised
incomplete beta function, as ``scipy.stats.nbinom(n, p)`` computes them (the tests compare the
two across the parameters projections use):

* ``cdf(k) = I_p(n, k + 1)`` (``betainc``), ``sf(k) = 1 - cdf(k)`` (``betaincc``, exact in the
  upper tail), for ``k`` rounded down; 0 and 1 below 0;
* ``ppf(q)``: the smallest whole ``k`` with ``cdf(k) >= q``, searched from ``nbdtrik`` (the
  continuous inverse, within one of it in practice).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scipy import special

# doublings from nbdtrik's start while bracketing the quantile: from 0, 1000 reach 2**1001, still
# a float (about 1,024 would overflow converting the bracket to a float, before a refusal)
MAX_STEPS = 1000


def halve(cdf: Callable[[float], float], lo: float, hi: float, q: float) -> float:
    """The smallest whole ``k`` in ``(lo, hi]`` with ``cdf(k) >= q``, by halving a bracket with
    ``cdf(lo) < q <= cdf(hi)`` (``lo`` and ``hi`` whole numbers; ``cdf`` not decreasing)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if cdf(mid) >= q:
            hi = mid
        else:
            lo = mid
    return float(hi)


class NegativeBinomial:
    """Failures before the ``n``-th success, each trial a success with probability ``p``
    (``n > 0``, ``0 < p <= 1``): mean ``n (1 - p) / p``, variance ``mean / p``. Other parameters
    give NaN from every method, as scipy.stats does."""

    def __init__(self, n: float, p: float) -> None:
        self.n, self.p = float(n), float(p)
        self.valid = self.n > 0 and 0 < self.p <= 1

    def cdf(self, k: float) -> float:
        """P(X <= k)."""
        if not self.valid or math.isnan(k):
            return math.nan
        k = math.floor(k) if math.isfinite(k) else k
        return 0.0 if k < 0 else float(special.betainc(self.n, k + 1.0, self.p))

    def sf(self, k: float) -> float:
        """P(X > k)."""
        if not self.valid or math.isnan(k):
            return math.nan
        k = math.floor(k) if math.isfinite(k) else k
        return 1.0 if k < 0 else float(special.betaincc(self.n, k + 1.0, self.p))

    def ppf(self, q: float) -> float:
        """The smallest whole ``k`` with ``P(X <= k) >= q`` (-1 at q = 0, inf at q = 1)."""
        if not (self.valid and 0 <= q <= 1):
            return math.nan
        if q == 0:
            return -1.0
        if q == 1:
            return math.inf
        start = float(special.nbdtrik(q, self.n, self.p))
        hi = max(0, math.ceil(start)) if math.isfinite(start) else 0
        # gallop from the start to a bracket cdf(lo) < q <= cdf(hi) (cdf(-1) = 0), then halve it
        step, steps = 1, 0
        if self.cdf(hi) >= q:
            lo = hi - 1
            while lo >= 0 and self.cdf(lo) >= q:
                hi, lo, step, steps = lo, lo - 2 * step, 2 * step, steps + 1
                self._check(steps, q)
            lo = max(lo, -1)
        else:
            lo, hi = hi, hi + 1
            while self.cdf(hi) < q:
                lo, hi, step, steps = hi, hi + 2 * step, 2 * step, steps + 1
                self._check(steps, q)
        return halve(self.cdf, lo, hi, q)

    def _check(self, steps: int, q: float) -> None:
        if steps > MAX_STEPS:
            raise ArithmeticError(f"no negative binomial quantile {q} of n={self.n}, "
                                  f"p={self.p}: the distribution function does not reach it")
