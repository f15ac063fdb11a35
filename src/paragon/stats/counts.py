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

Overdispersion (quasi-Poisson). Real monthly crime counts vary far more than Poisson counts
would (one-off events, recording drives, a level that drifts): Greater Manchester burglary
2016-19 has a Pearson chi-squared per degree of freedom of about 25. Given a dispersion factor
``phi`` (the variance is ``phi`` times the mean), both counts are divided by ``phi`` before the
interval and the test, which is the quasi-Poisson scaling: the interval widens by about
``sqrt(phi)`` and a change must be about ``sqrt(phi)`` times larger to count as real.
:func:`period_dispersion` estimates ``phi`` from the months of the two periods, and
:func:`compare_periods` does both.

Zero counts: if ``count1`` is 0 the ratio and percentage change have no finite
value and are ``None`` (as is an upper bound with no limit); the p-value and the
verdict are still given. Two zero counts give p = 1 and "no significant change".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import special

Verdict = Literal["significant increase", "significant decrease", "no significant change"]

ALPHA = 0.05
"""Significance level for the verdict, and 1 - coverage of the interval."""
ASYMPTOTIC_FROM = 1_000_000.0
"""Smallest expected count (of both periods, at the pooled rate) from which the E-test's
p-value is taken from the normal score test (they agree to within 1e-6 from there)."""
RHO_MARGIN = 0.5
"""Standard errors (1/sqrt(months)) added to the estimated lag-1 autocorrelation of a period
comparison's months: calibrated so that autocorrelated months keep the false "real change" rate
within twice its 5% (benchmarks/calibration.py)."""


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
    dispersion: float = 1.0
    """Quasi-Poisson dispersion factor the counts were divided by (1: plain Poisson)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as plain JSON-serialisable Python objects."""
        return asdict(self)


def _poisson_span(mean: float) -> np.ndarray:
    """Counts carrying all but far less than 1e-15 of each tail of a Poisson(mean)."""
    spread = math.sqrt(mean)
    lo = max(0.0, math.floor(mean - 9.0 * spread - 5.0))
    hi = math.ceil(mean + 12.0 * spread + 40.0)
    return np.arange(lo, hi + 1.0)


def _poisson_pmf(k: np.ndarray, mean: float) -> np.ndarray:
    """Poisson probabilities at whole counts ``k`` (log scale, so large means do not overflow)."""
    if mean == 0.0:
        return (k == 0).astype(float)
    return np.asarray(np.exp(special.xlogy(k, mean) - mean - special.gammaln(k + 1.0)))


def _score(x1: Any, x2: Any, r_d: float) -> Any:
    """Score statistic for equal rates (as statsmodels' etest, method "score")."""
    return (x1 - x2 * r_d) / np.sqrt((x1 + x2) * r_d + 1e-20)


def etest_pvalue(
    count1: float, count2: float, exposure1: float = 1.0, exposure2: float = 1.0
) -> float:
    """Two-sided E-test p-value for equal Poisson rates (score statistic).

    The p-value is the sum, over all pairs of counts, of the Poisson probabilities at the
    pooled rate of the pairs whose score statistic is at least as extreme as the observed
    one. For a fixed first count the statistic falls as the second count rises, so the pairs
    counted are two tails in the second count: below a root of a quadratic and above the
    other. The sum over the second count is then one Poisson distribution function value
    per first count, and the cost grows with the square root of the counts (the spread of
    the first count), not with the number of pairs. Counts divided by a dispersion factor
    may be fractional: the observed statistic is then computed from them as they are.

    When both expected counts at the pooled rate are at least :data:`ASYMPTOTIC_FROM`, the
    p-value is the normal score test's, ``2 Φ(-|z|)``: there the two differ by less than
    1e-6 (about 2.5e-7 at the switch, shrinking as the counts grow), and the cost is then
    constant.
    """
    _check_inputs(math.ceil(count1), math.ceil(count2), exposure1, exposure2)
    r_d = exposure1 / exposure2
    pooled = (count1 + count2) / (exposure1 + exposure2)
    observed = abs(float(_score(float(count1), float(count2), r_d))) - 1e-15
    if observed <= 0.0:
        return 1.0
    mean1, mean2 = pooled * exposure1, pooled * exposure2
    if min(mean1, mean2) >= ASYMPTOTIC_FROM:
        return min(1.0, float(2.0 * special.ndtr(-observed)))
    return _etest_exact(observed, mean1, mean2, r_d)


