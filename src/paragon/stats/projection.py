"""Year-end projections for plan milestones, and the verdict once a year closes.

The financial year runs April to March; months are indexed 0 (April) to 11 (March).

Counts (lower is usually better). With ``k`` months observed, a year-to-date count
``S``, and previous complete years ``j`` with totals ``N_j``:

* the share of a year normally done by month ``k`` is ``p = mean_j s_j`` where
  ``s_j`` is the share of year ``j``'s total recorded in its first ``k`` months;
* the projected total is ``S / p``;
* uncertainty has two parts. (a) Poisson noise: given this year's share, the rest
  of the year is Poisson, and ``S`` itself is a noisy measure of the year's level,
  which together give variance ``Y(1-p)/p`` (the gamma-Poisson, i.e. negative
  binomial, predictive variance). (b) Share variability: the share ``p`` differs
  from year to year beyond Poisson noise. Its extra variance ``tau²`` is estimated
  by the method of moments, ``max(0, var_j(s_j) - mean_j p(1-p)/N_j)`` (0 with a
  single previous year), and the uncertainty of ``p`` for this year is
  ``tau² + (tau² + mean_j p(1-p)/N_j) / J``; by the delta method it adds
  ``Y² var(p) / p²``.
* the remaining count is given a negative binomial distribution with the mean and
  the total variance above, which yields the 80% and 95% intervals and the chance
  of meeting the milestone. If nothing is recorded yet, half an event stands in
  for ``S`` in the uncertainty so that the interval is not a single point.

Proportions (e.g. survey confidence): the projection is the year-to-date
proportion with its Wilson intervals on the effective sample size; the chance of
meeting the milestone uses a normal approximation whose standard error is read
from the 95% Wilson interval. This assumes the rest of the year resembles the
year so far.

Assurance: "likely met" if the chance is at least 0.8, "likely missed" if at most
0.2, otherwise "uncertain".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

from paragon.stats.proportions import MIN_RESPONSES, NOT_ENOUGH, wilson_interval

Direction = Literal["higher", "lower"]
Assurance = Literal["likely met", "likely missed", "uncertain", "not enough responses"]
Outcome = Literal["met", "missed"]

MONTHS = 12
LIKELY = 0.8
"""Chance of meeting (or missing) a milestone needed for a "likely" assurance."""


@dataclass(frozen=True)
class YearEndProjection:
    """A projected year-end value with intervals and the chance of meeting the milestone."""

    kind: Literal["count", "proportion"]
    year_to_date: float
    months_observed: int | None
    projected: float | None
    interval_80: tuple[float, float] | None
    interval_95: tuple[float, float] | None
    probability_met: float | None
    assurance: Assurance
    milestone: float
    better: Direction
    share_of_year: float | None = None
    """Counts: share of a year normally recorded by now."""
    share_sd: float | None = None
    """Counts: standard deviation of this year's share used for the uncertainty."""

    def to_dict(self) -> dict[str, Any]:
        """Return the projection as plain JSON-serialisable Python objects."""
        return asdict(self)


@dataclass(frozen=True)
class ClosedYearAssessment:
    """Whether a closed year met its milestone and whether the gap is beyond noise."""

    outcome: Outcome
    beyond_noise: bool
    value: float
    milestone: float
    lower: float | None
    upper: float | None
    """95% interval for the underlying rate (counts) or proportion."""
    p_value: float | None
    """Counts only: exact two-sided Poisson test of the value against the milestone."""
    status: Literal["ok", "not enough responses"] = "ok"

    def to_dict(self) -> dict[str, Any]:
        """Return the assessment as plain JSON-serialisable Python objects."""
        return asdict(self)


def assurance_for(probability: float) -> Assurance:
    """Assurance class for a probability of meeting a milestone."""
    if probability >= LIKELY:
        return "likely met"
    if probability <= 1.0 - LIKELY:
        return "likely missed"
    return "uncertain"


