"""Year-end projections for plan milestones, and the verdict once a year closes.

The financial year runs April to March; months are indexed 0 (April) to 11 (March).

Counts (lower is usually better). This year's first ``k`` months are observed; the previous
complete years ``j = 1..J`` give the seasonal profile. **At least two complete earlier years are
needed**: with one, nothing says how much the seasonal share varies from year to year, and the
projection is refused with the reason in words (``reason``) rather than given too confidently.

* Profile: ``w_m`` is the mean over earlier years of month ``m``'s share of its year; ``p`` is the
  share of a year normally recorded by month ``k`` (the sum of ``w_m`` for ``m < k``).
* Dispersion: months vary more than Poisson counts (``phi``, the quasi-Poisson Pearson
  chi-squared per degree of freedom of the earlier years' months about year total × profile,
  taken as estimated down to :data:`PHI_FLOOR`), and neighbouring months go together (the
  lag-1 autocorrelation ``r`` of those residuals, bias-corrected, -0.5 to 0.95: a negative
  estimate is kept, not raised to 0, since raising every chance negative value made the ranges
  too wide on average): a sum of ``n`` months has ``phi`` times the Poisson variance times the
  AR(1) inflation ``1 + 2 Σ (1 - i/n) r^i``.
* In-year level change: for every split of the months so far into a first part and a last part
  of at least two months each, the quasi-Poisson likelihood-ratio statistic for "the level
  (relative to the profile) changed at the split" is ``g = 2 (a log(L1/L0) + b log(L2/L0)) /
  phi`` (``phi`` at least 1 here). The largest is compared with the chi-squared (1 df) quantile
  at ``0.05 / splits`` (Bonferroni) to say in words that the level changed. The projection does
  not pick one account of the year: "no change" and "a change at each split" are each an
  account, weighted by its chance (:func:`level_weights`: prior 1/2 for no change, the rest
  shared among the splits, times ``exp(g / 2) / sqrt(k)``), and the rest of the year is their
  mixture. (Picking the account the test chose left the ranges holding 88-89% of the time for
  95% after a real step, since a step the test missed was projected as no change at all.)
* Projection: for an account, with ``S'`` the count of the months that set the level (all of them,
  or those since its change) and ``p'`` their normal share, the rest of the year is
  ``R = S' (1 - p) / p'``; the projected total is the year to date plus the accounts' weighted
  mean of ``R``.
* Uncertainty: (a) noise: ``phi`` × (the rest's own variation + that of ``S'`` as a measure of
  the level), ``phi R (c_rest + c_seg (1 - p) / p')`` with the AR(1) inflations ``c``, never
  below ``R``, the Poisson variation of the rest alone; (b) the
  profile: the ratio ``rho_j = rest_j / seg_j`` differs from year to year beyond noise, with
  variance on the log scale ``tau² = max(0, var_j log rho_j - mean_j phi (c_rest / rest_j +
  c_seg / seg_j))``; this year's ratio is uncertain by ``tau² (1 + 1/J) + mean noise / J``.
  It adds ``R² ×`` that variance. (``tau²`` is used as estimated: widening it further for the
  few years it comes from, as a Student t quantile would, made the ranges hold 87-90% of the
  time for 80% in the rolling-origin backtests.)
* Each account gives the rest of the year a negative binomial distribution with that mean and
  total variance; their mixture gives the 80% and 95% intervals and the chance of meeting the
  milestone. If nothing is recorded yet, half an event stands in for ``S'`` in the uncertainty.

The intervals' coverage is measured by rolling-origin backtests on real and simulated series
(``benchmarks/calibration.py``; results in ``docs/methods.md``).

Proportions (e.g. survey confidence): the projection is the year-to-date
proportion with its Wilson intervals on the effective sample size; the chance of
meeting the milestone uses a normal approximation whose standard error is read
from the 95% Wilson interval. This assumes the rest of the year resembles the
year so far.

Assurance: "likely met" if the chance is at least 0.8, "likely missed" if at most
0.2, otherwise "uncertain"; "not projected" (with the reason) when the history is too short.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from scipy import special

from paragon.stats.proportions import MIN_RESPONSES, NOT_ENOUGH, wilson_interval

Direction = Literal["higher", "lower"]
Assurance = Literal[
    "likely met", "likely missed", "uncertain", "not enough responses", "not projected"
]
Outcome = Literal["met", "missed"]

MONTHS = 12
LIKELY = 0.8
"""Chance of meeting (or missing) a milestone needed for a "likely" assurance."""
MIN_YEARS = 2
"""Complete earlier years needed before a count is projected."""
MIN_SEGMENT = 2
"""Months needed on each side of an in-year level change."""
CHANGE_ALPHA = 0.05
"""Family-wise false-alarm rate of the in-year level-change test (at 0.01, too few real steps
were found and the ranges after a step held 72% of the time for 80%)."""
CHANGE_PRIOR = 0.5
"""Prior chance that the level changed somewhere in the months observed, shared equally among
the possible months of the change (even odds: the projection prefers neither)."""
PHI_FLOOR = 0.5
"""Lowest dispersion used for the months' variation (taken as estimated above it: flooring it at
the Poisson value 1 widened the ranges of near-Poisson counts, since chance estimates above 1
widened them and those below did not)."""
RHO_LIMITS = (-0.5, 0.95)
"""Range the bias-corrected lag-1 autocorrelation of the months is kept in."""

Years = Sequence[Sequence[float]] | np.ndarray
"""Complete earlier years, 12 monthly values each (April first)."""


@dataclass(frozen=True)
class LevelChange:
    """A change of level during the year: from ``month`` on (0 = April) the level is
    ``after`` times what the months before it showed."""

    month: int
    ratio: float
    statistic: float
    threshold: float


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
    """Counts: year-to-year standard deviation (log scale) of the rest-of-year ratio used for
    the 80% interval."""
    dispersion: float | None = None
    """Counts: the quasi-Poisson dispersion of the months (1 = Poisson)."""
    autocorrelation: float | None = None
    """Counts: lag-1 autocorrelation of the months about the profile."""
    level_change: LevelChange | None = None
    """Counts: the in-year change of level found, if any; the projection then starts from it."""
    years_used: int | None = None
    reason: str | None = None
    """Why there is no projection, or what the projection allowed for, in words."""

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
    if 1.0 - probability >= LIKELY:  # not probability <= 1 - LIKELY: 1 - 0.8 is 0.19999...
        return "likely missed"
    return "uncertain"


def _years(previous_years: Years) -> np.ndarray:
    years = np.asarray(previous_years, dtype=float)
    if years.size == 0:
        return years.reshape(0, MONTHS)
    if years.ndim != 2 or years.shape[1] != MONTHS or (years < 0).any():
        raise ValueError("each previous year needs 12 non-negative monthly values")
    if not np.isfinite(years).all():
        raise ValueError("monthly values must be finite")
    if (years.sum(axis=1) <= 0).any():
        raise ValueError("each previous year needs a positive total")
    return years


def seasonal_weights(previous_years: Years) -> np.ndarray:
    """Mean share of its year recorded in each month (April first), over earlier years."""
    years = _years(previous_years)
    if len(years) == 0:
        raise ValueError("need at least one previous complete year")
    return np.asarray((years / years.sum(axis=1)[:, None]).mean(axis=0))


def _bias_corrected(raw: float, n: int) -> float:
    """Kendall-type correction of a lag-1 autocorrelation from series of ``n``, kept in
    :data:`RHO_LIMITS`."""
    lo, hi = RHO_LIMITS
    return max(lo, min(hi, (raw * n + 1.0) / (n - 3.0))) if n > 3 else 0.0


def month_dispersion(previous_years: Years) -> tuple[float, float]:
    """Quasi-Poisson dispersion (at least :data:`PHI_FLOOR`; 1 is Poisson) and lag-1
    autocorrelation of earlier years' months about each year's total × the mean profile (Pearson
    residuals)."""
    years = _years(previous_years)
    if len(years) < 2:
        return 1.0, 0.0
    totals = years.sum(axis=1)
    expected = totals[:, None] * seasonal_weights(years)[None, :]
    ok = expected > 0
    resid = np.where(ok, (years - expected) / np.sqrt(np.where(ok, expected, 1.0)), 0.0)
    df = years.size - len(years) - (MONTHS - 1)
    phi = max(PHI_FLOOR, float((resid**2).sum()) / df) if df > 0 else 1.0
    den = float((resid**2).sum())
    if den == 0:
        return phi, 0.0
    raw = float((resid[:, 1:] * resid[:, :-1]).sum()) / den
    return phi, _bias_corrected(raw, MONTHS)


def _sum_inflation(rho: float, months: int) -> float:
    """Variance of a sum of ``months`` AR(1) terms over that of independent ones."""
    return 1.0 + 2.0 * sum((1.0 - i / months) * rho**i for i in range(1, months))


def detect_level_change(
    observed: Sequence[float], weights: Sequence[float] | np.ndarray, dispersion: float = 1.0
) -> LevelChange | None:
    """The most likely in-year change of level, if the quasi-Poisson likelihood-ratio test says
    it is beyond the months' usual variation (see the module docstring); else None."""
    x = np.asarray(observed, dtype=float)
    w = np.asarray(weights, dtype=float)[: len(x)]
    splits = range(MIN_SEGMENT, len(x) - MIN_SEGMENT + 1)
    if len(splits) == 0 or x.sum() <= 0:
        return None
    threshold = float(special.chdtri(1, CHANGE_ALPHA / len(splits)))
    best: LevelChange | None = None
    for c, g, ratio in _split_statistics(x, w, dispersion):
        if g > threshold and (best is None or g > best.statistic):
            best = LevelChange(c, ratio, g, threshold)
    return best


