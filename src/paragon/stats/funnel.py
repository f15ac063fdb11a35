"""Funnel plots for comparing units (local policing units, peer forces).

Each unit's rate is plotted against its size. The funnel is the range a unit of
that size would fall in by chance alone if its true rate were the group rate.
Limits are exact, following Spiegelhalter (2005, "Funnel plots for comparing
institutional performance", Statistics in Medicine 24:1185-1202):

* proportions (events out of a denominator): Binomial(n, target) quantiles;
* rates per population: Poisson(target × population) quantiles.

Because counts are whole numbers, the quantile ``r`` for probability ``q`` is
smoothed by interpolation: ``alpha = (F(r) - q) / (F(r) - F(r - 1))`` and the limit
is ``(r - alpha) / size``, where ``F`` is the distribution function.

Limits are at 95% (about 1 unit in 20 falls outside by chance: an early warning)
and 99.8% (about 1 in 500: worth acting on). ``classification`` uses the 99.8%
limits and ``classification_95`` the 95% limits; a unit exactly on a limit is
"within".

Overdispersion (Spiegelhalter 2005, "Handling over-dispersion of performance
indicators", Quality and Safety in Health Care 14:347-351). Real units differ by
more than chance: Home Office 2017/18 domestic burglary per 1,000 households puts
35 of the 39 English forces outside the exact 99.8% limits. With ``adjust``:

* each unit's z-score is ``z_i = (y_i - target) / s_i``, where ``s_i`` is the
  standard error at the target (``sqrt(target / n_i)`` for rates,
  ``sqrt(target (1 - target) / n_i)`` for proportions);
* the z-scores are winsorised: those below the 10th percentile are set to it and
  those above the 90th to it, so that the outliers being looked for do not
  inflate the estimate;
* the overdispersion factor is ``phi = mean(z_w²)``; with no overdispersion
  ``I phi`` is about chi-squared on ``I - 1`` degrees of freedom (``I`` units),
  which gives the test of ``phi`` against 1;
* multiplicative model: limits ``target ± z_q sqrt(phi) s_i``;
* additive (random-effects) model: the between-unit variance is
  ``tau² = (I phi - (I - 1)) / (Σ w_i - Σ w_i² / Σ w_i)`` with ``w_i = 1 / s_i²``
  (0 if negative), and limits ``target ± z_q sqrt(s_i² + tau²)``.

``adjust="auto"`` keeps the exact limits unless the chi-squared test says the
units are overdispersed (p < 0.05), and then uses whichever of the two models fits
the winsorised residuals better (the larger normal log-likelihood; each has one
parameter). The plot says which was used, with ``phi`` and ``tau²``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
from scipy import special

Position = Literal["within", "above", "below"]
Kind = Literal["proportion", "rate"]
Adjust = Literal["none", "auto", "multiplicative", "additive"]
Method = Literal["exact", "multiplicative", "additive"]

WINSOR = 0.1
"""Share of z-scores winsorised at each end (Spiegelhalter 2005 uses 10%)."""
OVERDISPERSED_P = 0.05

COVERAGES = (0.95, 0.998)


@dataclass(frozen=True)
class FunnelUnit:
    """One unit on a funnel plot, with the limits at its size."""

    unit: str
    events: float
    size: float
    value: float
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float
    classification: Position
    classification_95: Position


@dataclass(frozen=True)
class Overdispersion:
    """How much more the units vary than chance alone, and the model chosen for the limits."""

    method: Method
    """The limits used: exact (no adjustment), multiplicative or additive."""
    phi: float
    """Winsorised overdispersion factor (1: as chance predicts)."""
    p_value: float
    """Chi-squared test of ``phi`` against 1 on ``units - 1`` degrees of freedom."""
    tau2: float
    """Between-unit variance of the additive model (per single unit of size, squared)."""
    units: int
    winsor: float = WINSOR


@dataclass(frozen=True)
class FunnelPlot:
    """A funnel plot: the target rate and each unit's position. Values are per ``per``."""

    kind: Kind
    target: float
    per: float
    units: list[FunnelUnit]
    overdispersion: Overdispersion | None = None
    """The overdispersion estimate, when the limits were asked to allow for it."""

    def to_dict(self) -> dict[str, Any]:
        """Return the plot as plain JSON-serialisable Python objects."""
        return asdict(self)


