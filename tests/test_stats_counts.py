"""Two-period count comparisons against statsmodels and exact binomial tail sums."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import test_poisson_2indep as sm_test_poisson_2indep

from paragon.stats.counts import (
    ASYMPTOTIC_FROM,
    PeriodDispersion,
    _etest_exact,
    _score,
    compare_counts,
    etest_pvalue,
    period_dispersion,
    rate_ratio_interval,
)

CASES = [
    (10, 20, 1.0, 1.0),
    (0, 5, 1.0, 1.0),
    (5, 0, 1.0, 1.0),
    (30, 45, 2.0, 3.5),
    (7, 3, 100.0, 80.0),
    (100, 130, 1.0, 1.2),
    (412, 371, 365.0, 366.0),
    (1, 1, 1.0, 1.0),
]


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.parametrize(("c1", "c2", "e1", "e2"), CASES)
def test_etest_matches_statsmodels(c1: int, c2: int, e1: float, e2: float) -> None:
    ref = sm_test_poisson_2indep(c2, e2, c1, e1, method="etest").pvalue
    assert etest_pvalue(c1, c2, e1, e2) == pytest.approx(ref, rel=1e-9, abs=1e-14)


def test_etest_large_counts_match_statsmodels_on_wide_grid() -> None:
    # statsmodels' default grid starts at 0 and is too big here, so give it one that is
    # wide enough (±8 standard deviations round both means).
    grid = np.arange(17_300, 19_900)
    ref = sm_test_poisson_2indep(18_030, 1, 19_139, 1, method="etest", etest_kwds={"y_grid": grid})
    assert etest_pvalue(18_030, 19_139) == pytest.approx(ref.pvalue, rel=1e-6)


def _pairwise_etest(c1: int, c2: int, e1: float, e2: float) -> float:
    """The E-test summed over every pair of counts with scipy.stats Poisson objects."""
    r_d = e1 / e2
    pooled = (c1 + c2) / (e1 + e2)
    d1, d2 = stats.poisson(pooled * e1), stats.poisson(pooled * e2)
    g1 = np.arange(d1.ppf(1e-16), d1.isf(1e-16) + 1)
    g2 = np.arange(d2.ppf(1e-16), d2.isf(1e-16) + 1)
    obs = abs(float(_score(float(c1), float(c2), r_d))) - 1e-15
    mask = np.abs(_score(g1[:, None], g2[None, :], r_d)) >= obs
    return float((d1.pmf(g1)[:, None] * d2.pmf(g2)[None, :] * mask).sum())


@pytest.mark.parametrize(
    ("c1", "c2", "e1", "e2"),
    [
        (3, 9, 1.0, 1.0),
        (40, 41, 1.0, 1.0),
        (250, 310, 1.0, 1.3),
        (2_000, 1_870, 2.0, 1.7),
        (15_000, 15_400, 1.0, 1.0),
        (0, 7, 1.0, 3.0),
    ],
)
def test_etest_tail_sums_equal_the_sum_over_every_pair(
    c1: int, c2: int, e1: float, e2: float
) -> None:
    assert etest_pvalue(c1, c2, e1, e2) == pytest.approx(
        _pairwise_etest(c1, c2, e1, e2), rel=1e-10, abs=1e-14
    )


@pytest.mark.parametrize("side", [0.9, 1.1])
@pytest.mark.parametrize("e2", [1.0, 0.5, 2.0, 1.3])
@pytest.mark.parametrize("k", [0.0, 0.4, 1.0, 1.96, 2.5, 3.3, 4.5])
def test_etest_exact_and_asymptotic_agree_either_side_of_the_switch(
    side: float, e2: float, k: float
) -> None:
    # Counts whose smaller expected count is 10% below or above the switch; both forms of
    # the p-value are computed on each side and must agree to within 1e-6.
    c1 = int(ASYMPTOTIC_FROM * side / min(1.0, e2))
    c2 = int(c1 * e2 + k * math.sqrt(2.0 * c1 * e2))
    r_d = 1.0 / e2
    pooled = (c1 + c2) / (1.0 + e2)
    assert (min(pooled, pooled * e2) >= ASYMPTOTIC_FROM) == (side > 1.0)
    observed = abs(float(_score(float(c1), float(c2), r_d))) - 1e-15
    exact = _etest_exact(observed, pooled, pooled * e2, r_d)
    normal = 2.0 * stats.norm.sf(observed)
    assert abs(exact - normal) < 1e-6
    assert etest_pvalue(c1, c2, 1.0, e2) == pytest.approx(normal if side > 1 else exact, abs=1e-15)


def test_burglary_dwelling_example() -> None:
    r = compare_counts(18_030, 19_139)
    assert r.rate_ratio == pytest.approx(19_139 / 18_030)
    assert r.percent_change == pytest.approx(6.1509, abs=1e-4)
    assert r.percent_change_lower == pytest.approx(4.01, abs=0.01)
    assert r.percent_change_upper == pytest.approx(8.34, abs=0.01)
    assert r.p_value < 1e-7
    assert r.verdict == "significant increase"


@pytest.mark.parametrize(("c1", "c2", "e1", "e2"), [c for c in CASES if c[0] and c[1]])
def test_interval_matches_clopper_pearson_in_statsmodels(
    c1: int, c2: int, e1: float, e2: float
) -> None:
    lo_pi, hi_pi = proportion_confint(c2, c1 + c2, alpha=0.05, method="beta")
    lower, upper = rate_ratio_interval(c1, c2, e1, e2)
    assert lower == pytest.approx(lo_pi / (1 - lo_pi) * e1 / e2, rel=1e-9)
    assert upper == pytest.approx(hi_pi / (1 - hi_pi) * e1 / e2, rel=1e-9)


@pytest.mark.parametrize(("c1", "c2"), [(10, 20), (3, 9), (250, 200)])
def test_interval_ends_have_tail_probability_two_and_a_half_percent(c1: int, c2: int) -> None:
    # Inverting the exact conditional test: at each end one binomial tail is 0.025.
    e1, e2 = 2.0, 3.0
    lower, upper = rate_ratio_interval(c1, c2, e1, e2)
    assert upper is not None
    n = c1 + c2

    def pi(r: float) -> float:
        return r * e2 / (e1 + r * e2)

    assert stats.binom.sf(c2 - 1, n, pi(lower)) == pytest.approx(0.025, rel=1e-6)
    assert stats.binom.cdf(c2, n, pi(upper)) == pytest.approx(0.025, rel=1e-6)


def test_no_significant_change_and_decrease() -> None:
    same = compare_counts(100, 104)
    assert same.verdict == "no significant change"
    assert same.ratio_lower < 1 < (same.ratio_upper or 0)
    down = compare_counts(200, 140)
    assert down.verdict == "significant decrease"
    assert down.percent_change == pytest.approx(-30.0)
    assert down.percent_change_upper is not None and down.percent_change_upper < 0


def test_exposure_changes_the_rates() -> None:
    # same counts, but period 2 is twice as long: the rate halved
    r = compare_counts(50, 50, exposure1=1.0, exposure2=2.0)
    assert r.rate_ratio == pytest.approx(0.5)
    assert r.verdict == "significant decrease"


def test_zero_counts() -> None:
    both = compare_counts(0, 0)
    assert both.rate_ratio is None and both.percent_change is None
    assert both.ratio_lower == 0.0 and both.ratio_upper is None
    assert both.p_value == 1.0 and both.verdict == "no significant change"
    rise = compare_counts(0, 8)
    assert rise.rate_ratio is None and rise.ratio_upper is None and rise.ratio_lower > 1
    assert rise.verdict == "significant increase"
    fall = compare_counts(8, 0)
    assert fall.rate_ratio == 0.0 and fall.ratio_lower == 0.0 and fall.ratio_upper is not None
    assert fall.percent_change == -100.0
    json.dumps(both.to_dict())


@pytest.mark.parametrize(
    ("c1", "c2", "e1", "e2"), [(-1, 2, 1.0, 1.0), (1.5, 2, 1.0, 1.0), (1, 2, 0.0, 1.0)]
)
def test_invalid_input(c1: int, c2: int, e1: float, e2: float) -> None:
    with pytest.raises(ValueError):
        compare_counts(c1, c2, e1, e2)


# --- Overdispersion: quasi-Poisson comparison of two periods -----------------------------

GMP_LIKE_BEFORE = [2610, 2405, 2497, 2474, 2455, 2573, 2802, 2846, 2790, 2776, 2489, 2563]
GMP_LIKE_AFTER = [2475, 2373, 2363, 2389, 2465, 2609, 2788, 2935, 2689, 2758, 2452, 2620]


def test_period_dispersion_matches_statsmodels_quasi_poisson_scale() -> None:
    import statsmodels.api as sm

    y = np.array(GMP_LIKE_BEFORE + GMP_LIKE_AFTER, dtype=float)
    window = np.repeat([0.0, 1.0], 12)
    month = np.tile(np.eye(12), (2, 1))[:, 1:]
    exog = np.column_stack([np.ones(24), window, month])
    fit = sm.GLM(y, exog, family=sm.families.Poisson()).fit(scale="X2")
    from paragon.stats.counts import period_dispersion

    d = period_dispersion(GMP_LIKE_BEFORE, GMP_LIKE_AFTER)
    assert d.df == 11
    assert d.pearson == pytest.approx(fit.scale, rel=1e-9)
    assert d.factor >= d.pearson


def test_dispersion_scales_counts_as_quasi_poisson_wald_test() -> None:
    # With phi fixed, statsmodels' quasi-Poisson GLM Wald test on the period term and the
    # E-test on counts ÷ phi agree closely for large counts.
    import statsmodels.api as sm

    c1, c2, phi = 30_000, 30_900, 6.0
    exog = np.array([[1.0, 0.0], [1.0, 1.0]])
    fit = sm.GLM(np.array([c1, c2], float), exog, family=sm.families.Poisson()).fit(scale=phi)
    r = compare_counts(c1, c2, dispersion=phi)
    assert r.p_value == pytest.approx(fit.pvalues[1], rel=0.02)
    lo, hi = np.exp(fit.conf_int()[1])
    assert r.ratio_lower == pytest.approx(lo, rel=2e-3)
    assert r.ratio_upper == pytest.approx(hi, rel=2e-3)
    plain = compare_counts(c1, c2)
    assert plain.verdict == "significant increase" and r.verdict == "no significant change"
    assert r.dispersion == phi and "quasi-Poisson" in r.test_method


def test_dispersion_one_is_the_plain_test_and_bad_dispersion_refused() -> None:
    assert compare_counts(100, 130, dispersion=1.0) == compare_counts(100, 130)
    for bad in (0.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="dispersion"):
            compare_counts(100, 130, dispersion=bad)


def test_period_dispersion_reads_seasonality_as_pattern_not_noise() -> None:
    from paragon.stats.counts import period_dispersion

    season = [100, 120, 140, 160, 180, 200, 220, 200, 180, 160, 140, 120]
    d = period_dispersion(season, [2 * s for s in season])
    assert d.pearson == pytest.approx(0.0, abs=1e-12) and d.factor == 1.0


def test_period_dispersion_inflates_for_autocorrelated_residuals() -> None:
    from paragon.stats.counts import _sum_inflation, period_dispersion

    assert _sum_inflation(0.0, 12) == 1.0
    assert _sum_inflation(0.5, 3) == pytest.approx(1 + 2 * (2 / 3 * 0.5 + 1 / 3 * 0.25))
    drift = [100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210]
    d = period_dispersion(drift, list(reversed(drift)))
    assert d.autocorrelation > 0.5
    assert d.factor > d.pearson * _sum_inflation(0.5, 12)


@pytest.mark.parametrize(
    ("before", "after", "match"),
    [([1, 2], [1], "same number"), ([1], [2], "same number"), ([-1, 2], [1, 2], "non-negative")],
)
def test_period_dispersion_bad_input(before: list[int], after: list[int], match: str) -> None:
    from paragon.stats.counts import period_dispersion

    with pytest.raises(ValueError, match=match):
        period_dispersion(before, after)


def test_false_real_change_rate_near_nominal_when_overdispersed() -> None:
    # Negative binomial months with variance 3 × mean and a seasonal pattern, no change
    # between the periods: the plain E-test calls about a quarter of them real changes,
    # the quasi-Poisson comparison keeps to about its 5% level.
    from paragon.stats.counts import compare_periods

    rng = np.random.default_rng(20240501)
    season = 20 * (1 + 0.15 * np.sin(2 * np.pi * np.arange(24) / 12))
    r = season / 2.0
    trials, plain, quasi = 300, 0, 0
    for _ in range(trials):
        y = rng.negative_binomial(r, r / (r + season))
        plain += compare_counts(int(y[:12].sum()), int(y[12:].sum())).p_value < 0.05
        quasi += compare_periods(list(y[:12]), list(y[12:])).p_value < 0.05
    assert plain / trials > 0.15
    assert 0.01 <= quasi / trials <= 0.10


def test_false_real_change_rate_within_twice_nominal_when_months_move_together() -> None:
    # Months whose extra variation follows an AR(1) with coefficient 0.6 (lag-1 correlation of
    # the counts about 0.4), no change between the periods: the allowance for autocorrelation
    # (raised by half a standard error, effective degrees of freedom) keeps false "real
    # change" verdicts to 7% here (nominal 5%, tolerance 10%); the estimate taken at face
    # value gives 10%.
    from paragon.stats.counts import compare_periods

    rng = np.random.default_rng(20261203)
    trials, changes = 400, 0
    for _ in range(trials):
        e = np.empty(24)
        e[0] = rng.normal()
        for i in range(1, 24):
            e[i] = 0.6 * e[i - 1] + math.sqrt(1 - 0.36) * rng.normal()
        mu = 200 * np.exp(0.1 * e - 0.005)
        y = rng.poisson(mu)
        changes += compare_periods(list(y[:12]), list(y[12:])).p_value < 0.05
    assert changes / trials <= 0.09


def _dispersion_by_hand(before: list[float], after: list[float]) -> tuple[float, int, float, float]:
    """period_dispersion's documented recipe, written out again with loops."""
    cols = [i for i in range(len(before)) if before[i] + after[i] > 0]
    rows = [[before[i] for i in cols], [after[i] for i in cols]]
    total = sum(map(sum, rows))
    resid = [
        [
            (rows[r][c] - sum(rows[r]) * (rows[0][c] + rows[1][c]) / total)
            / math.sqrt(sum(rows[r]) * (rows[0][c] + rows[1][c]) / total)
            for c in range(len(cols))
        ]
        for r in range(2)
    ]
    df = len(cols) - 1
    ss = sum(x * x for row in resid for x in row)
    lag = sum(row[c] * row[c - 1] for row in resid for c in range(1, len(cols)))
    n = len(before)
    rho = 0.0
    if len(cols) >= 3 and n > 3:
        rho = max(0.0, min(0.95, (lag / ss * n + 1) / (n - 3) + 0.5 / math.sqrt(n)))
    inflation = 1 + 2 * sum((1 - k / n) * rho**k for k in range(1, n))
    t = (stats.t.ppf(0.975, df / inflation) / stats.norm.ppf(0.975)) ** 2
    factor = max(1.0, ss / df * inflation * t) if ss / df * inflation > 1 else 1.0
    return ss / df, df, rho, factor