def _split_statistics(
    x: np.ndarray, w: np.ndarray, dispersion: float
) -> list[tuple[int, float, float]]:
    """For each split of the months ``x`` (with usual shares ``w``) into two parts of at least
    :data:`MIN_SEGMENT` months: the split, the quasi-Poisson likelihood-ratio statistic for a
    change of level there, and the ratio of the level after to the level before."""
    out = []
    level = x.sum() / w.sum()
    for c in range(MIN_SEGMENT, len(x) - MIN_SEGMENT + 1):
        if w[:c].sum() <= 0 or w[c:].sum() <= 0:
            continue  # no usual share in one part (months with no crime in earlier years)
        a, b = float(x[:c].sum()), float(x[c:].sum())
        l1, l2 = a / float(w[:c].sum()), b / float(w[c:].sum())
        g = 2.0 * (_xlogy(a, l1 / level) + _xlogy(b, l2 / level)) / dispersion
        out.append((c, g, l2 / l1 if l1 > 0 else math.inf))
    return out


def level_weights(
    observed: Sequence[float], weights: Sequence[float] | np.ndarray, dispersion: float = 1.0
) -> list[tuple[int, float]]:
    """How much each account of the year so far is believed: no change of level (month 0), or a
    change from month ``c``. The chance of each is :data:`CHANGE_PRIOR` (shared among the
    splits) times its likelihood, approximated as ``exp(g / 2) / sqrt(k)`` against no change
    (Schwarz's approximation for one more parameter, ``g`` the quasi-Poisson statistic of the
    split, ``k`` the months observed). Returns ``(month the level is read from, chance)``, the
    chances summing to 1, accounts below one in a million left out."""
    x = np.asarray(observed, dtype=float)
    w = np.asarray(weights, dtype=float)[: len(x)]
    splits = _split_statistics(x, w, dispersion) if x.sum() > 0 else []
    if not splits:
        return [(0, 1.0)]
    logs = [math.log(1.0 - CHANGE_PRIOR)] + [
        math.log(CHANGE_PRIOR / len(splits)) + g / 2.0 - 0.5 * math.log(len(x))
        for _, g, _ in splits
    ]
    top = max(logs)
    raw = [math.exp(v - top) for v in logs]
    total = sum(raw)
    starts = [0] + [c for c, _, _ in splits]
    return [(c, v / total) for c, v in zip(starts, raw, strict=True) if v / total >= 1e-6]


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else x * math.log(y)