def _smoothed_quantile(q: float, cdf: Any, ppf_raw: Any) -> np.ndarray:
    """Spiegelhalter's smoothed quantile of a discrete distribution, for many sizes at once.

    ``r`` is the smallest count with ``F(r) >= q``; the result is
    ``r - (F(r) - q) / (F(r) - F(r - 1))``. ``cdf(k)`` is ``F`` at whole counts ``k`` and
    ``ppf_raw(q)`` the continuous inverse of ``F`` (scipy.special's ``pdtrik``/``bdtrik``),
    whose ceiling is ``r`` or one above it.
    """
    r = np.ceil(ppf_raw(q))
    below = np.maximum(r - 1.0, 0.0)
    r = np.where(cdf(below) >= q, below, r)
    f_r = cdf(r)
    f_below = np.where(r > 0, cdf(np.maximum(r - 1.0, 0.0)), 0.0)
    step = f_r - f_below
    safe = np.where(step == 0, 1.0, step)
    return np.asarray(np.where(step == 0, r, r - (f_r - q) / safe), dtype=float)


def _poisson_quantiles(means: np.ndarray, q: float) -> np.ndarray:
    """Smoothed Poisson(mean) quantiles (a mean of 0 puts everything at 0)."""
    m = np.asarray(means, dtype=float)
    positive = np.where(m > 0, m, 1.0)
    out = _smoothed_quantile(
        q, lambda k: special.pdtr(k, positive), lambda p: special.pdtrik(p, positive)
    )
    return np.where(m > 0, out, 0.0)


def _binomial_quantiles(sizes: np.ndarray, target: float, q: float) -> np.ndarray:
    """Smoothed Binomial(size, target) quantiles (a target of 0 or 1 is a single point, which
    the smoothing spreads over the unit step below it)."""
    n = np.asarray(sizes, dtype=float)
    if target <= 0.0:
        return np.full_like(n, q - 1.0)
    if target >= 1.0:
        return n - (1.0 - q)
    return _smoothed_quantile(
        q,
        lambda k: np.where(
            k >= n, 1.0, special.bdtr(np.minimum(k, n).astype(np.int64), n.astype(np.int64), target)
        ),
        lambda p: special.bdtrik(p, n, target),
    )


