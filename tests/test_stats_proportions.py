"""Wilson, weighted and Newcombe intervals against statsmodels and hand calculation."""

from __future__ import annotations

import json
import math

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from paragon.stats.proportions import (
    MIN_RESPONSES,
    kish_effective_n,
    newcombe_difference,
    weighted_proportion,
    wilson_bounds,
    wilson_interval,
)


@pytest.mark.parametrize(("k", "n"), [(37, 120), (0, 60), (60, 60), (512, 800), (3, 1000)])
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_wilson_matches_statsmodels(k: int, n: int, confidence: float) -> None:
    r = wilson_interval(k, n, confidence)
    lo, hi = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    assert r.status == "ok" and r.estimate == pytest.approx(k / n)
    assert r.lower == pytest.approx(lo, abs=1e-12)
    assert r.upper == pytest.approx(hi, abs=1e-12)


def test_wilson_hand_worked() -> None:
    # 37 of 120, z = 1.959964: centre (p + z²/2n)/(1 + z²/n), half-width
    # z·sqrt(p(1-p)/n + z²/4n²)/(1 + z²/n)
    z = 1.959963984540054
    p, n = 37 / 120, 120
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    lo, hi = wilson_bounds(p, n)
    assert (lo, hi) == pytest.approx((centre - half, centre + half))
    assert (lo, hi) == pytest.approx((0.2327, 0.3958), abs=1e-4)


def test_design_effect_shrinks_the_sample() -> None:
    # 450 of 900 with design effect 1.5 is treated like 300 of 600
    r = wilson_interval(450, 900, design_effect=1.5)
    lo, hi = proportion_confint(300, 600, method="wilson")
    assert r.n_effective == pytest.approx(600)
    assert (r.lower, r.upper) == pytest.approx((lo, hi))
    assert r.estimate == 0.5


def test_not_enough_responses() -> None:
    few = wilson_interval(20, 40)
    assert few.status == "not enough responses" and few.estimate is None and few.lower is None
    assert wilson_interval(40, 60, design_effect=1.5).status == "not enough responses"
    assert wilson_interval(40, 60, design_effect=1.2).status == "ok"
    assert wilson_interval(5, 10, min_responses=10).status == "ok"
    assert MIN_RESPONSES == 50


def test_weighted_proportion_uses_kish_effective_n() -> None:
    values = [1, 0] * 50 + [1] * 20
    weights = [1.0, 2.0] * 50 + [0.5] * 20
    # Σw = 150 + 10 = 160, Σw² = 250 + 5 = 255, Kish n = 160² / 255
    n_eff = 160**2 / 255
    assert kish_effective_n(weights) == pytest.approx(n_eff)
    r = weighted_proportion(values, weights)
    p = (50 + 10) / 160
    assert r.estimate == pytest.approx(p) and r.n_effective == pytest.approx(n_eff)
    lo, hi = proportion_confint(p * n_eff, n_eff, method="wilson")
    assert (r.lower, r.upper) == pytest.approx((lo, hi))


def test_weighted_proportion_with_design_effect_and_equal_weights() -> None:
    values = [1] * 30 + [0] * 90
    r = weighted_proportion(values, [2.0] * 120)
    assert r.n_effective == pytest.approx(120) and r.estimate == pytest.approx(0.25)
    d = weighted_proportion(values, [2.0] * 120, design_effect=2.0)
    assert d.n_effective == pytest.approx(60)
    assert d.lower is not None and r.lower is not None and d.lower < r.lower


@pytest.mark.parametrize(
    ("k1", "n1", "k2", "n2"),
    [(30, 80, 45, 90), (56, 70, 48, 80), (0, 60, 5, 60), (60, 60, 50, 60), (410, 800, 380, 790)],
)
def test_newcombe_matches_statsmodels(k1: int, n1: int, k2: int, n2: int) -> None:
    r = newcombe_difference(k1 / n1, n1, k2 / n2, n2)
    lo, hi = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    assert r.difference == pytest.approx(k1 / n1 - k2 / n2)
    assert r.lower == pytest.approx(lo, abs=1e-12)
    assert r.upper == pytest.approx(hi, abs=1e-12)
    assert r.significant == (lo > 0 or hi < 0)


def test_newcombe_significance_and_minimum() -> None:
    assert newcombe_difference(0.8, 400, 0.7, 400).significant is True
    assert newcombe_difference(0.72, 400, 0.7, 400).significant is False
    low = newcombe_difference(0.8, 30, 0.7, 400)
    assert low.status == "not enough responses" and low.difference is None
    json.dumps(low.to_dict())


@pytest.mark.parametrize(
    "call",
    [
        lambda: wilson_interval(5, 4),
        lambda: wilson_interval(5, 100, design_effect=0),
        lambda: wilson_bounds(1.2, 10),
        lambda: wilson_bounds(0.5, 100, confidence=1.0),
        lambda: weighted_proportion([1, 2], [1.0, 1.0]),
        lambda: weighted_proportion([1, 0], [1.0, -1.0]),
        lambda: weighted_proportion([1, 0], [1.0]),
    ],
)
def test_invalid_input(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]