@dataclass(frozen=True)
class SeasonalShare:
    """Share of a year normally recorded by a given month, from previous years."""

    share: float
    """Mean share across previous years."""
    tau2: float
    """Year-to-year variance of the share beyond Poisson noise (method of moments)."""
    binomial_var: float
    """Average Poisson (binomial-split) variance of one year's share."""
    years: int

    def sd(self, tail: float = 0.1) -> float:
        """Standard deviation of this year's share about :attr:`share`.

        ``tau2`` is estimated from only a few years, so it is scaled by
        ``(t / z)²`` for the Student t quantile on ``years - 1`` degrees of freedom
        at the given one-sided ``tail`` probability.
        """
        factor = 1.0
        if self.years > 1 and self.tau2 > 0:
            factor = (stats.t.isf(tail, self.years - 1) / stats.norm.isf(tail)) ** 2
        extra = factor * self.tau2 * (1.0 + 1.0 / self.years)
        return math.sqrt(extra + self.binomial_var / self.years)


def seasonal_share(
    months_observed: int, previous_years: Sequence[Sequence[float]]
) -> SeasonalShare:
    """Share of a year recorded in its first ``months_observed`` months, from previous years."""
    if not previous_years:
        raise ValueError("need at least one previous complete year")
    years = np.asarray(previous_years, dtype=float)
    if years.ndim != 2 or years.shape[1] != MONTHS or (years < 0).any():
        raise ValueError("each previous year needs 12 non-negative monthly values")
    totals = years.sum(axis=1)
    if (totals <= 0).any():
        raise ValueError("each previous year needs a positive total")
    shares = years[:, :months_observed].sum(axis=1) / totals
    p = float(shares.mean())
    binomial_var = float(np.mean(p * (1.0 - p) / totals))
    tau2 = max(0.0, float(shares.var(ddof=1)) - binomial_var) if len(shares) > 1 else 0.0
    return SeasonalShare(p, tau2, binomial_var, len(shares))


def _remaining_distribution(ytd: float, p: float, sd_p: float) -> Any:
    """Negative binomial for the rest of the year's count (see the module docstring)."""
    level = max(ytd, 0.5) / p
    mean = level * (1.0 - p)
    var = mean / p + level**2 * sd_p**2 / p**2
    return stats.nbinom(mean * mean / (var - mean), mean / var)


def _interval(ytd: float, season: SeasonalShare, level: float) -> tuple[float, float]:
    """Equal-tailed interval for the year-end total at the given level."""
    tail = (1.0 - level) / 2.0
    dist = _remaining_distribution(ytd, season.share, season.sd(tail))
    return ytd + float(dist.ppf(tail)), ytd + float(dist.ppf(1.0 - tail))


def _probability_met(dist: Any, ytd: float, milestone: float, better: Direction) -> float:
    """Chance the year-end total meets the milestone, given the rest-of-year distribution."""
    gap = milestone - ytd
    if better == "lower":
        return 0.0 if gap < 0 else float(dist.cdf(math.floor(gap)))
    return 1.0 if gap <= 0 else float(dist.sf(math.ceil(gap) - 1))


def project_count_year_end(
    observed: Sequence[float],
    previous_years: Sequence[Sequence[float]],
    milestone: float,
    *,
    better: Direction = "lower",
) -> YearEndProjection:
    """Project a count's financial-year total from the months observed so far.

    ``observed`` holds this year's monthly counts from April (month 0), 1 to 11
    of them; ``previous_years`` holds complete earlier years of 12 months each.
    The milestone is met if the total is at most it (``better="lower"``) or at
    least it (``better="higher"``).
    """
    k = len(observed)
    if not 1 <= k < MONTHS:
        raise ValueError("need 1 to 11 observed months; use assess_closed_year after March")
    if any(v < 0 or not math.isfinite(v) for v in observed):
        raise ValueError("observed counts must be non-negative")
    ytd = float(sum(observed))
    season = seasonal_share(k, previous_years)
    p = season.share
    if not 0.0 < p < 1.0:
        raise ValueError("previous years have no events in these months or none after them")
    dist = _remaining_distribution(ytd, p, season.sd(1.0 - LIKELY))
    prob = _probability_met(dist, ytd, milestone, better)
    return YearEndProjection(
        kind="count",
        year_to_date=ytd,
        months_observed=k,
        projected=ytd / p,
        interval_80=_interval(ytd, season, 0.8),
        interval_95=_interval(ytd, season, 0.95),
        probability_met=prob,
        assurance=assurance_for(prob),
        milestone=float(milestone),
        better=better,
        share_of_year=p,
        share_sd=season.sd(1.0 - LIKELY),
    )


