"""Year-end projections: hand-worked cases, statsmodels references and a simulation."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson
from statsmodels.stats.rates import test_poisson as sm_test_poisson

from paragon.stats.projection import (
    LevelChange,
    _sum_inflation,
    assess_closed_year,
    detect_level_change,
    level_weights,
    month_dispersion,
    project_count_year_end,
    project_proportion_year_end,
    seasonal_weights,
)

FLAT = [[100.0] * 12] * 3
MONTHLY = Path(__file__).parent / "data" / "policeuk" / "monthly" / "monthly_counts.csv"


# --- an independent implementation of the documented model (loops, no shared code) ----------


def reference(observed: list[float], years: list[list[float]], milestone: float,
              better: str = "lower", phi: float | None = None) -> dict[str, object]:
    """The count projection of docs/methods.md, written out again with plain loops."""
    J, k = len(years), len(observed)
    totals = [sum(y) for y in years]
    w = [sum(years[j][m] / totals[j] for j in range(J)) / J for m in range(12)]
    # dispersion and lag-1 autocorrelation of Pearson residuals about total x profile
    resid = [[(years[j][m] - totals[j] * w[m]) / math.sqrt(totals[j] * w[m]) for m in range(12)]
             for j in range(J)]
    ss = sum(r * r for row in resid for r in row)
    est_phi = max(0.5, ss / (12 * J - J - 11))
    phi = est_phi if phi is None else max(1.0, phi)
    test_phi = max(1.0, phi)  # a change of level is judged against at least Poisson variation
    lag = sum(row[m] * row[m - 1] for row in resid for m in range(1, 12))
    rho = 0.0 if ss == 0 else min(0.95, max(-0.5, (lag / ss * 12 + 1) / 9))

    def infl(n: int) -> float:
        return 1 + 2 * sum((1 - i / n) * rho**i for i in range(1, n))

    # level change: the likelihood-ratio statistic of every split with 2+ months each side; the
    # test takes the largest, and every split is an account of the year weighted by its chance
    start, best = 0, 0.0
    accounts = [(0, math.log(0.5))]
    splits = list(range(2, k - 1))
    if splits and sum(observed) > 0:
        limit = stats.chi2.ppf(1 - 0.05 / len(splits), 1)
        level = sum(observed) / sum(w[:k])
        for c in splits:
            a, b = sum(observed[:c]), sum(observed[c:])
            l1, l2 = a / sum(w[:c]), b / sum(w[c:k])
            g = 2 * ((a * math.log(l1 / level) if a else 0) + (b * math.log(l2 / level) if b else 0))
            if g / test_phi > limit and g / test_phi > best:
                start, best = c, g / test_phi
            # prior 1/2 shared among the splits; Schwarz: exp(g/2) / sqrt(k)
            accounts.append((c, math.log(0.5 / len(splits)) + g / test_phi / 2 - math.log(k) / 2))
    top = max(v for _, v in accounts)
    chance = [(c, math.exp(v - top)) for c, v in accounts]
    chance = [(c, v / sum(x for _, x in chance)) for c, v in chance]
    chance = [(c, v) for c, v in chance if v >= 1e-6]
    total = sum(v for _, v in chance)
    p = sum(w[:k])
    ytd = sum(observed)
    parts = []
    for c, v in chance:
        p_seg = sum(w[c:k])
        c_seg, c_rest = infl(k - c), infl(12 - k)
        logs = [math.log((sum(y[k:]) + 0.5) / (sum(y[c:k]) + 0.5)) for y in years]
        noise = sum(phi * (c_rest / (sum(y[k:]) + 0.5) + c_seg / (sum(y[c:k]) + 0.5))
                    for y in years) / J
        mean_log = sum(logs) / J
        tau2 = max(0.0, sum((x - mean_log) ** 2 for x in logs) / (J - 1) - noise)
        seg = sum(observed[c:])
        rest = max(seg, 0.5) * (1 - p) / p_seg
        var = rest * max(phi * (c_rest + c_seg * (1 - p) / p_seg), 1.0)
        var += rest**2 * (tau2 * (1 + 1 / J) + noise / J)
        # negative binomial as a gamma-Poisson mixture: shape n, mean rest
        n = rest**2 / (var - rest)
        parts.append((v / total, seg * (1 - p) / p_seg, stats.nbinom(n, n / (n + rest))))

    def cdf(x: float) -> float:
        return sum(v * d.cdf(x) for v, _, d in parts)

    def ppf(q: float) -> float:
        # the smallest whole number with cdf >= q, counted up from below every part's quantile
        x = min(float(d.ppf(q)) for _, _, d in parts) - 1
        while cdf(x) < q:
            x += 1
        return x

    gap = milestone - ytd
    if better == "lower":
        prob = 0.0 if gap < 0 else cdf(math.floor(gap))
    else:
        prob = 1.0 if gap <= 0 else 1 - cdf(math.ceil(gap) - 1)
    return {
        "projected": ytd + sum(v * r for v, r, _ in parts),
        "interval_80": (ytd + ppf(0.1), ytd + ppf(0.9)),
        "interval_95": (ytd + ppf(0.025), ytd + ppf(0.975)),
        "probability_met": prob,
        "start": start,
        "phi": phi,
        "rho": rho,
    }


def check_against_reference(observed: list[float], years: list[list[float]], milestone: float,
                            better: str = "lower", phi: float | None = None) -> None:
    r = project_count_year_end(observed, years, milestone, better=better,  # type: ignore[arg-type]
                               dispersion=phi)
    ref = reference(observed, years, milestone, better, phi)
    assert r.projected == pytest.approx(ref["projected"], rel=1e-9)
    assert r.interval_80 == pytest.approx(ref["interval_80"], rel=1e-9)
    assert r.interval_95 == pytest.approx(ref["interval_95"], rel=1e-9)
    assert r.probability_met == pytest.approx(ref["probability_met"], rel=1e-9, abs=1e-12)
    assert (r.level_change.month if r.level_change else 0) == ref["start"]
    assert r.dispersion == pytest.approx(ref["phi"]) and r.autocorrelation == pytest.approx(
        ref["rho"])


def real_series(name: str) -> np.ndarray:
    with MONTHLY.open() as fh:
        return np.array([float(r["crimes"]) for r in csv.DictReader(fh) if r["series"] == name])


@pytest.mark.parametrize("seed", range(6))
def test_matches_an_independent_implementation_on_simulated_years(seed: int) -> None:
    rng = np.random.default_rng(seed)
    level = [12, 80, 300, 2000, 45, 150][seed]
    profile = 1 + 0.3 * np.sin(np.arange(12) / 2 + seed)
    lam = level * profile * np.exp(rng.normal(0, 0.15, (4, 12)))
    y = rng.poisson(lam).astype(float)
    k = 1 + seed * 2
    milestone = float(y[3].sum()) + [0.5, -7.3, 12.6, 0.0, 3.2, -1.5][seed]
    for better in ("lower", "higher"):
        check_against_reference(y[3, :k].tolist(), y[:3].tolist(), milestone, better)
    check_against_reference(y[3, :k].tolist(), y[1:3].tolist(), milestone, "lower", phi=4.0)


def test_matches_the_reference_on_real_greater_manchester_burglary() -> None:
    # 36 months from February 2016: two earlier February-January years, the third projected.
    y = real_series("greater-manchester-burglary")
    years, year = y[:24].reshape(2, 12), y[24:]
    for k in range(1, 12):
        check_against_reference(year[:k].tolist(), years.tolist(), 30_000.4)
        r = project_count_year_end(year[:k].tolist(), years, 0)
        assert r.interval_95 is not None
        assert r.interval_95[0] <= year.sum() <= r.interval_95[1]


def test_flat_profile_hand_worked() -> None:
    # Identical flat years vary less than chance: the dispersion is taken at its floor, 1/2, and
    # the autocorrelation is 0.
    assert month_dispersion(FLAT) == (0.5, 0.0)
    # Six months of 90: no account of the year is favoured by the months. "No change" has prior
    # chance 1/2; a change after month 2, 3 or 4 has 1/6 each, times exp(0) / sqrt(6).
    change = 1 / 6 / math.sqrt(6)
    expected = [(0, 0.5 / (0.5 + 3 * change))] + [(c, change / (0.5 + 3 * change)) for c in (2, 3, 4)]
    got = level_weights([90.0] * 6, seasonal_weights(FLAT), 1.0)
    assert [c for c, _ in got] == [c for c, _ in expected]
    assert [v for _, v in got] == pytest.approx([v for _, v in expected], rel=1e-12)
    r = project_count_year_end([90.0] * 6, FLAT, 1100)
    # every account reads the same level, 90 a month: the rest of the year is 540
    assert r.projected == pytest.approx(1080.0) and r.share_of_year == pytest.approx(0.5)
    parts = []
    for (c, chance) in expected:
        months = 6 - c  # months that set the level; their share of the year is months / 12
        tail = 0.5 / (months / 12)  # (1 - p) / p'
        noise = max(0.5 * (1 + tail), 1.0)  # phi (c_rest + c_seg (1 - p) / p'), at least 1
        log_var = 0.5 * (1 / 600.5 + 1 / (100 * months + 0.5)) / 3  # no spread between years
        var = 540 * noise + 540**2 * log_var
        n = 540**2 / (var - 540)
        parts.append((chance, stats.nbinom(n, n / (n + 540))))

    def quantile(q: float) -> float:
        x = 400.0
        while sum(v * d.cdf(x) for v, d in parts) < q:
            x += 1
        return 540 + x

    assert r.interval_80 == (quantile(0.1), quantile(0.9))
    assert r.interval_95 == (quantile(0.025), quantile(0.975))
    assert r.probability_met == pytest.approx(sum(v * d.cdf(560) for v, d in parts), rel=1e-9)
    assert r.assurance == "uncertain" and r.level_change is None and r.reason is None
    assert project_count_year_end([90.0] * 6, FLAT, 1150).assurance == "likely met"
    assert project_count_year_end([90.0] * 6, FLAT, 1000).assurance == "likely missed"


@pytest.mark.parametrize("years", [[], [[100.0] * 12]])
def test_fewer_than_two_earlier_years_is_refused_with_the_reason(years: list[list[float]]) -> None:
    r = project_count_year_end([90.0] * 6, years, 1100)
    assert r.projected is None and r.interval_80 is None and r.probability_met is None
    assert r.assurance == "not projected" and r.years_used == len(years)
    assert r.reason is not None and "at least 2 complete earlier years" in r.reason
    assert ("only 1" if years else "none") in r.reason
    assert json.loads(json.dumps(r.to_dict()))["reason"] == r.reason


def test_dispersion_widens_the_intervals() -> None:
    years = [[100.0 + 10 * (m % 3) for m in range(12)] for _ in range(3)]
    narrow = project_count_year_end([100.0] * 4, years, 1200, dispersion=1.0)
    wide = project_count_year_end([100.0] * 4, years, 1200, dispersion=4.0)
    # the same level; the accounts of a change weigh a little differently, since the months'
    # differences are judged against the dispersion
    assert narrow.projected == pytest.approx(wide.projected, rel=1e-3)
    assert narrow.interval_95 is not None and wide.interval_95 is not None
    ratio = (wide.interval_95[1] - wide.interval_95[0]) / (
        narrow.interval_95[1] - narrow.interval_95[0])
    assert 1.6 < ratio < 2.1  # about sqrt(4) when the noise dominates


def test_sum_inflation_matches_the_ar1_variance_of_a_sum() -> None:
    rho, n = 0.6, 7
    cov = np.array([[rho ** abs(i - j) for j in range(n)] for i in range(n)])
    assert _sum_inflation(rho, n) == pytest.approx(cov.sum() / n)
    assert _sum_inflation(0.0, n) == 1.0


def test_level_change_statistic_matches_a_poisson_glm() -> None:
    sm = pytest.importorskip("statsmodels.api")
    w = seasonal_weights([[80.0, 90, 100, 110, 120, 130, 120, 110, 100, 90, 80, 70]] * 2)
    observed = [60.0, 70, 75, 80, 65, 70, 72, 66]
    change = detect_level_change(observed, w, dispersion=1.0)
    assert isinstance(change, LevelChange) and change.month == 4
    offset = np.log(w[:8])
    null = sm.GLM(observed, np.ones((8, 1)), family=sm.families.Poisson(), offset=offset).fit()
    step = np.column_stack([np.ones(8), np.arange(8) >= 4])
    alt = sm.GLM(observed, step, family=sm.families.Poisson(), offset=offset).fit()
    assert change.statistic == pytest.approx(null.deviance - alt.deviance, rel=1e-9)
    assert change.threshold == pytest.approx(stats.chi2.isf(0.05 / 5, 1))
    assert change.ratio == pytest.approx(np.exp(alt.params[1]), rel=1e-9)
    # the same months with three times Poisson variation are not a change
    assert detect_level_change(observed, w, dispersion=3.0) is None
    assert detect_level_change(observed[:3], w) is None  # too few months to split


def test_an_in_year_drop_moves_the_projection_to_the_new_level() -> None:
    observed = [100.0] * 4 + [60.0] * 4
    r = project_count_year_end(observed, FLAT, 1000)
    assert r.level_change is not None and r.level_change.month == 4
    assert r.level_change.ratio == pytest.approx(0.6)
    # a change after month 4 is all but certain: a change a month earlier or later weighs less
    # than 1 in 1,000, and no change at all less than one in a million (so it is left out)
    weights = dict(level_weights(observed, seasonal_weights(FLAT), 1.0))
    assert weights[4] > 0.999 and 0 not in weights and set(weights) == {3, 4, 5, 6}
    assert r.projected == pytest.approx(640 + 4 * 60, rel=1e-5)
    assert r.reason is not None and "month 5" in r.reason and "-40%" in r.reason
    assert "follows the months since" in r.reason and "did not change" not in r.reason
    steady = project_count_year_end([100.0] * 8, FLAT, 1000)
    assert steady.level_change is None and steady.projected == pytest.approx(1200)


def test_months_with_no_crime_in_earlier_years_do_not_break_the_change_test() -> None:
    years = [[0.0, 0.0] + [30.0] * 10, [0.0, 0.0] + [34.0] * 10]
    r = project_count_year_end([0.0, 0.0, 30.0, 31.0, 29.0, 33.0], years, 300)
    assert r.level_change is None and r.projected == pytest.approx(123 + 6 * 30.5, rel=0.05)
    assert detect_level_change([0.0, 0.0, 9.0, 9.0], [0.0, 0.0, 0.5, 0.5]) is None


def test_probability_counts_a_milestone_between_whole_numbers_down() -> None:
    # at most 1,100.6 crimes means at most 1,100: the chance is P(rest <= 560), not <= 561
    r = project_count_year_end([90.0] * 6, FLAT, 1100.6)
    exact = project_count_year_end([90.0] * 6, FLAT, 1100)
    above = project_count_year_end([90.0] * 6, FLAT, 1101)
    assert r.probability_met == exact.probability_met != above.probability_met
    up = project_count_year_end([90.0] * 6, FLAT, 1100.4, better="higher")
    assert up.probability_met == project_count_year_end(
        [90.0] * 6, FLAT, 1101, better="higher").probability_met


@pytest.mark.parametrize("extra", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("better", ["lower", "higher"])
def test_milestones_at_and_just_past_the_year_to_date(extra: float, better: str) -> None:
    # Few crimes a month, so that "none at all in the rest of the year" has a real chance.
    years = [[1.0, 0, 2, 1, 0, 1, 1, 0, 2, 1, 0, 1], [0.0, 1, 1, 2, 1, 0, 1, 1, 0, 1, 2, 0]]
    observed = [1.0, 0.0, 1.0, 2.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    check_against_reference(observed, years, 8.0 + extra, better)
    r = project_count_year_end(observed, years, 8.0 + extra, better=better)  # type: ignore[arg-type]
    assert r.probability_met is not None
    if better == "higher" and extra == 0.0:
        assert r.probability_met == 1.0  # already there
    else:  # lower: none at all in the rest of the year is possible but not certain
        assert 0.0 < r.probability_met < 1.0


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
    [([], FLAT), ([1.0] * 12, FLAT), ([1.0], [[1.0] * 11]), ([-1.0], FLAT),
     ([1.0], [[0.0] * 12, [1.0] * 12])],
)
def test_invalid_count_input(observed: list[float], years: list[list[float]]) -> None:
    with pytest.raises(ValueError):
        project_count_year_end(observed, years, 10)


# --- simulation -------------------------------------------------------------------

PROFILE = 1 + 0.25 * np.cos(2 * np.pi * (np.arange(12) - 3) / 12)


def _simulated_years(rng: np.random.Generator, level: float, phi: float, n: int) -> np.ndarray:
    mu = level * np.tile(PROFILE / PROFILE.sum(), n) * 12
    if phi > 1:
        mu = rng.gamma(mu / (phi - 1), phi - 1)  # gamma-Poisson: variance phi × mean
    return rng.poisson(mu).reshape(n, 12).astype(float)


def _coverage(seed: int, level: float, phi: float, months: int, runs: int) -> dict[str, float]:
    """Share of simulated years whose true total falls in each 80% interval."""
    rng = np.random.default_rng(seed)
    hits = {"model": 0, "poisson_only": 0, "no_ratio_variability": 0}
    for _ in range(runs):
        y = _simulated_years(rng, level, phi, 4)
        previous, current = y[:3], y[3]
        total = current.sum()
        r = project_count_year_end(current[:months].tolist(), previous, 0)
        assert r.interval_80 is not None and r.projected is not None
        hits["model"] += r.interval_80[0] <= total <= r.interval_80[1]
        # broken model 1: Poisson noise of the remaining months only
        lo, hi = r.year_to_date + stats.poisson.ppf([0.1, 0.9], r.projected - r.year_to_date)
        hits["poisson_only"] += lo <= total <= hi
        # broken model 2: no dispersion and the profile treated as known exactly
        w = seasonal_weights(previous)
        ratio = (1 - w[:months].sum()) / w[:months].sum()
        dist = stats.poisson(max(r.year_to_date, 0.5) * ratio)
        lo, hi = r.year_to_date + dist.ppf([0.1, 0.9])
        hits["no_ratio_variability"] += lo <= total <= hi
    return {k: v / runs for k, v in hits.items()}


@pytest.mark.parametrize(("months", "phi"), [(3, 4.0), (9, 2.0)])
def test_eighty_percent_interval_covers_about_eighty_percent(months: int, phi: float) -> None:
    # Overdispersed seasonal years; 400 runs: the standard error of a coverage of 0.8 is 0.02.
    cov = _coverage(seed=20240 + months, level=1500, phi=phi, months=months, runs=400)
    assert 0.74 <= cov["model"] <= 0.90
    assert cov["poisson_only"] < 0.70
    assert cov["no_ratio_variability"] < 0.70


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