def _etest_exact(c: float, mean1: float, mean2: float, r_d: float) -> float:
    """The E-test's exact sum for an observed |score| ``c`` at expected counts ``mean1/2``."""
    x1 = _poisson_span(mean1)
    root = c * np.sqrt(c * c + 4.0 * x1 * (1.0 + r_d))
    # score >= c  <=>  x2 <= high;  score <= -c  <=>  x2 >= low  (whole x2 only).
    high = np.floor((2.0 * x1 + c * c - root) / (2.0 * r_d))
    low = np.ceil((2.0 * x1 + c * c + root) / (2.0 * r_d))
    # Guard the rounding of the roots with the statistic itself.
    high = np.where(_score(x1, high + 1.0, r_d) >= c, high + 1.0, high)
    high = np.where((high >= 0) & (_score(x1, np.maximum(high, 0.0), r_d) < c), high - 1.0, high)
    low = np.where((low >= 1) & (_score(x1, np.maximum(low - 1.0, 0.0), r_d) <= -c), low - 1.0, low)
    low = np.where(_score(x1, low, r_d) > -c, low + 1.0, low)
    below = np.where(high >= 0, special.pdtr(np.maximum(high, 0.0), mean2), 0.0)
    above = np.where(low <= 0, 1.0, special.pdtrc(np.maximum(low - 1.0, 0.0), mean2))
    if mean2 == 0.0:
        below = (high >= 0).astype(float)
        above = (low <= 0).astype(float)
    total = float(np.sum(_poisson_pmf(x1, mean1) * (below + above)))
    return min(1.0, total)


def _check_inputs(count1: int, count2: int, exposure1: float, exposure2: float) -> None:
    """Raise ``ValueError`` for negative or fractional counts or non-positive exposures."""
    if count1 < 0 or count2 < 0 or int(count1) != count1 or int(count2) != count2:
        raise ValueError("counts must be non-negative whole numbers")
    if not (exposure1 > 0 and exposure2 > 0 and math.isfinite(exposure1 * exposure2)):
        raise ValueError("exposures must be positive and finite")


def rate_ratio_interval(
    count1: float,
    count2: float,
    exposure1: float = 1.0,
    exposure2: float = 1.0,
    alpha: float = ALPHA,
) -> tuple[float, float | None]:
    """Exact conditional interval for rate2 / rate1; ``None`` upper bound means unbounded.

    Fractional counts (counts divided by a dispersion factor) use the same beta quantiles.
    """
    _check_inputs(math.ceil(count1), math.ceil(count2), exposure1, exposure2)
    lo_pi = 0.0 if count2 == 0 else float(special.betaincinv(count2, count1 + 1, alpha / 2))
    hi_pi = 1.0 if count1 == 0 else float(special.betaincinv(count2 + 1, count1, 1 - alpha / 2))
    scale = exposure1 / exposure2
    lower = lo_pi / (1.0 - lo_pi) * scale
    upper = None if hi_pi >= 1.0 else hi_pi / (1.0 - hi_pi) * scale
    return lower, upper


def compare_counts(
    count1: int,
    count2: int,
    exposure1: float = 1.0,
    exposure2: float = 1.0,
    *,
    dispersion: float = 1.0,
) -> CountComparison:
    """Compare a later count (``count2``) with an earlier one (``count1``).

    Exposures are the sizes of the two periods (days, population-years); with the
    defaults the counts are compared directly. Returns the rate ratio, its exact 95%
    interval, the E-test p-value, a verdict at alpha 0.05, and the percentage change
    with its interval. A ``dispersion`` above 1 divides both counts by it first
    (quasi-Poisson; see the module docstring).
    """
    _check_inputs(count1, count2, exposure1, exposure2)
    if not (dispersion >= 1.0 and math.isfinite(dispersion)):
        raise ValueError("the dispersion factor must be a finite number of at least 1")
    rate1, rate2 = count1 / exposure1, count2 / exposure2
    ratio = None if count1 == 0 else rate2 / rate1
    scaled1, scaled2 = count1 / dispersion, count2 / dispersion
    lower, upper = rate_ratio_interval(scaled1, scaled2, exposure1, exposure2)
    p_value = etest_pvalue(scaled1, scaled2, exposure1, exposure2)
    verdict: Verdict = "no significant change"
    if p_value < ALPHA:
        verdict = "significant increase" if rate2 > rate1 else "significant decrease"
    quasi = dispersion > 1.0
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
        interval_method=(
            "exact conditional binomial (Clopper-Pearson) on counts ÷ dispersion"
            if quasi
            else "exact conditional binomial (Clopper-Pearson)"
        ),
        test_method=(
            "quasi-Poisson E-test (counts ÷ dispersion)" if quasi else "E-test (score statistic)"
        ),
        dispersion=float(dispersion),
    )


