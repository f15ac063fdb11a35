"""Seasonal profile of monthly counts, so control charts compare like with like.

Crime has a yearly rhythm (burglary rises in the dark months, for example). An XmR chart of raw
monthly counts reads that rhythm as special-cause variation. This module estimates a multiplicative
seasonal index for each calendar month from every complete year of the series, and divides each
month's count by its index (a "seasonally adjusted" count on the same scale as the original).

The model is a quasi-Poisson log-linear regression (statsmodels' GLM with the Pearson
dispersion): log expected count = segment level + linear trend + calendar-month effect. The trend
and the per-segment levels (one per recording-practice break) are there only so that a falling or
stepped series does not bias the profile; they are not removed from the chart. The index of a
calendar month is exp(its effect − the mean of the 12 effects), so the indices have a geometric
mean of 1, and its 95% interval comes from the model's covariance matrix (widened by the
estimated dispersion, never below 1).

A profile needs every calendar month at least :data:`MIN_YEARS` times (two years): with less, no
profile is estimated and the chart says the seasonality was not removed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

MIN_YEARS = 2
"""Each calendar month must appear at least this many times to estimate its index."""
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class SeasonalProfile:
    """Multiplicative seasonal indices (geometric mean 1) with 95% intervals."""

    index: list[float]
    """Index of January .. December: a month with index 1.1 is typically 10% above the level."""
    lower: list[float]
    upper: list[float]
    dispersion: float
    """Pearson chi-squared / degrees of freedom of the fit (1 for pure Poisson noise)."""
    months_used: int
    years: float
    """Months used divided by 12."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, with the month names."""
        return {**asdict(self), "months": list(MONTH_NAMES)}

    def of(self, period: str) -> float:
        """The index for a ``YYYY-MM`` period's calendar month."""
        return self.index[calendar_month(period) - 1]


def calendar_month(period: str) -> int:
    """1..12 from a ``YYYY-MM`` label; ``ValueError`` for anything else."""
    try:
        year, month = period.split("-")
        number = int(month)
        int(year)
    except ValueError as exc:
        raise ValueError(f"period {period!r} is not a month like 2016-10") from exc
    if len(year) != 4 or not 1 <= number <= 12:
        raise ValueError(f"period {period!r} is not a month like 2016-10")
    return number


def month_number(period: str) -> int:
    """Months since year 0 for a ``YYYY-MM`` label (for trends and gaps)."""
    return int(period[:4]) * 12 + calendar_month(period) - 1


def seasonal_profile(
    values: Sequence[float], periods: Sequence[str], segments: Sequence[int] | None = None
) -> SeasonalProfile | None:
    """The seasonal profile of monthly counts, or ``None`` when there is too little data.

    ``values`` are counts (non-negative) for the ``YYYY-MM`` ``periods`` (gaps allowed);
    ``segments`` numbers the recording-practice segment of each month (0 throughout by default),
    each getting its own level. Returns ``None`` when some calendar month appears fewer than
    :data:`MIN_YEARS` times, or when a calendar month has no events at all (its index would be 0).
    """
    if len(values) != len(periods):
        raise ValueError("values and periods must have the same length")
    if any(v < 0 or not math.isfinite(v) for v in values):
        raise ValueError("counts must be finite and not negative")
    months = [calendar_month(p) for p in periods]
    seen = [months.count(m) for m in range(1, 13)]
    if min(seen) < MIN_YEARS:
        return None
    totals = np.bincount(months, weights=values, minlength=13)[1:]  # events per calendar month
    if totals.min() <= 0:
        return None
    segs = list(segments) if segments is not None else [0] * len(values)
    levels = sorted(set(segs))
    t = np.array([month_number(p) for p in periods])
    t = (t - t.mean()) / 12.0
    columns = [np.array([1.0 if s == lev else 0.0 for s in segs]) for lev in levels]
    columns.append(t)
    # Calendar-month effects in sum-to-zero coding: December is minus the sum of the others.
    for c in range(1, 12):
        columns.append(np.array([1.0 if m == c else (-1.0 if m == 12 else 0.0) for m in months]))
    x = np.column_stack(columns)
    y = np.asarray(values, dtype=float)
    import statsmodels.api as sm  # here, not at module level: it takes a second to import
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    with warnings.catch_warnings():
        # an exactly seasonal series fits perfectly, which statsmodels warns about
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        fit = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    dof = max(len(values) - x.shape[1], 1)
    dispersion = float(fit.pearson_chi2 / dof)
    k = len(levels) + 1
    params = np.asarray(fit.params)[k:]
    cov = np.asarray(fit.cov_params())[k:, k:] * max(dispersion, 1.0)
    # contrast rows: effect of month c (c < 12) is params[c-1]; December is -sum(params)
    contrast = np.vstack([np.eye(11), -np.ones((1, 11))])
    effects = contrast @ params
    ses = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", contrast, cov, contrast), 0.0))
    return SeasonalProfile(
        index=[float(math.exp(e)) for e in effects],
        lower=[float(math.exp(e - 1.96 * s)) for e, s in zip(effects, ses, strict=True)],
        upper=[float(math.exp(e + 1.96 * s)) for e, s in zip(effects, ses, strict=True)],
        dispersion=dispersion,
        months_used=len(values),
        years=len(values) / 12.0,
    )
