"""Year-end projections: hand-worked cases, statsmodels references and a simulation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson
from statsmodels.stats.rates import test_poisson as sm_test_poisson

from paragon.stats.projection import (
    _remaining_distribution,
    assess_closed_year,
    project_count_year_end,
    project_proportion_year_end,
    seasonal_share,
)

FLAT = [[100.0] * 12] * 3


def test_flat_profile_hand_worked() -> None:
    # Shares are exactly 6/12 each year, so tau² = 0 and only the Poisson spread of
    # the 1,200-event years adds uncertainty: var(share) = 0.25 / 1200 / 3.
    season = seasonal_share(6, FLAT)
    assert season.share == 0.5 and season.tau2 == 0.0
    assert season.sd() == pytest.approx(math.sqrt(0.25 / 1200 / 3))
    r = project_count_year_end([90.0] * 6, FLAT, 1100)
    assert r.projected == pytest.approx(1080.0)
    # variance: Y(1-p)/p = 1080 plus Y² var(p)/p² = 1080² × 0.25/3600 / 0.25 = 324
    sd = math.sqrt(1080 + 324)
    lo, hi = r.interval_80 or (0.0, 0.0)
    assert lo == pytest.approx(1080 - 1.2816 * sd, abs=2)
    assert hi == pytest.approx(1080 + 1.2816 * sd, abs=2)
    lo95, hi95 = r.interval_95 or (0.0, 0.0)
    assert hi95 - lo95 == pytest.approx(2 * 1.96 * sd, abs=3)
    # P(total <= 1100) is about Phi((1100.5 - 1080) / 37.47) = 0.71
    assert r.probability_met == pytest.approx(stats.norm.cdf(20.5 / sd), abs=0.01)
    assert r.assurance == "uncertain"
    assert project_count_year_end([90.0] * 6, FLAT, 1150).assurance == "likely met"
    assert project_count_year_end([90.0] * 6, FLAT, 1000).assurance == "likely missed"


def test_seasonal_share_variability_hand_worked() -> None:
    # Three years of 1,200 with first-quarter shares 0.20, 0.25 and 0.30
    years = [[80.0] * 3 + [960 / 9] * 9, [100.0] * 12, [120.0] * 3 + [840 / 9] * 9]
    season = seasonal_share(3, years)
    assert season.share == pytest.approx(0.25)
    binomial = 0.25 * 0.75 / 1200
    assert season.binomial_var == pytest.approx(binomial)
    assert season.tau2 == pytest.approx(0.0025 - binomial)  # sample variance of shares 0.0025
    t_over_z = stats.t.isf(0.1, 2) / stats.norm.isf(0.1)
    expected = t_over_z**2 * season.tau2 * (1 + 1 / 3) + binomial / 3
    assert season.sd(0.1) == pytest.approx(math.sqrt(expected))
    assert season.sd(0.025) > season.sd(0.1)


def test_one_previous_year_uses_poisson_spread_only() -> None:
    season = seasonal_share(4, [[50.0] * 12])
    assert season.tau2 == 0.0 and season.years == 1
    assert season.sd() == pytest.approx(math.sqrt((1 / 3) * (2 / 3) / 600))


def test_already_missed_and_higher_is_better() -> None:
    missed = project_count_year_end([200.0] * 3, FLAT, 500)
    assert missed.probability_met == 0.0 and missed.assurance == "likely missed"
    arrests = project_count_year_end([110.0] * 6, FLAT, 1200, better="higher")
    assert arrests.projected == pytest.approx(1320.0)
    assert arrests.probability_met is not None and arrests.probability_met > 0.9
    assert project_count_year_end([110.0] * 6, FLAT, 600, better="higher").probability_met == 1.0


def test_zero_so_far_still_has_uncertainty() -> None:
    r = project_count_year_end([0.0], [[1.0] * 12] * 4, 5)
    assert r.projected == 0.0
    assert r.interval_95 is not None and r.interval_95[1] > 0
    json.dumps(r.to_dict())


@pytest.mark.parametrize(
    ("observed", "years"),
    [([], FLAT), ([1.0] * 12, FLAT), ([1.0], []), ([1.0], [[1.0] * 11]), ([-1.0], FLAT)],
)
def test_invalid_count_input(observed: list[float], years: list[list[float]]) -> None:
    with pytest.raises(ValueError):
        project_count_year_end(observed, years, 10)


# --- simulation -------------------------------------------------------------------

PROFILE = 1 + 0.25 * np.cos(2 * np.pi * (np.arange(12) - 3) / 12)


def _simulated_year(rng: np.random.Generator, level: float, wobble: float) -> np.ndarray:
    profile = PROFILE * np.exp(rng.normal(0, wobble, 12))
    return rng.poisson(level * profile / profile.sum())


def _coverage(seed: int, level: float, wobble: float, months: int, runs: int) -> dict[str, float]:
    """Share of simulated years whose true total falls in each 80% interval."""
    rng = np.random.default_rng(seed)
    hits = {"model": 0, "poisson_only": 0, "no_share_variability": 0}
    for _ in range(runs):
        year_level = level * np.exp(rng.normal(0, 0.1))
        previous = [
            _simulated_year(rng, year_level * np.exp(rng.normal(0, 0.05)), wobble) for _ in range(5)
        ]
        current = _simulated_year(rng, year_level, wobble)
        total = current.sum()
        r = project_count_year_end(current[:months].tolist(), [p.tolist() for p in previous], 0)
        assert r.interval_80 is not None and r.projected is not None
        hits["model"] += r.interval_80[0] <= total <= r.interval_80[1]
        # broken model 1: Poisson noise of the remaining months only
        lo, hi = r.year_to_date + stats.poisson.ppf([0.1, 0.9], r.projected - r.year_to_date)
        hits["poisson_only"] += lo <= total <= hi
        # broken model 2: the share treated as known exactly
        dist = _remaining_distribution(r.year_to_date, seasonal_share(months, previous).share, 0.0)
        lo, hi = r.year_to_date + dist.ppf([0.1, 0.9])
        hits["no_share_variability"] += lo <= total <= hi
    return {k: v / runs for k, v in hits.items()}


@pytest.mark.parametrize("months", [3, 9])
def test_eighty_percent_interval_covers_about_eighty_percent(months: int) -> None:
    # Seasonal Poisson years whose monthly profile wobbles by 8% from year to year.
    # 1,000 runs: the standard error of a coverage of 0.8 is 0.013.
    cov = _coverage(seed=20240 + months, level=1500, wobble=0.08, months=months, runs=1000)
    assert 0.75 <= cov["model"] <= 0.86
    assert cov["poisson_only"] < 0.75
    assert cov["no_share_variability"] < 0.75


def test_coverage_with_a_stable_profile_and_small_counts() -> None:
    cov = _coverage(seed=7, level=120, wobble=0.0, months=6, runs=1000)
    assert 0.75 <= cov["model"] <= 0.88


# --- proportions and closed years --------------------------------------------------


def test_proportion_projection_uses_wilson() -> None:
    r = project_proportion_year_end(540, 800, 0.68, design_effect=1.25)
    assert r.projected == pytest.approx(0.675)
    lo80, hi80 = proportion_confint(0.675 * 640, 640, alpha=0.2, method="wilson")
    lo95, hi95 = proportion_confint(0.675 * 640, 640, alpha=0.05, method="wilson")
    assert r.interval_80 == pytest.approx((lo80, hi80))
    assert r.interval_95 == pytest.approx((lo95, hi95))
    se = (hi95 - lo95) / (2 * 1.959964)
    assert r.probability_met == pytest.approx(stats.norm.cdf((0.675 - 0.68) / se))
    assert r.assurance == "uncertain"
    assert project_proportion_year_end(540, 800, 0.70).assurance == "likely missed"
    assert project_proportion_year_end(540, 800, 0.60).assurance == "likely met"
    assert project_proportion_year_end(20, 800, 0.10, better="lower").assurance == "likely met"


def test_proportion_projection_not_enough_responses() -> None:
    r = project_proportion_year_end(20, 30, 0.7)
    assert r.assurance == "not enough responses" and r.projected is None
    assert r.probability_met is None


@pytest.mark.parametrize(("count", "milestone"), [(19_139, 18_030), (12, 8), (3, 10), (0, 4)])
def test_closed_year_counts_match_statsmodels(count: int, milestone: float) -> None:
    a = assess_closed_year(count, milestone, "lower")
    ref = sm_test_poisson(count, 1, milestone, method="exact-c").pvalue
    lo, hi = confint_poisson(count, 1, method="exact-c")
    assert a.p_value == pytest.approx(min(1.0, ref), rel=1e-9)
    assert (a.lower, a.upper) == pytest.approx((lo, hi), rel=1e-9)
    assert a.beyond_noise == (ref < 0.05)
    assert a.beyond_noise == (milestone < lo or milestone > hi)
    assert a.outcome == ("met" if count <= milestone else "missed")


def test_closed_year_burglary_example() -> None:
    a = assess_closed_year(19_139, 18_030, "lower")
    assert a.outcome == "missed" and a.beyond_noise
    assert assess_closed_year(18_100, 18_030, "lower").beyond_noise is False
    assert assess_closed_year(18_030, 18_030, "lower").outcome == "met"


def test_closed_year_proportion() -> None:
    a = assess_closed_year(0.72, 0.75, "higher", n=800, design_effect=1.5)
    lo, hi = proportion_confint(0.72 * 800 / 1.5, 800 / 1.5, method="wilson")
    assert (a.lower, a.upper) == pytest.approx((lo, hi))
    assert a.outcome == "missed" and a.beyond_noise is False
    assert assess_closed_year(0.65, 0.75, "higher", n=800).beyond_noise is True
    few = assess_closed_year(0.65, 0.75, "higher", n=30)
    assert few.status == "not enough responses" and few.beyond_noise is False
    json.dumps(few.to_dict())
