"""Funnel plot limits, hand-computed from exact binomial and Poisson probabilities."""

from __future__ import annotations

import csv
import gzip
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from paragon.stats.funnel import (
    binomial_limits,
    estimate_overdispersion,
    funnel_proportions,
    funnel_rates,
    limits_at,
    limits_curve,
    poisson_limits,
)


def _binom_cdf(r: int, n: int, theta: float) -> float:
    return sum(math.comb(n, i) * theta**i * (1 - theta) ** (n - i) for i in range(r + 1))


def _poisson_cdf(r: int, mean: float) -> float:
    return sum(math.exp(-mean + i * math.log(mean) - math.lgamma(i + 1)) for i in range(r + 1))


def _spiegelhalter(q: float, cdf: object, top: int) -> float:
    """Smallest r with F(r) >= q, less (F(r) - q) / (F(r) - F(r-1)); by brute force."""
    f = cdf  # type: ignore[assignment]
    r = next(r for r in range(top + 1) if f(r) >= q)  # type: ignore[operator]
    below = f(r - 1) if r > 0 else 0.0  # type: ignore[operator]
    return r - (f(r) - q) / (f(r) - below)  # type: ignore[operator]


def test_binomial_limits_hand_worked() -> None:
    # Binomial(10, 0.2): F(4) = 0.9672065, F(5) = 0.9936306, so the 97.5% point is
    # 5 - (0.9936306 - 0.975) / (0.9936306 - 0.9672065) = 4.29494 cases of 10.
    f4, f5 = _binom_cdf(4, 10, 0.2), _binom_cdf(5, 10, 0.2)
    assert (f4, f5) == pytest.approx((0.9672065, 0.9936306), abs=1e-7)
    lower, upper = binomial_limits(0.2, 10, 0.95)
    assert upper == pytest.approx((5 - (f5 - 0.975) / (f5 - f4)) / 10)
    assert upper == pytest.approx(0.429494, abs=1e-6)
    # F(0) = 0.1073742 >= 0.025, so the lower point is 0 - 0.767 < 0 and is cut at 0
    assert lower == 0.0


@pytest.mark.parametrize(("theta", "n"), [(0.2, 10), (0.35, 57), (0.6, 200), (0.05, 400)])
@pytest.mark.parametrize("coverage", [0.95, 0.998])
def test_binomial_limits_brute_force(theta: float, n: int, coverage: float) -> None:
    tail = (1 - coverage) / 2

    def cdf(r: int) -> float:
        return _binom_cdf(r, n, theta)

    lower, upper = binomial_limits(theta, n, coverage)
    assert lower == pytest.approx(max(0.0, _spiegelhalter(tail, cdf, n)) / n, abs=1e-9)
    assert upper == pytest.approx(_spiegelhalter(1 - tail, cdf, n) / n, abs=1e-9)


def test_poisson_limits_hand_worked() -> None:
    # Rate 2 per 1,000 on 2,000 people: expected 4. Poisson(4): F(7) = 0.9488664,
    # F(8) = 0.9786366, F(0) = 0.0183156, F(1) = 0.0915782.
    lower, upper = poisson_limits(0.002, 2000, 0.95)
    hand_upper = (8 - (0.9786366 - 0.975) / (0.9786366 - 0.9488664)) / 2
    assert upper * 1000 == pytest.approx(hand_upper, rel=1e-5)
    assert upper * 1000 == pytest.approx(3.93892, abs=1e-4)
    hand_lower = (1 - (0.0915782 - 0.025) / (0.0915782 - 0.0183156)) / 2
    assert lower * 1000 == pytest.approx(hand_lower, rel=1e-5)
    assert lower * 1000 == pytest.approx(0.04562, abs=1e-4)


@pytest.mark.parametrize("mean", [0.7, 4.0, 23.5, 150.0])
def test_poisson_limits_brute_force(mean: float) -> None:
    exposure = 1000.0

    def cdf(r: int) -> float:
        return _poisson_cdf(r, mean)

    lower, upper = poisson_limits(mean / exposure, exposure, 0.998)
    assert lower * exposure == pytest.approx(max(0.0, _spiegelhalter(0.001, cdf, 500)), abs=1e-6)
    assert upper * exposure == pytest.approx(_spiegelhalter(0.999, cdf, 500), abs=1e-6)