@dataclass(frozen=True)
class _Ratio:
    """The rest-of-year ratio ``(1 - p) / p'`` and its year-to-year variation (log scale)."""

    ratio: float
    share: float
    segment_share: float
    tau2: float
    noise: float
    years: int

    def share_ratio_noise(self, phi: float, c_seg: float, c_rest: float) -> float:
        """Noise variance over the mean of the rest of the year: ``phi (c_rest + c_seg (1 - p)
        / p')``, never below 1, the Poisson variation of the months to come alone (a dispersion
        or autocorrelation estimated low can take the formula below it)."""
        tail_share = (1.0 - self.share) / self.segment_share
        return max(phi * (c_rest + c_seg * tail_share), 1.0)

    def log_var(self) -> float:
        """Variance (log scale) of this year's ratio."""
        return float(self.tau2 * (1.0 + 1.0 / self.years) + self.noise / self.years)


def _ratio(
    years: np.ndarray, start: int, k: int, phi: float, c_seg: float, c_rest: float
) -> _Ratio:
    w = seasonal_weights(years)
    p, p_seg = float(w[:k].sum()), float(w[start:k].sum())
    seg, rest = years[:, start:k].sum(axis=1) + 0.5, years[:, k:].sum(axis=1) + 0.5
    logs = np.log(rest / seg)
    noise = phi * (c_rest / rest + c_seg / seg)
    tau2 = max(0.0, float(logs.var(ddof=1)) - float(noise.mean()))
    return _Ratio((1.0 - p) / p_seg, p, p_seg, tau2, float(noise.mean()), len(years))


