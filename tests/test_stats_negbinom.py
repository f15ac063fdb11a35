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


def test_a_quantile_at_an_exact_tie_of_the_distribution_function() -> None:
    # the geometric distribution with p = 1/2 has cdf(k) = 1 - 2**-(k + 1), exact in floating
    # point: at q = cdf(a) the smallest k with cdf(k) >= q is a itself, not a + 1
    geometric = NegativeBinomial(1, 0.5)
    for a in range(41):
        q = 1 - 2.0 ** -(a + 1)
        assert geometric.cdf(a) == q
        assert geometric.ppf(q) == a, a


TIE_STARTS = {"not a number": lambda a: math.nan, "zero": lambda a: 0.0,
              "one below": lambda a: a - 1.0, "at it": lambda a: float(a),
              "one above": lambda a: a + 1.0, "five above": lambda a: a + 5.0,
              "far above": lambda a: 1e4}


@pytest.mark.parametrize("start", TIE_STARTS)
def test_exact_ties_from_any_start(monkeypatch: pytest.MonkeyPatch, start: str) -> None:
    # the tie met when the search first looks, while it brackets upward or downward, or while it
    # halves the bracket
    from paragon.stats import negbinom

    geometric = NegativeBinomial(1, 0.5)
    for a in range(41):
        at = TIE_STARTS[start](a)
        monkeypatch.setattr(negbinom.special, "nbdtrik", lambda q, n, p, at=at: at)
        assert geometric.ppf(1 - 2.0 ** -(a + 1)) == a, (start, a)


def test_scipys_continuous_inverse_starts_the_search_at_the_answer() -> None:
    # the search starts from nbdtrik, which is within one of the answer: with one doubling
    # allowed every quantile is still found (from 0 a mean of 300,000 needs about 18)
    from paragon.stats import negbinom

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(negbinom, "MAX_STEPS", 1)
        for n, p in parameters(100):
            ours, ref = NegativeBinomial(n, p), stats.nbinom(n, p)
            for q in QUANTILES:
                assert ours.ppf(q) == float(ref.ppf(q)), (n, p, q)


@pytest.mark.parametrize("limit", [0, 1, 2, 3])
def test_the_search_gallops_from_its_start_until_the_step_limit(
        monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    # from its start h the search looks at h + 1, h + 3, h + 7, ... upward, or h - 1, h - 3,
    # h - 7, ... downward: after j doublings h ± (2**(j + 1) - 1). It needs a look at or above
    # the answer upward and one below it downward (or below 0), so with at most `limit`
    # doublings it finds answers from h - (2**(limit + 1) - 2) to h + 2**(limit + 1) - 1 and
    # refuses the others
    from paragon.stats import negbinom

    monkeypatch.setattr(negbinom, "MAX_STEPS", limit)
    reach = 2 ** (limit + 1)
    dist = NegativeBinomial(50, 0.5)
    answer = float(stats.nbinom(50, 0.5).ppf(0.5))
    assert answer == 49
    for h in range(18, 81):
        monkeypatch.setattr(negbinom.special, "nbdtrik", lambda q, n, p, h=h: float(h))
        if -(reach - 1) <= h - answer <= reach - 2:
            assert dist.ppf(0.5) == answer, (limit, h)
        else:
            with pytest.raises(ArithmeticError) as err:
                dist.ppf(0.5)
            assert str(err.value).startswith("no negative binomial quantile 0.5 of n=50.0, "
                                              "p=0.5"), (limit, h)
    # an answer of 0 (cdf(0) = 1/2 >= 0.01): from a start below 0 or not a number the search
    # starts at 0
    geometric = NegativeBinomial(1, 0.5)
    for h in [math.nan, -5.0, *range(16)]:
        monkeypatch.setattr(negbinom.special, "nbdtrik", lambda q, n, p, h=h: h)
        if not h > reach - 2:
            assert geometric.ppf(0.01) == 0.0, (limit, h)
        else:
            with pytest.raises(ArithmeticError) as err:
                geometric.ppf(0.01)
            assert str(err.value).startswith("no negative binomial quantile 0.01 of n=1.0, "
                                              "p=0.5"), (limit, h)


def test_a_quantile_beyond_the_largest_float_is_refused() -> None:
    # a geometric distribution's median is about ln 2 / p: found for p = 1e-300 (about 2**995,
    # bracketed from 0 in about 995 doublings) but for p = 5e-324 (the smallest float) it is
    # about 1.4e323, beyond the largest float (1.8e308), where the distribution function
    # computed in floating point never reaches 1/2: the search refuses, rather than failing to
    # convert its bracket to a float
    assert NegativeBinomial(1.0, 1e-300).ppf(0.5) == pytest.approx(math.log(2) / 1e-300,
                                                                    rel=1e-9)
    with pytest.raises(ArithmeticError) as err:
        NegativeBinomial(1.0, 5e-324).ppf(0.5)
    assert type(err.value) is ArithmeticError  # not OverflowError
    assert str(err.value) == ("no negative binomial quantile 0.5 of n=1.0, p=5e-324: the "
                              "distribution function does not reach it")