def _binomial_limit_arrays(
    target: float, sizes: np.ndarray, coverage: float
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (interpolated) binomial limits, as proportions, for many numbers of cases."""
    tail = (1.0 - coverage) / 2.0
    n = np.round(sizes)
    lower = np.maximum(0.0, _binomial_quantiles(n, target, tail))
    upper = np.maximum(0.0, _binomial_quantiles(n, target, 1.0 - tail))
    return lower / n, np.minimum(n, upper) / n


def _poisson_limit_arrays(
    target: float, sizes: np.ndarray, coverage: float
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (interpolated) Poisson limits, per single unit of size, for many sizes."""
    tail = (1.0 - coverage) / 2.0
    means = target * sizes
    lower = np.maximum(0.0, _poisson_quantiles(means, tail))
    upper = np.maximum(0.0, _poisson_quantiles(means, 1.0 - tail))
    return lower / sizes, upper / sizes


def _exact_limit_arrays(
    kind: Kind, target: float, sizes: np.ndarray, coverage: float
) -> tuple[np.ndarray, np.ndarray]:
    """Exact (interpolated) lower and upper limits, per single unit of size, for many sizes."""
    exact = _binomial_limit_arrays if kind == "proportion" else _poisson_limit_arrays
    return exact(target, sizes, coverage)


def binomial_limits(target: float, n: float, coverage: float) -> tuple[float, float]:
    """Exact (interpolated) binomial funnel limits for a proportion on ``n`` cases."""
    size = round(n)
    if not 0.0 <= target <= 1.0 or size < 1:
        raise ValueError("need 0 <= target <= 1 and n >= 1")
    lower, upper = _binomial_limit_arrays(target, np.array([float(size)]), coverage)
    return float(lower[0]), float(upper[0])


def poisson_limits(target: float, exposure: float, coverage: float) -> tuple[float, float]:
    """Exact (interpolated) Poisson funnel limits for a rate per unit of ``exposure``."""
    if target < 0 or exposure <= 0:
        raise ValueError("need target >= 0 and exposure > 0")
    lower, upper = _poisson_limit_arrays(target, np.array([float(exposure)]), coverage)
    return float(lower[0]), float(upper[0])


def _position(value: float, lower: float, upper: float) -> Position:
    """Where a value lies relative to limits; a value on a limit is within."""
    if value > upper:
        return "above"
    if value < lower:
        return "below"
    return "within"


def _check(events: Sequence[float], sizes: Sequence[float], units: Sequence[str]) -> None:
    """Raise ``ValueError`` unless the inputs line up and make sense."""
    if not len(events) == len(sizes) == len(units) or not units:
        raise ValueError("events, sizes and units must be non-empty and the same length")
    if any(s <= 0 for s in sizes) or any(e < 0 for e in events):
        raise ValueError("sizes must be positive and events non-negative")


def _se(kind: Kind, target: float, size: float) -> float:
    """Standard error of one unit's value at the target."""
    if kind == "proportion":
        return math.sqrt(target * (1.0 - target) / size)
    return math.sqrt(target / size)


def winsorise(z: Sequence[float], share: float = WINSOR) -> np.ndarray:
    """Values below the ``share`` quantile set to it and above the ``1 - share`` quantile set
    to that (quantiles interpolated linearly, numpy's default)."""
    arr = np.asarray(z, dtype=float)
    lo, hi = np.quantile(arr, [share, 1.0 - share])
    return np.clip(arr, lo, hi)


def estimate_overdispersion(
    kind: Kind,
    events: Sequence[float],
    sizes: Sequence[float],
    target: float,
    adjust: Adjust = "auto",
) -> Overdispersion:
    """Spiegelhalter's winsorised overdispersion estimate and the model for the limits."""
    values = np.asarray(events, dtype=float) / np.asarray(sizes, dtype=float)
    se = np.array([_se(kind, target, s) for s in sizes])
    if (se <= 0).any():
        raise ValueError("the target leaves no chance variation (0 or 100%): cannot adjust")
    n_units = len(values)
    zw = winsorise((values - target) / se)
    phi = float(np.mean(zw**2))
    p_value = float(special.chdtrc(n_units - 1, n_units * phi)) if n_units > 1 else 1.0
    w = 1.0 / se**2
    denom = float(w.sum() - (w**2).sum() / w.sum())
    tau2 = max(0.0, (n_units * phi - (n_units - 1)) / denom) if denom > 0 else 0.0
    method: Method
    if adjust == "none" or (adjust == "auto" and (p_value >= OVERDISPERSED_P or n_units < 3)):
        method = "exact"
    elif adjust in ("multiplicative", "additive"):
        method = adjust
    else:
        resid = zw * se
        mult = se**2 * max(phi, 1.0)
        addv = se**2 + tau2
        ll_mult = float(np.sum(-0.5 * np.log(mult) - 0.5 * resid**2 / mult))
        ll_add = float(np.sum(-0.5 * np.log(addv) - 0.5 * resid**2 / addv))
        method = "multiplicative" if ll_mult > ll_add else "additive"
    return Overdispersion(method, phi, p_value, tau2, n_units)


def limits_at(
    kind: Kind,
    target: float,
    size: float,
    coverage: float,
    overdispersion: Overdispersion | None = None,
    per: float = 1.0,
) -> tuple[float, float]:
    """A funnel's limits at one size (``target`` and the limits per single unit of size), exact
    or allowing for overdispersion as a plot reports it (its ``tau2`` per ``per`` squared)."""
    if overdispersion is None or overdispersion.method == "exact":
        exact = binomial_limits if kind == "proportion" else poisson_limits
        return exact(target, size, coverage)
    od = replace(overdispersion, tau2=overdispersion.tau2 / (per * per))
    return _adjusted_limits(kind, target, size, coverage, od)


def limits_curve(
    kind: Kind,
    target: float,
    sizes: Sequence[float] | np.ndarray,
    coverage: float,
    overdispersion: Overdispersion | None = None,
    per: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`limits_at` for many sizes at once (the curve a chart draws), in one pass when the
    limits are exact."""
    size_arr = np.asarray(sizes, dtype=float)
    if overdispersion is None or overdispersion.method == "exact":
        if kind == "proportion" and (not 0.0 <= target <= 1.0 or (np.round(size_arr) < 1).any()):
            raise ValueError("need 0 <= target <= 1 and n >= 1")
        if target < 0 or (size_arr <= 0).any():
            raise ValueError("need target >= 0 and exposure > 0")
        return _exact_limit_arrays(kind, target, size_arr, coverage)
    pairs = [limits_at(kind, target, s, coverage, overdispersion, per) for s in size_arr]
    return np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])


def _adjusted_limits(
    kind: Kind, target: float, size: float, coverage: float, od: Overdispersion
) -> tuple[float, float]:
    """Normal limits widened by the overdispersion model (never below 0, or above 1 for
    proportions)."""
    se = _se(kind, target, size)
    width = (
        se * math.sqrt(max(od.phi, 1.0))
        if od.method == "multiplicative"
        else math.sqrt(se**2 + od.tau2)
    )
    half = float(-special.ndtri((1.0 - coverage) / 2.0)) * width
    upper = target + half
    return max(0.0, target - half), min(1.0, upper) if kind == "proportion" else upper


def _build(
    kind: Kind,
    events: Sequence[float],
    sizes: Sequence[float],
    units: Sequence[str],
    target: float,
    per: float,
    adjust: Adjust = "none",
) -> FunnelPlot:
    """Limits and classifications for every unit (``target`` per single unit of size)."""
    if adjust not in ("none", "auto", "multiplicative", "additive"):
        raise ValueError("adjust must be none, auto, multiplicative or additive")
    od = None if adjust == "none" else estimate_overdispersion(kind, events, sizes, target, adjust)
    size_arr = np.asarray(sizes, dtype=float)
    if kind == "proportion" and (not 0.0 <= target <= 1.0 or (np.round(size_arr) < 1).any()):
        raise ValueError("need 0 <= target <= 1 and n >= 1")
    if kind == "rate" and target < 0:
        raise ValueError("need target >= 0 and exposure > 0")
    if od is None or od.method == "exact":
        # One vectorised pass per coverage over every unit's size.
        lo95s, hi95s = _exact_limit_arrays(kind, target, size_arr, COVERAGES[0])
        lo998s, hi998s = _exact_limit_arrays(kind, target, size_arr, COVERAGES[1])
        table = [
            (float(a), float(b), float(c), float(d))
            for a, b, c, d in zip(lo95s, hi95s, lo998s, hi998s, strict=True)
        ]
    else:
        table = [
            _adjusted_limits(kind, target, s, COVERAGES[0], od)
            + _adjusted_limits(kind, target, s, COVERAGES[1], od)
            for s in sizes
        ]

    rows: list[FunnelUnit] = []
    for name, e, s, (lo95, hi95, lo998, hi998) in zip(units, events, sizes, table, strict=True):
        value = e / s
        rows.append(
            FunnelUnit(
                unit=name,
                events=float(e),
                size=float(s),
                value=value * per,
                lower_95=lo95 * per,
                upper_95=hi95 * per,
                lower_998=lo998 * per,
                upper_998=hi998 * per,
                classification=_position(value, lo998, hi998),
                classification_95=_position(value, lo95, hi95),
            )
        )
    if od is not None:
        od = Overdispersion(od.method, od.phi, od.p_value, od.tau2 * per * per, od.units)
    return FunnelPlot(kind=kind, target=target * per, per=per, units=rows, overdispersion=od)


def funnel_proportions(
    events: Sequence[int],
    denominators: Sequence[int],
    units: Sequence[str],
    *,
    target: float | None = None,
    adjust: Adjust = "none",
) -> FunnelPlot:
    """Funnel plot for proportions (e.g. positive outcomes out of offences).

    ``target`` defaults to the group proportion ``Σevents / Σdenominators``.
    Values and limits are proportions (``per`` = 1). ``adjust`` allows for
    overdispersion (see the module docstring).
    """
    _check(events, denominators, units)
    if any(map(operator.gt, events, denominators)):  # the lengths are checked above
        raise ValueError("events cannot exceed denominators")
    theta = sum(events) / sum(denominators) if target is None else target
    return _build("proportion", events, denominators, units, theta, 1.0, adjust)


def funnel_rates(
    events: Sequence[int],
    populations: Sequence[float],
    units: Sequence[str],
    *,
    per: float = 1000.0,
    target: float | None = None,
    adjust: Adjust = "none",
) -> FunnelPlot:
    """Funnel plot for rates per population (e.g. burglaries per 1,000 households).

    ``target`` is a rate per ``per`` people and defaults to the group rate
    ``Σevents / Σpopulations × per``. Values and limits are per ``per``.
    ``adjust`` allows for overdispersion (see the module docstring); ``tau2`` is then
    reported per ``per`` squared.
    """
    _check(events, populations, units)
    theta = sum(events) / sum(populations) if target is None else target / per
    return _build("rate", events, populations, units, theta, per, adjust)