def project_proportion_year_end(
    successes: float,
    n: float,
    milestone: float,
    *,
    better: Direction = "higher",
    design_effect: float = 1.0,
    min_responses: float = MIN_RESPONSES,
) -> YearEndProjection:
    """Project a proportion's year-end value from the year to date.

    The projection is the year-to-date proportion ``successes / n`` with 80% and
    95% Wilson intervals on the effective sample size ``n / design_effect``.
    """
    p80 = wilson_interval(successes, n, 0.8, design_effect, min_responses=min_responses)
    p95 = wilson_interval(successes, n, 0.95, design_effect, min_responses=min_responses)
    ytd = successes / n if n > 0 else 0.0
    if p80.estimate is None or p80.lower is None or p80.upper is None:
        return YearEndProjection(
            "proportion", ytd, None, None, None, None, None, NOT_ENOUGH, milestone, better
        )
    assert p95.lower is not None and p95.upper is not None
    se = (p95.upper - p95.lower) / (2.0 * float(stats.norm.isf(0.025)))
    z = (p80.estimate - milestone) / se
    prob = float(stats.norm.cdf(z if better == "higher" else -z))
    return YearEndProjection(
        kind="proportion",
        year_to_date=ytd,
        months_observed=None,
        projected=p80.estimate,
        interval_80=(p80.lower, p80.upper),
        interval_95=(p95.lower, p95.upper),
        probability_met=prob,
        assurance=assurance_for(prob),
        milestone=float(milestone),
        better=better,
    )


def _met(value: float, milestone: float, better: Direction) -> Outcome:
    """Met if at or below (lower is better) or at or above (higher is better) the milestone."""
    ok = value <= milestone if better == "lower" else value >= milestone
    return "met" if ok else "missed"


def poisson_exact_interval(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson mean given one observed count."""
    alpha = 1.0 - confidence
    lower = 0.0 if count == 0 else float(stats.chi2.ppf(alpha / 2, 2 * count)) / 2.0
    return lower, float(stats.chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2.0


def assess_closed_year(
    value: float,
    milestone: float,
    better: Direction,
    *,
    n: float | None = None,
    design_effect: float = 1.0,
    min_responses: float = MIN_RESPONSES,
) -> ClosedYearAssessment:
    """Judge a closed year: "met" or "missed", and whether the gap is beyond noise.

    Counts (``n`` is None): ``value`` is the year's count. The gap is beyond noise
    if an exact two-sided Poisson test of the count against the milestone gives
    p < 0.05 (equivalently, the exact 95% interval excludes the milestone).
    Proportions: ``value`` is the proportion on ``n`` responses; the gap is beyond
    noise if the 95% Wilson interval on the effective sample size excludes it.
    """
    outcome = _met(value, milestone, better)
    if n is None:
        if value < 0 or int(value) != value:
            raise ValueError("a count must be a non-negative whole number")
        lower, upper = poisson_exact_interval(int(value))
        tails = stats.poisson.cdf(value, milestone), stats.poisson.sf(value - 1, milestone)
        p_value = min(1.0, 2.0 * float(min(tails)))
        return ClosedYearAssessment(
            outcome, p_value < 0.05, value, milestone, lower, upper, p_value
        )
    est = wilson_interval(value * n, n, 0.95, design_effect, min_responses=min_responses)
    if est.lower is None or est.upper is None:
        return ClosedYearAssessment(outcome, False, value, milestone, None, None, None, NOT_ENOUGH)
    beyond = milestone < est.lower or milestone > est.upper
    return ClosedYearAssessment(outcome, beyond, value, milestone, est.lower, est.upper, None)