def test_funnel_proportions_classifies_units() -> None:
    # group rate 500 / 2000 = 0.25
    plot = funnel_proportions(
        [150, 60, 20, 270], [400, 400, 100, 1100], ["North", "South", "Rural", "City"]
    )
    assert plot.target == pytest.approx(0.25)
    by = {u.unit: u for u in plot.units}
    assert by["North"].classification == "above"  # 0.375 vs 99.8% upper ≈ 0.32
    assert by["South"].classification == "below"  # 0.15
    assert by["Rural"].classification == "within"  # 0.20 on only 100 cases
    assert by["City"].classification == "within"  # 0.245
    north = by["North"]
    assert (north.lower_998, north.upper_998) == pytest.approx(binomial_limits(0.25, 400, 0.998))
    assert north.lower_998 < north.lower_95 < north.upper_95 < north.upper_998
    json.dumps(plot.to_dict())


def test_ninety_five_percent_warning_differs_from_alarm() -> None:
    # 0.31 on 400 is above the 95% limit (about 0.293) but not the 99.8% one (about 0.318)
    plot = funnel_proportions([124], [400], ["A"], target=0.25)
    unit = plot.units[0]
    assert unit.classification_95 == "above" and unit.classification == "within"


def test_funnel_rates_per_thousand() -> None:
    plot = funnel_rates([40, 5, 12], [10_000, 5_000, 3_000], ["A", "B", "C"], per=1000)
    assert plot.target == pytest.approx(57 / 18_000 * 1000)
    a = plot.units[0]
    assert a.value == pytest.approx(4.0)
    lo, hi = poisson_limits(57 / 18_000, 10_000, 0.95)
    assert (a.lower_95, a.upper_95) == pytest.approx((lo * 1000, hi * 1000))
    assert [u.classification for u in plot.units] == ["within", "within", "within"]
    fixed = funnel_rates([40], [10_000], ["A"], per=1000, target=2.0)
    assert fixed.target == 2.0 and fixed.units[0].classification == "above"