@dataclass(frozen=True)
class PeriodDispersion:
    """Dispersion of two periods' months, from :func:`period_dispersion`."""

    pearson: float
    """Pearson chi-squared over its degrees of freedom (the quasi-Poisson scale)."""
    df: int
    autocorrelation: float
    """Lag-1 autocorrelation of the Pearson residuals within each period (0 if below 0)."""
    factor: float
    """The dispersion factor used: at least 1 (see :func:`period_dispersion`)."""


def _sum_inflation(rho: float, months: int) -> float:
    """Variance of a sum of ``months`` AR(1) terms over that of independent ones."""
    return 1.0 + 2.0 * sum((1.0 - k / months) * rho**k for k in range(1, months))


def period_dispersion(before: Sequence[float], after: Sequence[float]) -> PeriodDispersion:
    """Quasi-Poisson dispersion of monthly counts in two periods of paired months.

    ``before[i]`` and ``after[i]`` are the same calendar month a period apart (e.g. the
    last 12 months and the 12 before). The Poisson model has a level per period and a
    level per calendar month (so seasonality is not read as noise); its fitted values
    are those of independence in the 2 × months table, ``row × column ÷ total``.
    Pearson's chi-squared over its ``months - 1`` degrees of freedom is the dispersion
    (statsmodels' GLM ``scale="X2"``). Two corrections make the resulting test keep its
    5% level: the lag-1 autocorrelation of the residuals inflates it as for a sum of
    AR(1) months (a level that drifts makes whole periods differ), and because it is
    estimated from few months it is scaled by ``(t / z)²`` for the Student t quantile
    on its degrees of freedom. The factor is never below 1.

    Autocorrelation from a dozen pairs of months is very uncertain, and the test's level
    suffers when it is underestimated, so the bias-corrected estimate is raised by
    :data:`RHO_MARGIN` standard errors (``1/sqrt(months)``), capped at 0.95, and the Student t
    quantile is taken on the effective degrees of freedom ``(months - 1) / inflation`` (months
    that move together carry less independent information about the spread).
    """
    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    if b.ndim != 1 or b.shape != a.shape or len(b) < 2:
        raise ValueError("need two periods of the same number of months (at least 2)")
    if (b < 0).any() or (a < 0).any() or not np.isfinite(b).all() or not np.isfinite(a).all():
        raise ValueError("monthly counts must be non-negative and finite")
    table = np.vstack([b, a])
    keep = table.sum(axis=0) > 0
    table = table[:, keep]
    months = table.shape[1]
    total = table.sum()
    if months < 2 or (table.sum(axis=1) == 0).any():
        return PeriodDispersion(1.0, 0, 0.0, 1.0)
    expected = table.sum(axis=1)[:, None] * table.sum(axis=0)[None, :] / total
    resid = (table - expected) / np.sqrt(expected)
    df = months - 1
    pearson = float((resid**2).sum()) / df
    rho = 0.0
    if months >= 3:
        num = float((resid[:, 1:] * resid[:, :-1]).sum())
        den = float((resid**2).sum())
        raw = num / den if den > 0 else 0.0
        # Kendall-type bias correction for a lag-1 autocorrelation from short series, then
        # half a standard error (1/sqrt(n)) added: from a dozen pairs of months the estimate
        # is very uncertain, and it is an underestimate that makes false alarms.
        n = len(b)
        if n > 3:
            rho = max(0.0, min(0.95, (raw * n + 1.0) / (n - 3.0) + RHO_MARGIN / math.sqrt(n)))
    inflation = _sum_inflation(rho, len(b))
    inflated = pearson * inflation
    df_eff = df / inflation
    t_factor = (float(-special.stdtrit(df_eff, ALPHA / 2)) / float(-special.ndtri(ALPHA / 2))) ** 2
    factor = max(1.0, inflated * t_factor) if inflated > 1.0 else 1.0
    return PeriodDispersion(pearson, df, rho, factor)


def compare_periods(before: Sequence[int], after: Sequence[int]) -> CountComparison:
    """Compare two periods' totals from their paired monthly counts, allowing for overdispersion.

    The dispersion is estimated by :func:`period_dispersion`; the totals are compared by
    :func:`compare_counts` with it.
    """
    disp = period_dispersion(before, after)
    return compare_counts(int(sum(before)), int(sum(after)), dispersion=disp.factor)
