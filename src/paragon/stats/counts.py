"""Comparing two periods' counts (crimes, incidents) as Poisson rates.

Period 1 is the earlier period, period 2 the later one, and the rate ratio is
rate 2 ÷ rate 1, so a ratio above 1 is a rise. Three things are reported:

* the rate ratio with an exact 95% interval. The interval is the exact conditional
  one: given the total ``n = count1 + count2``, ``count2`` is binomial with
  probability ``pi = R·e2 / (e1 + R·e2)``; the Clopper-Pearson interval for ``pi``
  is turned into one for ``R``. It is guaranteed to cover at least 95% of the time.
* the two-sided E-test p-value for "the two rates are equal" (Krishnamoorthy &
  Thomson 2004), computed as statsmodels' ``test_poisson_2indep(method="etest")``
  does: with the score statistic (Gu et al. 2008 variant; K&T's original used the
  Wald statistic) and Poisson probabilities at the pooled rate.
* a verdict at alpha 0.05 taken from the E-test, and the percentage change with the
  interval carried over from the rate ratio.

The E-test is a little more powerful than the exact interval, so in a borderline
case the verdict can say "significant" while the interval just includes no change.

Zero counts: if ``count1`` is 0 the ratio and percentage change have no finite
value and are ``None`` (as is an upper bound with no limit); the p-value and the
verdict are still given. Two zero counts give p = 1 and "no significant change".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

Verdict = Literal["significant increase", "significant decrease", "no significant change"]

ALPHA = 0.05
"""Significance level for the verdict, and 1 - coverage of the interval."""
_GRID_TAIL = 1e-15
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class CountComparison:
    """Result of :func:`compare_counts`. ``None`` marks a value with no finite bound."""

    count1: int
    count2: int
    exposure1: float
    exposure2: float
    rate1: float
    rate2: float
    rate_ratio: float | None
    ratio_lower: float
    ratio_upper: float | None
    p_value: float
    verdict: Verdict
    percent_change: float | None
    percent_change_lower: float
    percent_change_upper: float | None
    interval_method: str = "exact conditional binomial (Clopper-Pearson)"
    test_method: str = "E-test (score statistic)"

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as plain JSON-serialisable Python objects."""
        return asdict(self)


def _grid(mean: float) -> np.ndarray:
    """Counts carrying all but about 1e-15 of each tail of a Poisson(mean)."""
    lo = max(0.0, float(stats.poisson.ppf(_GRID_TAIL, mean)) - 1.0)
    hi = float(stats.poisson.isf(_GRID_TAIL, mean)) + 1.0
    return np.arange(lo, hi + 1.0)


def etest_pvalue(count1: int, count2: int, exposure1: float = 1.0, exposure2: float = 1.0) -> float:
    """Two-sided E-test p-value for equal Poisson rates (score statistic).

    Sums, over all pairs of counts, the Poisson probabilities at the pooled rate of
    the pairs whose score statistic is at least as extreme as the observed one.
    The sums are truncated where Poisson tail probabilities fall below 1e-15.
    """
    _check_inputs(count1, count2, exposure1, exposure2)
    r_d = exposure1 / exposure2
    pooled = (count1 + count2) / (exposure1 + exposure2)

    def stat(x1: np.ndarray | float, x2: np.ndarray | float) -> Any:
        """Score statistic for equal rates (as statsmodels' etest, method "score")."""
        return (x1 - x2 * r_d) / np.sqrt((x1 + x2) * r_d + 1e-20)

    observed = abs(float(stat(float(count1), float(count2)))) - 1e-15
    grid1, grid2 = _grid(pooled * exposure1), _grid(pooled * exposure2)
    pmf1 = stats.poisson.pmf(grid1, pooled * exposure1)
    pmf2 = stats.poisson.pmf(grid2, pooled * exposure2)
    rows = max(1, _CHUNK_CELLS // len(grid2))
    total = 0.0
    for start in range(0, len(grid1), rows):
        block = stat(grid1[start : start + rows, None], grid2[None, :])
        mask = np.abs(block) >= observed
        total += float((pmf1[start : start + rows, None] * pmf2[None, :] * mask).sum())
    return min(1.0, total)


def _check_inputs(count1: int, count2: int, exposure1: float, exposure2: float) -> None:
    """Raise ``ValueError`` for negative or fractional counts or non-positive exposures."""
    if count1 < 0 or count2 < 0 or int(count1) != count1 or int(count2) != count2:
        raise ValueError("counts must be non-negative whole numbers")
    if not (exposure1 > 0 and exposure2 > 0 and math.isfinite(exposure1 * exposure2)):
        raise ValueError("exposures must be positive and finite")


def rate_ratio_interval(
    count1: int, count2: int, exposure1: float = 1.0, exposure2: float = 1.0, alpha: float = ALPHA
) -> tuple[float, float | None]:
    """Exact conditional interval for rate2 / rate1; ``None`` upper bound means unbounded."""
    _check_inputs(count1, count2, exposure1, exposure2)
    lo_pi = 0.0 if count2 == 0 else float(stats.beta.ppf(alpha / 2, count2, count1 + 1))
    hi_pi = 1.0 if count1 == 0 else float(stats.beta.ppf(1 - alpha / 2, count2 + 1, count1))
    scale = exposure1 / exposure2
    lower = lo_pi / (1.0 - lo_pi) * scale
    upper = None if hi_pi >= 1.0 else hi_pi / (1.0 - hi_pi) * scale
    return lower, upper


def compare_counts(
    count1: int, count2: int, exposure1: float = 1.0, exposure2: float = 1.0
) -> CountComparison:
    """Compare a later count (``count2``) with an earlier one (``count1``).

    Exposures are the sizes of the two periods (days, population-years); with the
    defaults the counts are compared directly. Returns the rate ratio, its exact 95%
    interval, the E-test p-value, a verdict at alpha 0.05, and the percentage change
    with its interval.
    """
    _check_inputs(count1, count2, exposure1, exposure2)
    rate1, rate2 = count1 / exposure1, count2 / exposure2
    ratio = None if count1 == 0 else rate2 / rate1
    lower, upper = rate_ratio_interval(count1, count2, exposure1, exposure2)
    p_value = etest_pvalue(count1, count2, exposure1, exposure2)
    verdict: Verdict = "no significant change"
    if p_value < ALPHA:
        verdict = "significant increase" if rate2 > rate1 else "significant decrease"
    return CountComparison(
        count1=int(count1),
        count2=int(count2),
        exposure1=float(exposure1),
        exposure2=float(exposure2),
        rate1=rate1,
        rate2=rate2,
        rate_ratio=ratio,
        ratio_lower=lower,
        ratio_upper=upper,
        p_value=p_value,
        verdict=verdict,
        percent_change=None if ratio is None else 100.0 * (ratio - 1.0),
        percent_change_lower=100.0 * (lower - 1.0),
        percent_change_upper=None if upper is None else 100.0 * (upper - 1.0),
    )