@pytest.mark.parametrize("case", range(4))
def test_period_dispersion_matches_a_hand_computation(case: int) -> None:
    rng = np.random.default_rng(case)
    months = [12, 6, 5, 24][case]
    drift = np.exp(np.cumsum(rng.normal(0, 0.15, 2 * months)))  # autocorrelated level
    counts = rng.poisson(80 * drift).astype(float)
    before, after = counts[:months].tolist(), counts[months:].tolist()
    got = period_dispersion(before, after)
    ref = _dispersion_by_hand(before, after)
    assert (got.pearson, got.df, got.autocorrelation, got.factor) == pytest.approx(ref, rel=1e-9)


def test_period_dispersion_edges() -> None:
    # a month with no events in either period is left out; zero counts are valid
    a = period_dispersion([0, 10, 12, 9, 30], [0, 11, 9, 14, 2])
    b = period_dispersion([10, 12, 9, 30], [11, 9, 14, 2])
    assert a.df == b.df == 3 and a.pearson == pytest.approx(b.pearson)
    assert period_dispersion([0, 0, 0], [4, 5, 6]) == PeriodDispersion(1.0, 0, 0.0, 1.0)
    assert period_dispersion([5, 0], [0, 5]).autocorrelation == 0.0  # two months: no lag-1
    two = period_dispersion([50, 10], [10, 50])
    assert two.df == 1 and two.pearson > 1 and two.factor > two.pearson
    assert period_dispersion([5, 6, 5], [6, 5, 6]).autocorrelation == 0.0  # n <= 3
    with pytest.raises(ValueError, match="non-negative and finite"):
        period_dispersion([1, 2], [1, math.inf])
    with pytest.raises(ValueError, match="same number of months"):
        period_dispersion([1, 2], [1])
    with pytest.raises(ValueError, match="non-negative"):
        period_dispersion([1, -2], [1, 2])