@pytest.mark.parametrize(
    "call",
    [
        lambda: funnel_proportions([5], [4], ["A"]),
        lambda: funnel_proportions([1, 2], [4], ["A"]),
        lambda: funnel_rates([1], [0.0], ["A"]),
        lambda: binomial_limits(1.5, 10, 0.95),
    ],
)
def test_invalid_input(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


# --- Overdispersion (Spiegelhalter 2005) --------------------------------------------------

HOME_OFFICE = Path(__file__).parent / "data" / "homeoffice"


def _home_office(subgroup: str | None, group: str | None) -> tuple[list[str], list[int], list[int]]:
    """2017/18 offences per English force (four quarters) and 2011 households."""
    with open(HOME_OFFICE / "force_households_2011.csv", newline="") as f:
        households = {r["force"]: int(r["households_2011"]) for r in csv.DictReader(f)}
    offences: Counter[str] = Counter()
    with gzip.open(HOME_OFFICE / "prc-pfa-201718_new.csv.gz", "rt") as f:
        for r in csv.DictReader(f):
            if r["Offence_Subgroup"] == subgroup or r["Offence_Group"] == group:
                offences[r["Force_Name"]] += int(r["Number_of_Offences"])
    forces = sorted(households)
    return forces, [offences[f] for f in forces], [households[f] for f in forces]


def _reference(values: np.ndarray, se: np.ndarray, target: float) -> tuple[float, float]:
    """Independent Spiegelhalter (2005) estimate: winsorise by sorting, not by quantile clip."""
    z = (values - target) / se
    order = np.sort(z)
    n = len(z)
    pos_lo, pos_hi = 0.1 * (n - 1), 0.9 * (n - 1)
    lo = order[int(pos_lo)] + (pos_lo - int(pos_lo)) * (order[int(pos_lo) + 1] - order[int(pos_lo)])
    hi = order[int(pos_hi)] + (pos_hi - int(pos_hi)) * (order[int(pos_hi) + 1] - order[int(pos_hi)])
    zw = [min(max(v, lo), hi) for v in z]
    phi = sum(v * v for v in zw) / n
    w = [1 / s**2 for s in se]
    tau2 = max(0.0, (n * phi - (n - 1)) / (sum(w) - sum(x * x for x in w) / sum(w)))
    return phi, tau2


def test_home_office_domestic_burglary_funnel_allows_for_overdispersion() -> None:
    forces, burglaries, households = _home_office("Domestic burglary", None)
    assert len(forces) == 39 and sum(households) > 22_000_000
    exact = funnel_rates(burglaries, households, forces)
    assert sum(u.classification != "within" for u in exact.units) == 35
    fp = funnel_rates(burglaries, households, forces, adjust="auto")
    od = fp.overdispersion
    assert od is not None and od.p_value < 1e-6 and od.method == "additive"
    outside_998 = [u.unit for u in fp.units if u.classification != "within"]
    outside_95 = [u.unit for u in fp.units if u.classification_95 != "within"]
    assert len(outside_998) <= 2 and 1 <= len(outside_95) <= 8
    target = sum(burglaries) / sum(households)
    se = np.sqrt(target / np.array(households, float))
    phi, tau2 = _reference(np.array(burglaries) / np.array(households), se, target)
    assert od.phi == pytest.approx(phi, rel=1e-12)
    assert od.tau2 == pytest.approx(tau2 * 1000**2, rel=1e-12)
    z975 = sps.norm.isf(0.025)
    for u, s in zip(fp.units, se, strict=True):
        half = z975 * math.sqrt(s**2 + tau2) * 1000
        assert u.upper_95 == pytest.approx(fp.target + half, rel=1e-12)
        assert u.lower_95 == pytest.approx(max(0.0, fp.target - half), rel=1e-12, abs=1e-12)


def test_robbery_funnel_multiplicative_limits_match_reference() -> None:
    forces, robberies, households = _home_office(None, "Robbery")
    exact = funnel_rates(robberies, households, forces)
    assert sum(u.classification != "within" for u in exact.units) >= 35
    fp = funnel_rates(robberies, households, forces, adjust="multiplicative")
    assert fp.overdispersion is not None and fp.overdispersion.method == "multiplicative"
    assert sum(u.classification != "within" for u in fp.units) <= 2
    target = sum(robberies) / sum(households)
    se = np.sqrt(target / np.array(households, float))
    phi, _ = _reference(np.array(robberies) / np.array(households), se, target)
    z999 = sps.norm.isf(0.001)
    for u, s in zip(fp.units, se, strict=True):
        assert u.upper_998 == pytest.approx((target + z999 * math.sqrt(phi) * s) * 1000)


def test_auto_keeps_exact_limits_when_units_vary_only_by_chance() -> None:
    rng = np.random.default_rng(7)
    sizes = rng.integers(2_000, 50_000, size=30).astype(float)
    events = rng.poisson(0.02 * sizes)
    names = [f"u{i}" for i in range(30)]
    fp = funnel_rates(list(events), list(sizes), names, adjust="auto")
    plain = funnel_rates(list(events), list(sizes), names)
    assert fp.overdispersion is not None and fp.overdispersion.method == "exact"
    assert fp.overdispersion.p_value >= 0.05
    assert fp.units == plain.units


def test_proportion_funnel_additive_and_chi_squared_test() -> None:
    # Units whose true proportions differ (between-unit sd 0.05 around 0.3).
    rng = np.random.default_rng(11)
    n = rng.integers(200, 3000, size=40)
    p = np.clip(rng.normal(0.3, 0.05, size=40), 0.01, 0.99)
    events = rng.binomial(n, p)
    od = estimate_overdispersion(
        "proportion", list(events), list(n), events.sum() / n.sum(), "auto"
    )
    assert od.method in ("additive", "multiplicative") and od.p_value < 0.05
    assert od.p_value == pytest.approx(sps.chi2.sf(40 * od.phi, 39))
    add = funnel_proportions(list(events), list(n), [str(i) for i in range(40)], adjust="additive")
    assert add.overdispersion is not None
    assert add.overdispersion.tau2 == pytest.approx(0.05**2, rel=0.6)
    assert all(0.0 <= u.lower_998 <= u.upper_998 <= 1.0 for u in add.units)


def test_bad_adjust_is_refused() -> None:
    with pytest.raises(ValueError, match="adjust must be"):
        funnel_rates([1, 2], [10.0, 20.0], ["a", "b"], adjust="both")  # type: ignore[arg-type]


def _reference_quantile(q: float, dist: object) -> float:
    """Spiegelhalter's smoothed quantile from a frozen scipy.stats distribution."""
    r = float(dist.ppf(q))  # type: ignore[attr-defined]
    f_r = float(dist.cdf(r))  # type: ignore[attr-defined]
    f_below = float(dist.cdf(r - 1.0)) if r > 0 else 0.0  # type: ignore[attr-defined]
    return r if f_r == f_below else r - (f_r - q) / (f_r - f_below)


@pytest.mark.parametrize("coverage", [0.95, 0.998, 0.9])
@pytest.mark.parametrize("theta", [0.0, 1e-4, 0.003, 0.05, 0.31, 0.5, 0.97, 1.0])
@pytest.mark.parametrize("n", [1, 2, 5, 17, 100, 1_234, 50_000, 913_776])
def test_binomial_limits_equal_scipy_stats_objects(theta: float, n: int, coverage: float) -> None:
    tail = (1 - coverage) / 2
    dist = sps.binom(n, theta)
    lower = max(0.0, _reference_quantile(tail, dist)) / n
    upper = min(float(n), max(0.0, _reference_quantile(1 - tail, dist))) / n
    got = binomial_limits(theta, n, coverage)
    assert got == pytest.approx((lower, upper), rel=1e-11, abs=1e-13)


@pytest.mark.parametrize("coverage", [0.95, 0.998])
@pytest.mark.parametrize("rate", [0.0, 1e-6, 0.01, 0.5, 3.0])
@pytest.mark.parametrize("exposure", [0.5, 1.0, 10.0, 1_000.0, 123_456.7, 3e6])
def test_poisson_limits_equal_scipy_stats_objects(
    rate: float, exposure: float, coverage: float
) -> None:
    tail = (1 - coverage) / 2
    dist = sps.poisson(rate * exposure)
    lower = max(0.0, _reference_quantile(tail, dist)) / exposure
    upper = max(0.0, _reference_quantile(1 - tail, dist)) / exposure
    got = poisson_limits(rate, exposure, coverage)
    assert got == pytest.approx((lower, upper), rel=1e-11, abs=1e-13)


def test_whole_funnel_equals_unit_by_unit_scipy_stats_limits() -> None:
    rng = np.random.default_rng(7)
    events = [int(e) for e in rng.integers(50, 5_000, 40)]
    pops = [float(p) for p in rng.uniform(1e4, 1e6, 40)]
    names = [f"u{i}" for i in range(40)]
    plot = funnel_rates(events, pops, names, per=1000.0)
    target = sum(events) / sum(pops)
    for unit, pop in zip(plot.units, pops, strict=True):
        dist = sps.poisson(target * pop)
        for cov, lo, hi in [
            (0.95, unit.lower_95, unit.upper_95),
            (0.998, unit.lower_998, unit.upper_998),
        ]:
            tail = (1 - cov) / 2
            ref_lo = max(0.0, _reference_quantile(tail, dist)) / pop * 1000
            ref_hi = max(0.0, _reference_quantile(1 - tail, dist)) / pop * 1000
            assert (lo, hi) == pytest.approx((ref_lo, ref_hi), rel=1e-11)
    props = funnel_proportions([e // 10 for e in events], events, names)
    theta = sum(e // 10 for e in events) / sum(events)
    for unit, n in zip(props.units, events, strict=True):
        dist = sps.binom(n, theta)
        ref_lo = max(0.0, _reference_quantile(0.001, dist)) / n
        ref_hi = min(float(n), max(0.0, _reference_quantile(0.999, dist))) / n
        assert (unit.lower_998, unit.upper_998) == pytest.approx((ref_lo, ref_hi), rel=1e-11)


@pytest.mark.parametrize("kind", ["rate", "proportion"])
def test_limits_curve_equals_limits_at_each_size(kind: str) -> None:
    sizes = np.linspace(40.0, 90_000.0, 40)
    target = 0.012 if kind == "rate" else 0.3
    for coverage in (0.95, 0.998):
        lower, upper = limits_curve(kind, target, sizes, coverage)  # type: ignore[arg-type]
        for s, lo, hi in zip(sizes, lower, upper, strict=True):
            ref = limits_at(kind, target, float(s), coverage)  # type: ignore[arg-type]
            assert (lo, hi) == pytest.approx(ref, rel=1e-13)