def _remaining_distribution(
    level_count: float, r: _Ratio, phi: float, c_seg: float, c_rest: float
) -> Any:
    """Negative binomial for the rest of the year's count (see the module docstring)."""
    from paragon.stats.negbinom import NegativeBinomial  # scipy.special only, not scipy.stats

    mean = max(level_count, 0.5) * r.ratio
    var = mean * r.share_ratio_noise(phi, c_seg, c_rest) + mean**2 * r.log_var()
    return NegativeBinomial(mean * mean / (var - mean), mean / var)


class _Mixture:
    """The rest of the year's count as a mixture of negative binomials, one for each account of
    the level (:func:`level_weights`)."""

    def __init__(self, parts: Sequence[tuple[float, Any]]) -> None:
        self.parts = list(parts)

    def cdf(self, k: float) -> float:
        return sum(wt * d.cdf(k) for wt, d in self.parts)

    def sf(self, k: float) -> float:
        return sum(wt * d.sf(k) for wt, d in self.parts)

    def ppf(self, q: float) -> float:
        """The smallest whole ``k`` with ``cdf(k) >= q``: between the parts' own quantiles (at
        the largest, every part's distribution function is at least ``q``; below the smallest,
        every part's is under it)."""
        from paragon.stats.negbinom import halve

        quantiles = [d.ppf(q) for _, d in self.parts]
        return halve(self.cdf, min(quantiles) - 1.0, max(quantiles), q)


def _probability_met(dist: Any, ytd: float, milestone: float, better: Direction) -> float:
    """Chance the year-end total meets the milestone, given the rest-of-year distribution."""
    gap = milestone - ytd
    if better == "lower":
        return 0.0 if gap < 0 else float(dist.cdf(math.floor(gap)))
    return 1.0 if gap <= 0 else float(dist.sf(math.ceil(gap) - 1))


def not_projected(
    ytd: float, k: int, milestone: float, better: Direction, years: int
) -> YearEndProjection:
    """The refusal: too few complete earlier years to say how the year usually unfolds."""
    have = "none" if years == 0 else f"only {years}"
    reason = (
        f"not projected: a projection needs at least {MIN_YEARS} complete earlier years of "
        f"monthly figures to know how a year usually unfolds and how much that varies; "
        f"the data has {have}"
    )
    return YearEndProjection(
        "count",
        ytd,
        k,
        None,
        None,
        None,
        None,
        "not projected",
        float(milestone),
        better,
        years_used=years,
        reason=reason,
    )


