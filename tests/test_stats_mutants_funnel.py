"""Funnel limits read off a plot that allows for overdispersion, and the input checks of the
limit curve: edges a small wrong change to stats/funnel.py would break.

References are computed here independently: normal limits ``target ± z sqrt(phi) se`` and
``target ± z sqrt(se² + tau²)`` (Spiegelhalter 2005) with scipy's normal quantile."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from scipy import stats as sps

from paragon.stats.funnel import (
    Overdispersion,
    binomial_limits,
    estimate_overdispersion,
    funnel_proportions,
    funnel_rates,
    limits_at,
    limits_curve,
    poisson_limits,
    winsorise,
)

Z95 = float(sps.norm.ppf(0.975))
Z998 = float(sps.norm.ppf(0.999))


def test_multiplicative_limits_widen_the_standard_error_by_root_phi() -> None:
    target, size = 0.02, 5_000.0
    od = Overdispersion("multiplicative", phi=4.0, p_value=0.001, tau2=0.0, units=20)
    se = math.sqrt(target / size)
    lo, hi = limits_at("rate", target, size, 0.95, od)
    assert (lo, hi) == pytest.approx((target - Z95 * 2.0 * se, target + Z95 * 2.0 * se), rel=1e-12)
    # a phi below 1 never narrows the limits below chance alone
    narrow = Overdispersion("multiplicative", phi=0.25, p_value=0.9, tau2=0.0, units=20)
    assert limits_at("rate", target, size, 0.95, narrow) == pytest.approx(
        (target - Z95 * se, target + Z95 * se), rel=1e-12
    )


def test_additive_limits_add_tau2_given_per_unit_of_size_by_default() -> None:
    target, size, tau2 = 0.02, 5_000.0, 1e-5
    od = Overdispersion("additive", phi=3.0, p_value=0.001, tau2=tau2, units=20)
    half = Z998 * math.sqrt(target / size + tau2)
    assert limits_at("rate", target, size, 0.998, od) == pytest.approx(
        (target - half, target + half), rel=1e-12
    )
    # tau² reported per 1,000 squared is brought back to per single unit of size
    per = 1_000.0
    od_per = Overdispersion("additive", phi=3.0, p_value=0.001, tau2=tau2 * per * per, units=20)
    assert limits_at("rate", target, size, 0.998, od_per, per) == pytest.approx(
        (target - half, target + half), rel=1e-12
    )


def test_limits_curve_takes_tau2_per_unit_of_size_by_default() -> None:
    target, tau2 = 0.02, 1e-5
    od = Overdispersion("additive", phi=3.0, p_value=0.001, tau2=tau2, units=20)
    lower, upper = limits_curve("rate", target, [5_000.0, 800.0], 0.95, od)
    for size, lo, hi in zip((5_000.0, 800.0), lower, upper, strict=True):
        half = Z95 * math.sqrt(target / size + tau2)
        assert (lo, hi) == pytest.approx((target - half, target + half), rel=1e-12)


def test_an_exact_estimate_gives_the_exact_limits() -> None:
    od = Overdispersion("exact", phi=1.1, p_value=0.4, tau2=2e-6, units=20)
    assert limits_at("rate", 0.02, 5_000.0, 0.95, od) == poisson_limits(0.02, 5_000.0, 0.95)
    lower, upper = limits_curve("rate", 0.02, [5_000.0], 0.95, od)
    assert (lower[0], upper[0]) == poisson_limits(0.02, 5_000.0, 0.95)


def test_adjusted_proportion_limits_stay_between_0_and_1() -> None:
    od = Overdispersion("additive", phi=9.0, p_value=0.0, tau2=0.5, units=10)
    assert limits_at("proportion", 0.5, 20.0, 0.95, od) == (0.0, 1.0)
    # rates have no ceiling
    assert limits_at("rate", 0.5, 20.0, 0.95, od)[1] > 1.0


def test_limits_read_off_an_adjusted_rate_plot_are_the_plot_s_own() -> None:
    # what a chart does: redraw the limits at each unit's size from the plot's reported estimate
    events = [30, 95, 160, 40, 300, 12, 75, 210, 55, 130]
    pops = [20_000.0, 41_000.0, 90_000.0, 35_000.0, 120_000.0, 15_000.0, 33_000.0, 80_000.0,
            50_000.0, 60_000.0]
    units = [f"U{i}" for i in range(len(events))]
    for adjust in ("additive", "multiplicative"):
        plot = funnel_rates(events, pops, units, per=1_000.0, adjust=adjust)  # type: ignore[arg-type]
        od = plot.overdispersion
        assert od is not None and od.method == adjust and od.tau2 > 0
        target = plot.target / 1_000.0
        for unit in plot.units:
            lo, hi = limits_at("rate", target, unit.size, 0.998, od, 1_000.0)
            assert (lo * 1_000.0, hi * 1_000.0) == pytest.approx(
                (unit.lower_998, unit.upper_998), rel=1e-12
            )
            lo, hi = limits_at("rate", target, unit.size, 0.95, od, 1_000.0)
            assert (lo * 1_000.0, hi * 1_000.0) == pytest.approx(
                (unit.lower_95, unit.upper_95), rel=1e-12
            )
        curve_lo, curve_hi = limits_curve("rate", target, pops, 0.998, od, 1_000.0)
        assert list(curve_lo * 1_000.0) == pytest.approx([u.lower_998 for u in plot.units])
        assert list(curve_hi * 1_000.0) == pytest.approx([u.upper_998 for u in plot.units])


def test_adjusted_proportion_plot_limits_match_limits_at() -> None:
    events = [12, 40, 5, 60, 33, 8, 90, 25]
    denominators = [100, 150, 80, 170, 120, 90, 200, 110]
    plot = funnel_proportions(events, denominators, list("ABCDEFGH"), adjust="additive")
    od = plot.overdispersion
    assert od is not None and od.method == "additive"
    for unit in plot.units:
        assert limits_at("proportion", plot.target, unit.size, 0.95, od) == pytest.approx(
            (unit.lower_95, unit.upper_95), rel=1e-12
        )


@pytest.mark.parametrize(
    ("kind", "target", "sizes", "message"),
    [
        ("proportion", 1.2, [10.0], "0 <= target <= 1"),
        ("proportion", -0.1, [10.0], "0 <= target <= 1"),
        ("proportion", 0.3, [10.0, 0.4], "0 <= target <= 1"),
        ("rate", -0.01, [10.0], "target >= 0"),
        ("rate", 0.01, [10.0, 0.0], "exposure > 0"),
    ],
)
def test_limits_curve_refuses_impossible_input(
    kind: str, target: float, sizes: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        limits_curve(kind, target, sizes, 0.95)  # type: ignore[arg-type]


def test_limits_curve_edges_that_are_allowed() -> None:
    # target 0 and 1 are allowed proportions; a size of 1 (or one that rounds to 1) is allowed;
    # a rate may exceed 1 and a size below 1 is fine for a rate
    lo, hi = limits_curve("proportion", 0.0, [1.0, 0.6, 10.0], 0.95)
    assert list(hi) == pytest.approx([0.0, 0.0, 0.0]) and list(lo) == [0.0, 0.0, 0.0]
    # at a target of 1 the single point n is spread over the unit step below it
    lo, hi = limits_curve("proportion", 1.0, [1.0, 10.0], 0.95)
    assert list(lo) == pytest.approx([0.025, 9.025 / 10]) and list(hi) == pytest.approx(
        [0.975, 9.975 / 10]
    )
    lo, hi = limits_curve("rate", 2.5, [0.5, 4.0], 0.95)
    assert (lo[1], hi[1]) == poisson_limits(2.5, 4.0, 0.95)


def test_limits_curve_reads_decimal_sizes() -> None:
    # population columns read from the warehouse may arrive as Decimal
    lo, hi = limits_curve("rate", 0.02, [Decimal("5000"), Decimal("800")], 0.95)
    assert (lo[0], hi[0]) == poisson_limits(0.02, 5_000.0, 0.95)
    assert (lo[1], hi[1]) == poisson_limits(0.02, 800.0, 0.95)
    assert isinstance(lo, np.ndarray)


def test_adjusted_proportion_limits_use_the_binomial_standard_error() -> None:
    target, size = 0.3, 200.0
    se = math.sqrt(target * (1 - target) / size)
    od = Overdispersion("multiplicative", phi=2.0, p_value=0.01, tau2=0.0, units=12)
    half = Z95 * math.sqrt(2.0) * se
    assert limits_at("proportion", target, size, 0.95, od) == pytest.approx(
        (target - half, target + half), rel=1e-12
    )
    od = Overdispersion("additive", phi=2.0, p_value=0.01, tau2=4e-4, units=12)
    half = Z998 * math.sqrt(se**2 + 4e-4)
    assert limits_at("proportion", target, size, 0.998, od) == pytest.approx(
        (target - half, target + half), rel=1e-12
    )


@pytest.mark.parametrize(("target", "exposure"), [(-0.01, 100.0), (0.01, 0.0), (0.01, -5.0)])
def test_poisson_limits_refuse_a_negative_target_or_no_exposure(
    target: float, exposure: float
) -> None:
    with pytest.raises(ValueError, match=r"^need target >= 0 and exposure > 0$"):
        poisson_limits(target, exposure, 0.95)


def test_poisson_limits_at_a_target_of_zero() -> None:
    assert poisson_limits(0.0, 100.0, 0.95) == (0.0, 0.0)


def test_every_case_an_event_is_a_valid_proportion_and_more_is_refused() -> None:
    plot = funnel_proportions([5, 3, 40], [5, 10, 50], ["A", "B", "C"])
    assert plot.units[0].value == 1.0
    with pytest.raises(ValueError, match=r"^events cannot exceed denominators$"):
        funnel_proportions([5, 11], [5, 10], ["A", "B"])


def _phi_tau2_p(values: np.ndarray, se: np.ndarray, target: float) -> tuple[float, float, float]:
    """Independent estimate: winsorise by sorting (10% each end, linear interpolation)."""
    z = np.sort((values - target) / se)
    n = len(z)
    lo = float(np.interp(0.1 * (n - 1), np.arange(n), z))
    hi = float(np.interp(0.9 * (n - 1), np.arange(n), z))
    zw = np.clip((values - target) / se, lo, hi)
    phi = float(np.mean(zw**2))
    w = 1 / se**2
    tau2 = max(0.0, (n * phi - (n - 1)) / float(w.sum() - (w**2).sum() / w.sum()))
    return phi, tau2, float(sps.chi2.sf(n * phi, n - 1))


def test_proportion_overdispersion_matches_an_independent_estimate() -> None:
    events = [12, 40, 5, 60, 33, 8, 90, 25, 14, 70]
    sizes = [100, 150, 80, 170, 120, 90, 200, 110, 95, 160]
    target = sum(events) / sum(sizes)
    od = estimate_overdispersion("proportion", events, sizes, target)
    values = np.array(events) / np.array(sizes)
    se = np.sqrt(target * (1 - target) / np.array(sizes, dtype=float))
    phi, tau2, p = _phi_tau2_p(values, se, target)
    assert (od.phi, od.tau2, od.p_value) == pytest.approx((phi, tau2, p), rel=1e-12)
    assert od.units == 10 and od.p_value < 0.05
    # "auto" is the default: these units vary more than chance, so the limits are widened
    assert od.method in ("multiplicative", "additive")
    # Decimal counts (a DECIMAL column read from the warehouse) give the same estimate
    dec = estimate_overdispersion("proportion", [Decimal(e) for e in events], sizes, target)
    assert dec.phi == pytest.approx(od.phi, rel=1e-15)


def test_two_units_are_tested_on_one_degree_of_freedom() -> None:
    events, sizes, target = [30, 60], [1_000.0, 1_000.0], 0.045
    od = estimate_overdispersion("rate", events, sizes, target, "none")
    values = np.array(events) / np.array(sizes)
    se = np.sqrt(target / np.array(sizes))
    phi, tau2, p = _phi_tau2_p(values, se, target)
    assert (od.phi, od.tau2, od.p_value) == pytest.approx((phi, tau2, p), rel=1e-12)
    assert od.p_value < 0.5 and od.method == "exact"


def test_one_unit_has_no_test_and_no_between_unit_variance() -> None:
    od = estimate_overdispersion("rate", [60], [1_000.0], 0.03)
    assert od.p_value == 1.0 and od.tau2 == 0.0 and od.units == 1 and od.method == "exact"
    assert od.phi == pytest.approx((0.03 / math.sqrt(0.03 / 1_000.0)) ** 2)  # z² = 30


@pytest.mark.parametrize(("kind", "target"), [("rate", 0.0), ("proportion", 0.0),
                                              ("proportion", 1.0)])
def test_no_chance_variation_cannot_be_adjusted(kind: str, target: float) -> None:
    with pytest.raises(
        ValueError, match=r"^the target leaves no chance variation \(0 or 100%\): cannot adjust$"
    ):
        estimate_overdispersion(kind, [0, 0], [10, 20], target)  # type: ignore[arg-type]


def test_winsorise_reads_decimal_values() -> None:
    assert list(winsorise([Decimal(1), Decimal(2), Decimal(5)])) == pytest.approx([1.2, 2.0, 4.4])


# Two sets of 12 generated units (rate about 2%, sizes 500 to 20,000): for the first the additive
# model fits the winsorised residuals better, for the second the multiplicative one.
ADDITIVE_CASE = (
    [15, 68, 177, 437, 31, 200, 295, 339, 372, 62, 156, 328],
    [1129, 3001, 10924, 16401, 1426, 13681, 15201, 15752, 17473, 3872, 11127, 16057],
)
MULTIPLICATIVE_CASE = (
    [32, 351, 314, 121, 291, 72, 271, 435, 293, 33, 419, 380],
    [1802, 19301, 9827, 8062, 14617, 5939, 12761, 16947, 16075, 2532, 19383, 14685],
)


def _log_likelihoods(events: list[int], sizes: list[int]) -> tuple[float, float]:
    """Normal log-likelihoods of the winsorised residuals under each model, computed here."""
    target = sum(events) / sum(sizes)
    values = np.array(events) / np.array(sizes)
    se = np.sqrt(target / np.array(sizes, dtype=float))
    phi, tau2, _ = _phi_tau2_p(values, se, target)
    z = (values - target) / se
    n = len(z)
    zs = np.sort(z)
    zw = np.clip(z, np.interp(0.1 * (n - 1), np.arange(n), zs),
                 np.interp(0.9 * (n - 1), np.arange(n), zs))
    resid = zw * se
    ll = {}
    for name, var in (("multiplicative", se**2 * max(phi, 1.0)), ("additive", se**2 + tau2)):
        ll[name] = float(sum(-0.5 * math.log(v) - 0.5 * r * r / v
                             for v, r in zip(var, resid, strict=True)))
    return ll["multiplicative"], ll["additive"]


@pytest.mark.parametrize(("case", "chosen"), [(ADDITIVE_CASE, "additive"),
                                              (MULTIPLICATIVE_CASE, "multiplicative")])
def test_auto_chooses_the_model_that_fits_better(
    case: tuple[list[int], list[int]], chosen: str
) -> None:
    events, sizes = case
    target = sum(events) / sum(sizes)
    ll_mult, ll_add = _log_likelihoods(events, sizes)
    assert ("multiplicative" if ll_mult > ll_add else "additive") == chosen
    od = estimate_overdispersion("rate", events, sizes, target)
    assert od.method == chosen and od.p_value < 0.05
    # asked for explicitly, each model is used; "none" keeps the exact limits
    for adjust in ("multiplicative", "additive", "none"):
        asked = estimate_overdispersion("rate", events, sizes, target, adjust)  # type: ignore[arg-type]
        assert asked.method == ("exact" if adjust == "none" else adjust)


def test_auto_needs_three_units() -> None:
    events, sizes = [10, 100, 300], [10_000, 10_000, 10_000]
    three = estimate_overdispersion("rate", events, sizes, sum(events) / sum(sizes))
    assert three.p_value < 0.05 and three.method != "exact"
    two = estimate_overdispersion("rate", events[::2], sizes[::2], 310 / 20_000)
    assert two.p_value < 0.05 and two.method == "exact"


def test_tau2_for_units_of_small_size() -> None:
    # sizes below one unit (a rate per 1,000 households with sizes in thousands): the weights
    # 1 / se² are small, and tau² is still estimated
    events, sizes = [2, 30, 5, 60, 11], [0.1, 0.5, 0.2, 0.4, 0.3]
    target = sum(events) / sum(sizes)
    od = estimate_overdispersion("rate", events, sizes, target)
    se = np.sqrt(target / np.array(sizes))
    phi, tau2, p = _phi_tau2_p(np.array(events) / np.array(sizes), se, target)
    assert float((1 / se**2).sum()) < 1
    assert tau2 > 0 and (od.phi, od.tau2, od.p_value) == pytest.approx((phi, tau2, p), rel=1e-12)


def test_a_unit_exactly_on_its_limits_is_within() -> None:
    # at a target of 0 both limits are 0, and a unit with no events sits on them
    plot = funnel_proportions([0, 0], [10, 20], ["A", "B"], target=0.0)
    for unit in plot.units:
        assert unit.lower_998 == unit.value == unit.upper_998 == 0.0
        assert unit.classification == unit.classification_95 == "within"


def test_a_negative_target_rate_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^need target >= 0 and exposure > 0$"):
        funnel_rates([3, 4], [1_000.0, 2_000.0], ["A", "B"], target=-1.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: funnel_rates([], [], []), "^events, sizes and units must be non-empty and the "
                                           "same length$"),
        (lambda: funnel_rates([1, 2], [10.0, 20.0], ["A"]), "^events, sizes and units must be "
                                                            "non-empty and the same length$"),
        (lambda: funnel_rates([1], [0.0], ["A"]), "^sizes must be positive and events "
                                                  "non-negative$"),
        (lambda: funnel_rates([-1], [10.0], ["A"]), "^sizes must be positive and events "
                                                    "non-negative$"),
        (lambda: funnel_rates([1], [10.0], ["A"], adjust="some"),  # type: ignore[arg-type]
         "^adjust must be none, auto, multiplicative or additive$"),
        (lambda: binomial_limits(1.5, 10, 0.95), r"^need 0 <= target <= 1 and n >= 1$"),
        (lambda: binomial_limits(0.5, 0.4, 0.95), r"^need 0 <= target <= 1 and n >= 1$"),
        (lambda: funnel_proportions([0], [1], ["A"], target=1.2),
         r"^need 0 <= target <= 1 and n >= 1$"),
        (lambda: limits_curve("proportion", 1.2, [10.0], 0.95),
         r"^need 0 <= target <= 1 and n >= 1$"),
        (lambda: limits_curve("rate", -1.0, [10.0], 0.95), r"^need target >= 0 and exposure > 0$"),
    ],
)
def test_refusals_say_what_is_wrong(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_sizes_of_one_and_fractional_proportion_sizes() -> None:
    # a unit of size 1 is valid for a rate, and for a proportion; a size below 1 is a valid
    # exposure but, rounded to 0 cases, not a valid number of cases
    assert funnel_rates([0, 1], [1.0, 1.0], ["A", "B"], per=1.0).units[0].size == 1.0
    assert funnel_proportions([0, 1], [1, 1], ["A", "B"]).units[1].value == 1.0
    assert funnel_rates([0, 1], [0.5, 2.0], ["A", "B"]).units[0].size == 0.5
    with pytest.raises(ValueError, match=r"^need 0 <= target <= 1 and n >= 1$"):
        funnel_proportions([0, 1], [0.4, 2], ["A", "B"])  # type: ignore[list-item]
    # a target rate of 0 is allowed
    zero = funnel_rates([0, 0], [10.0, 20.0], ["A", "B"], target=0.0)
    assert [u.upper_998 for u in zero.units] == [0.0, 0.0]


def test_plot_fields() -> None:
    plot = funnel_rates([30, 95, 160], [20_000.0, 41_000.0, 90_000.0], ["A", "B", "C"],
                        per=1_000.0, adjust="multiplicative")
    data = plot.to_dict()
    assert data["kind"] == "rate" and data["per"] == 1_000.0
    assert [u["events"] for u in data["units"]] == [30.0, 95.0, 160.0]
    assert data["overdispersion"]["units"] == 3
    assert data["overdispersion"]["method"] == "multiplicative"
    # the default is no adjustment
    assert funnel_rates([30, 95], [20_000.0, 41_000.0], ["A", "B"]).overdispersion is None
    props = funnel_proportions([3, 9], [10, 20], ["A", "B"])
    assert props.kind == "proportion" and props.overdispersion is None
