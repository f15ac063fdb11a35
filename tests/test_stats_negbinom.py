"""The negative binomial of count projections (paragon.stats.negbinom, from scipy.special) gives
what scipy.stats.nbinom gives: the same quantiles, and distribution functions within 1e-9, across
the means, overdispersions and profile uncertainties projections produce, and at the edges."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from paragon.stats.negbinom import NegativeBinomial

QUANTILES = (1e-9, 0.025, 0.1, 0.2, 0.5, 0.8, 0.9, 0.975, 1 - 1e-9)


def parameters(count: int = 400) -> list[tuple[float, float]]:
    """(n, p) as a projection makes them: mean from under 1 to 300,000 a year, quasi-Poisson
    dispersion 1 to 30, log-scale profile variance 1e-5 to 0.3."""
    rng = np.random.default_rng(20111)
    out = []
    for _ in range(count):
        mean = 10 ** rng.uniform(-0.5, 5.5)
        var = mean * 10 ** rng.uniform(0, 1.5) + mean**2 * 10 ** rng.uniform(-5, -0.5)
        out.append((mean * mean / (var - mean), mean / var))
    return out


def same(a: float, b: float, tol: float = 1e-9) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= tol


def test_quantiles_equal_scipy_stats() -> None:
    for n, p in parameters():
        ours, ref = NegativeBinomial(n, p), stats.nbinom(n, p)
        for q in QUANTILES:
            assert ours.ppf(q) == float(ref.ppf(q)), (n, p, q)


def test_distribution_functions_equal_scipy_stats() -> None:
    for n, p in parameters():
        ours, ref = NegativeBinomial(n, p), stats.nbinom(n, p)
        mean = n * (1 - p) / p
        for k in (0.0, 0.5 * mean, mean, 1.3 * mean, 3 * mean + 5, -1.0, 2.5):
            assert same(ours.cdf(k), float(ref.cdf(k))), (n, p, k)
            assert same(ours.sf(k), float(ref.sf(k))), (n, p, k)


@pytest.mark.parametrize(("n", "p"), [(3.0, 1.0), (1e-3, 0.999), (1e6, 0.5), (0.5, 1e-6),
                                      (-2.0, 0.5), (2.0, 0.0), (2.0, 1.5)])
def test_edges_equal_scipy_stats(n: float, p: float) -> None:
    ours, ref = NegativeBinomial(n, p), stats.nbinom(n, p)
    for q in (0.0, *QUANTILES, 1.0, -0.1, 1.1):
        assert same(ours.ppf(q), float(ref.ppf(q))), q
    for k in (-math.inf, -1.0, 0.0, 3.0, 1e9, math.inf):
        assert same(ours.cdf(k), float(ref.cdf(k))), k
        assert same(ours.sf(k), float(ref.sf(k))), k


@pytest.mark.parametrize("start", [math.nan, -5.0, 0.0, 0.25, 3.0, 1e4, 1e7])
def test_the_quantile_search_finds_the_answer_from_any_start(
        monkeypatch: pytest.MonkeyPatch, start: float) -> None:
    # scipy's continuous inverse is usually within one of the answer, so the bracketing and the
    # halving are checked from starts far below, far above and not a number
    from paragon.stats import negbinom

    monkeypatch.setattr(negbinom.special, "nbdtrik", lambda q, n, p: start)
    for n, p in parameters(60):
        ours, ref = NegativeBinomial(n, p), stats.nbinom(n, p)
        for q in QUANTILES:
            assert ours.ppf(q) == float(ref.ppf(q)), (start, n, p, q)


def test_a_quantile_the_distribution_never_reaches_is_refused() -> None:
    class Stuck(NegativeBinomial):
        def cdf(self, k: float) -> float:
            return 0.0

    with pytest.raises(ArithmeticError) as err:
        Stuck(2.0, 0.5).ppf(0.5)
    assert str(err.value) == ("no negative binomial quantile 0.5 of n=2.0, p=0.5: the "
                              "distribution function does not reach it")

    class Always(NegativeBinomial):
        def cdf(self, k: float) -> float:
            return 1.0

    assert Always(2.0, 0.5).ppf(0.5) == 0.0  # the smallest whole k with cdf(k) >= q


def test_n_of_zero_is_not_a_distribution() -> None:
    ours = NegativeBinomial(0.0, 0.5)
    assert math.isnan(ours.cdf(1.0)) and math.isnan(ours.sf(1.0)) and math.isnan(ours.ppf(0.5))
    assert math.isnan(float(stats.nbinom(0.0, 0.5).ppf(0.5)))