def project_count_year_end(
    observed: Sequence[float],
    previous_years: Years,
    milestone: float,
    *,
    better: Direction = "lower",
    dispersion: float | None = None,
) -> YearEndProjection:
    """Project a count's financial-year total from the months observed so far.

    ``observed`` holds this year's monthly counts from April (month 0), 1 to 11
    of them; ``previous_years`` holds complete earlier years of 12 months each
    (fewer than two: no projection, with the reason). The milestone is met if the
    total is at most it (``better="lower"``) or at least it (``better="higher"``).
    ``dispersion`` overrides the quasi-Poisson dispersion estimated from the earlier years.
    """
    k = len(observed)
    if not 1 <= k < MONTHS:
        raise ValueError("need 1 to 11 observed months; use assess_closed_year after March")
    if any(not math.isfinite(v) or v < 0 for v in observed):
        raise ValueError("observed counts must be non-negative")
    years = _years(previous_years)
    ytd = float(sum(observed))
    if len(years) < MIN_YEARS:
        return not_projected(ytd, k, milestone, better, len(years))
    w = seasonal_weights(years)
    if not 0.0 < float(w[:k].sum()) < 1.0:
        raise ValueError("previous years have no events in these months or none after them")
    phi_est, rho = month_dispersion(years)
    phi = max(1.0, dispersion) if dispersion is not None else phi_est
    # a change of level is judged against at least Poisson variation
    change = detect_level_change(observed, w, max(phi, 1.0))
    parts = []
    for start, weight in level_weights(observed, w, max(phi, 1.0)):
        if float(w[start:k].sum()) <= 0:
            continue
        c_seg, c_rest = _sum_inflation(rho, k - start), _sum_inflation(rho, MONTHS - k)
        r = _ratio(years, start, k, phi, c_seg, c_rest)
        seg_count = float(sum(observed[start:]))
        dist = _remaining_distribution(seg_count, r, phi, c_seg, c_rest)
        parts.append((weight, start, r, seg_count * r.ratio, dist))
    total = sum(part[0] for part in parts)
    mix = _Mixture([(wt / total, d) for wt, _, _, _, d in parts])
    main = max(parts, key=lambda part: part[0])[2]

    def interval(level: float) -> tuple[float, float]:
        tail = (1.0 - level) / 2.0
        return ytd + float(mix.ppf(tail)), ytd + float(mix.ppf(1.0 - tail))

    prob = _probability_met(mix, ytd, milestone, better)
    reason = None
    if change is not None:
        unchanged = sum(wt for wt, start, _, _, _ in parts if start == 0) / total
        reason = (
            f"the level changed from month {change.month + 1} of the year (by "
            f"{100 * (change.ratio - 1):+.0f}%): the projection follows the months since"
        )
        if unchanged >= 0.005:
            reason += f", allowing a {100 * unchanged:.0f}% chance that the level did not change"
    return YearEndProjection(
        kind="count",
        year_to_date=ytd,
        months_observed=k,
        projected=ytd + sum(wt * rest for wt, _, _, rest, _ in parts) / total,
        interval_80=interval(0.8),
        interval_95=interval(0.95),
        probability_met=prob,
        assurance=assurance_for(prob),
        milestone=float(milestone),
        better=better,
        share_of_year=main.share,
        share_sd=math.sqrt(main.log_var()),
        dispersion=phi,
        autocorrelation=rho,
        level_change=change,
        years_used=len(years),
        reason=reason,
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
    se = (p95.upper - p95.lower) / (2.0 * float(-special.ndtri(0.025)))
    z = (p80.estimate - milestone) / se
    prob = float(special.ndtr(z if better == "higher" else -z))
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
    lower = 0.0 if count == 0 else float(special.gammaincinv(count, alpha / 2))
    return lower, float(special.gammaincinv(count + 1, 1 - alpha / 2))


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
        tails = (
            special.pdtr(value, milestone),
            1.0 if value < 1 else special.pdtrc(value - 1, milestone),
        )
        p_value = min(1.0, 2.0 * float(min(tails)))
        return ClosedYearAssessment(
            outcome, p_value < 0.05, value, milestone, lower, upper, p_value
        )
    est = wilson_interval(value * n, n, 0.95, design_effect, min_responses=min_responses)
    if est.lower is None or est.upper is None:
        return ClosedYearAssessment(outcome, False, value, milestone, None, None, None, NOT_ENOUGH)
    beyond = milestone < est.lower or milestone > est.upper
    return ClosedYearAssessment(outcome, beyond, value, milestone, est.lower, est.upper, None)
