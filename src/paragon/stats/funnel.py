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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from scipy import stats

Position = Literal["within", "above", "below"]
Kind = Literal["proportion", "rate"]

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
class FunnelPlot:
    """A funnel plot: the target rate and each unit's position. Values are per ``per``."""

    kind: Kind
    target: float
    per: float
    units: list[FunnelUnit]

    def to_dict(self) -> dict[str, Any]:
        """Return the plot as plain JSON-serialisable Python objects."""
        return asdict(self)


def _interpolated_quantile(q: float, dist: Any) -> float:
    """Spiegelhalter's smoothed quantile of a discrete distribution (a frozen scipy one).

    ``r`` is the smallest count with ``F(r) >= q``; the result is
    ``r - (F(r) - q) / (F(r) - F(r - 1))``.
    """
    r = float(dist.ppf(q))
    f_r = float(dist.cdf(r))
    f_below = float(dist.cdf(r - 1.0)) if r > 0 else 0.0
    if f_r == f_below:
        return r
    return r - (f_r - q) / (f_r - f_below)


def _smoothed_limits(dist: Any, coverage: float) -> tuple[float, float]:
    """Lower and upper smoothed quantiles (as counts, not below 0) for a coverage."""
    tail = (1.0 - coverage) / 2.0
    lower = max(0.0, _interpolated_quantile(tail, dist))
    upper = max(0.0, _interpolated_quantile(1.0 - tail, dist))
    return lower, upper


def binomial_limits(target: float, n: float, coverage: float) -> tuple[float, float]:
    """Exact (interpolated) binomial funnel limits for a proportion on ``n`` cases."""
    size = round(n)
    if not 0.0 <= target <= 1.0 or size < 1:
        raise ValueError("need 0 <= target <= 1 and n >= 1")
    lower, upper = _smoothed_limits(stats.binom(size, target), coverage)
    return lower / size, min(float(size), upper) / size


def poisson_limits(target: float, exposure: float, coverage: float) -> tuple[float, float]:
    """Exact (interpolated) Poisson funnel limits for a rate per unit of ``exposure``."""
    if target < 0 or exposure <= 0:
        raise ValueError("need target >= 0 and exposure > 0")
    lower, upper = _smoothed_limits(stats.poisson(target * exposure), coverage)
    return lower / exposure, upper / exposure


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


def _build(
    kind: Kind,
    events: Sequence[float],
    sizes: Sequence[float],
    units: Sequence[str],
    target: float,
    per: float,
) -> FunnelPlot:
    """Limits and classifications for every unit (``target`` per single unit of size)."""
    limits = binomial_limits if kind == "proportion" else poisson_limits
    rows: list[FunnelUnit] = []
    for name, e, s in zip(units, events, sizes, strict=True):
        lo95, hi95 = limits(target, s, COVERAGES[0])
        lo998, hi998 = limits(target, s, COVERAGES[1])
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
    return FunnelPlot(kind=kind, target=target * per, per=per, units=rows)


def funnel_proportions(
    events: Sequence[int],
    denominators: Sequence[int],
    units: Sequence[str],
    *,
    target: float | None = None,
) -> FunnelPlot:
    """Funnel plot for proportions (e.g. positive outcomes out of offences).

    ``target`` defaults to the group proportion ``Σevents / Σdenominators``.
    Values and limits are proportions (``per`` = 1).
    """
    _check(events, denominators, units)
    if any(e > d for e, d in zip(events, denominators, strict=True)):
        raise ValueError("events cannot exceed denominators")
    theta = sum(events) / sum(denominators) if target is None else target
    return _build("proportion", events, denominators, units, theta, 1.0)


def funnel_rates(
    events: Sequence[int],
    populations: Sequence[float],
    units: Sequence[str],
    *,
    per: float = 1000.0,
    target: float | None = None,
) -> FunnelPlot:
    """Funnel plot for rates per population (e.g. burglaries per 1,000 households).

    ``target`` is a rate per ``per`` people and defaults to the group rate
    ``Σevents / Σpopulations × per``. Values and limits are per ``per``.
    """
    _check(events, populations, units)
    theta = sum(events) / sum(populations) if target is None else target / per
    return _build("rate", events, populations, units, theta, per)
