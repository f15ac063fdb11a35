"""Edges of the Wilson, weighted and Newcombe intervals that a small wrong change to
stats/proportions.py would break: the limits of each check, the minimum number of responses
met exactly, and the error messages (references: statsmodels and hand computation)."""

from __future__ import annotations

import json
import math

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from paragon.stats.proportions import (
    NOT_ENOUGH,
    kish_effective_n,
    newcombe_difference,
    weighted_proportion,
    wilson_bounds,
    wilson_interval,
    z_value,
)


def test_z_value_for_common_levels() -> None:
    assert z_value(0.95) == pytest.approx(1.959963984540054, rel=1e-15)
    assert z_value(0.9) == pytest.approx(1.6448536269514722, rel=1e-15)
    assert z_value(0.5) == pytest.approx(0.6744897501960817, rel=1e-15)


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5])
def test_z_value_needs_a_level_strictly_between_0_and_1(confidence: float) -> None:
    with pytest.raises(ValueError, match=r"^confidence must be strictly between 0 and 1$"):
        z_value(confidence)


def test_wilson_bounds_at_the_ends_and_for_a_fractional_sample() -> None:
    # p = 0 and p = 1 are allowed; the lower bound at 0 is 0 and the upper at 1 is 1
    lo, hi = wilson_bounds(0.0, 60)
    assert lo == 0.0 and hi == pytest.approx(proportion_confint(0, 60, method="wilson")[1])
    lo, hi = wilson_bounds(1.0, 60)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(
        proportion_confint(60, 60, method="wilson")[0]
    )
    # a small fractional effective sample (n = 0.5) is a valid input
    z = z_value(0.95)
    n = 0.5
    centre = (0.4 + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(0.4 * 0.6 / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert wilson_bounds(0.4, n) == pytest.approx((max(0.0, centre - half), centre + half))
    # the confidence level is used
    assert wilson_bounds(0.3, 100, 0.9) == pytest.approx(
        proportion_confint(30, 100, alpha=0.1, method="wilson"), abs=1e-12
    )


@pytest.mark.parametrize(
    ("p_hat", "n", "message"),
    [(-0.01, 10, "^p_hat must be between 0 and 1$"), (1.01, 10, "^p_hat must be between 0 and 1$"),
     (0.5, 0, "^n must be positive$"), (0.5, -3, "^n must be positive$")],
)
def test_wilson_bounds_refuses(p_hat: float, n: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wilson_bounds(p_hat, n)


def test_wilson_interval_at_exactly_the_minimum() -> None:
    at = wilson_interval(20, 50)
    assert at.status == "ok" and at.estimate == 0.4 and at.n_effective == 50
    lo, hi = proportion_confint(20, 50, method="wilson")
    assert (at.lower, at.upper) == pytest.approx((lo, hi), abs=1e-12)
    assert at.confidence == 0.95
    below = wilson_interval(20, 49.9)
    assert below.status == NOT_ENOUGH and below.n_effective == 49.9
    assert below.upper is None and below.estimate is None and below.confidence == 0.95
    # with no minimum, an empty sample still has no estimate
    empty = wilson_interval(0, 0, min_responses=0)
    assert empty.status == NOT_ENOUGH and empty.n_effective == 0
    # all and none of the sample are valid counts
    assert wilson_interval(0, 80).lower == 0.0
    assert wilson_interval(80, 80).upper == pytest.approx(1.0)
    # the level is passed through
    r = wilson_interval(30, 100, 0.9)
    assert r.confidence == 0.9
    assert (r.lower, r.upper) == pytest.approx(
        proportion_confint(30, 100, alpha=0.1, method="wilson"), abs=1e-12
    )
    json.dumps(r.to_dict())
    assert r.to_dict()["status"] == "ok"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: wilson_interval(5, 100, design_effect=0), "^design_effect must be positive$"),
        (lambda: wilson_interval(5, 100, design_effect=-1), "^design_effect must be positive$"),
        (lambda: wilson_interval(5, 4), r"^need 0 <= successes <= n$"),
        (lambda: wilson_interval(-1, 4), r"^need 0 <= successes <= n$"),
        (lambda: wilson_interval(0, -1), r"^need 0 <= successes <= n$"),
        (lambda: kish_effective_n([]), "^weights must be positive finite numbers$"),
        (lambda: kish_effective_n([1.0, 0.0]), "^weights must be positive finite numbers$"),
        (lambda: kish_effective_n([1.0, math.inf]), "^weights must be positive finite numbers$"),
        (lambda: kish_effective_n([1.0, math.nan]), "^weights must be positive finite numbers$"),
        (lambda: weighted_proportion([1, 0], [1.0]), "^values and weights must have the same"),
        (lambda: weighted_proportion([1, 2], [1.0, 1.0]), "^values must be 0 or 1$"),
        (lambda: weighted_proportion([1, 0], [1.0, 1.0], 0.0), "^design_effect must be positive$"),
        (lambda: weighted_proportion([1, 0], [1.0, 1.0], -2.0), "^design_effect must be positive$"),
    ],
)
def test_refusals_say_why(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_design_effect_scales_the_sample_not_the_estimate() -> None:
    r = wilson_interval(45, 120, design_effect=2.0)
    assert r.n_effective == 60 and r.estimate == pytest.approx(45 / 120)
    lo, hi = proportion_confint(22.5, 60, method="wilson")
    assert (r.lower, r.upper) == pytest.approx((lo, hi), abs=1e-12)


def test_kish_effective_n_by_hand() -> None:
    # (1 + 2 + 3)² / (1 + 4 + 9) = 36 / 14
    assert kish_effective_n([1.0, 2.0, 3.0]) == pytest.approx(36 / 14, rel=1e-15)
    assert kish_effective_n([0.5]) == pytest.approx(1.0)


def test_weighted_proportion_edges() -> None:
    # exactly 50 effective responses is enough; a weighted share with unequal weights
    values = [1] * 10 + [0] * 40
    weights = [3.0] * 10 + [1.0] * 40
    assert kish_effective_n(weights) == pytest.approx(70**2 / 130)  # about 37.7: too few
    few = weighted_proportion(values, weights)
    assert few.status == NOT_ENOUGH and few.n_effective == pytest.approx(70**2 / 130)
    assert few.confidence == 0.95 and few.lower is None
    ok = weighted_proportion(values, weights, design_effect=1.0)
    assert ok.status == "ok" and ok.n_effective == 50
    assert ok.estimate == pytest.approx(30 / 70)
    lo, hi = proportion_confint(50 * 30 / 70, 50, method="wilson")
    assert (ok.lower, ok.upper) == pytest.approx((lo, hi), abs=1e-12)
    # the minimum and the level are the ones asked for
    assert weighted_proportion(values, weights, min_responses=30).status == "ok"
    assert weighted_proportion(values, weights, min_responses=37.6).status == "ok"
    assert weighted_proportion(values, weights, min_responses=37.8).status == NOT_ENOUGH
    r = weighted_proportion(values, weights, design_effect=0.5, confidence=0.8)
    assert r.n_effective == 100 and r.confidence == 0.8
    lo, hi = proportion_confint(100 * 30 / 70, 100, alpha=0.2, method="wilson")
    assert (r.lower, r.upper) == pytest.approx((lo, hi), abs=1e-12)


def test_newcombe_edges() -> None:
    # exactly the minimum on both sides is enough; the level is used
    r = newcombe_difference(0.6, 50, 0.4, 50, 0.9)
    lo, hi = confint_proportions_2indep(30, 50, 20, 50, method="newcomb", compare="diff",
                                        alpha=0.1)
    assert r.status == "ok" and r.confidence == 0.9
    assert (r.lower, r.upper) == pytest.approx((lo, hi), abs=1e-12)
    assert r.difference == pytest.approx(0.2)
    for n1, n2 in ((49.9, 50), (50, 49.9)):
        few = newcombe_difference(0.6, n1, 0.4, n2)
        assert few.status == NOT_ENOUGH and few.significant is None and few.confidence == 0.95
    assert newcombe_difference(0.6, 20, 0.4, 20, min_responses=20).status == "ok"
    # a fall is significant when the whole interval is below 0; the sign of the difference
    down = newcombe_difference(0.5, 600, 0.6, 600)
    assert down.significant is True and down.upper is not None and down.upper < 0
    assert down.difference == pytest.approx(-0.1)
    up = newcombe_difference(0.6, 600, 0.5, 600)
    assert up.significant is True and up.lower is not None and up.lower > 0
    json.dumps(up.to_dict())
    assert up.to_dict()["significant"] is True
