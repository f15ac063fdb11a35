"""Control charts for real data: seasonal profile, seasonally adjusted XmR of counts, rebasing and
baselines, Laney p′/u′ against an independent implementation, suppression of small denominators,
the g chart, and false-signal rates on simulated stable series and the real Greater Manchester
burglary series."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from paragon.stats.control import RARE_MEAN, count_chart, g_chart, proportion_chart
from paragon.stats.seasonal import seasonal_profile

MONTHLY = Path(__file__).parent / "data" / "policeuk" / "monthly" / "monthly_counts.csv"
# The demo's profile for acquisitive crime, January to December.
PROFILE = [1.12, 1.05, 0.97, 1.00, 0.92, 0.90, 0.88, 0.92, 0.95, 0.98, 1.10, 1.15]


def months(n: int, start: str = "2010-04") -> list[str]:
    year, month = int(start[:4]), int(start[5:])
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def real_series() -> dict[str, tuple[list[str], list[float]]]:
    rows: dict[str, list[tuple[str, float]]] = defaultdict(list)
    with MONTHLY.open() as f:
        for r in csv.DictReader(f):
            rows[r["series"]].append((r["month"], float(r["crimes"])))
    return {k: ([p for p, _ in v], [c for _, c in v]) for k, v in rows.items()}


def flagged(chart: object) -> list[str]:
    return [p.period for p in chart.points if p.signal != "none"]  # type: ignore[attr-defined]


def geometric_mean_one(profile: list[float]) -> list[float]:
    g = math.exp(sum(math.log(x) for x in profile) / 12)
    return [x / g for x in profile]


# --- seasonal profile ---------------------------------------------------------------------


def test_profile_recovered_exactly_despite_trend_and_break() -> None:
    periods = months(48)
    values = []
    for i, p in enumerate(periods):
        level = 1000.0 * (1.3 if p >= "2012-01" else 1.0)  # a recording-practice step
        values.append(level * 0.99**i * PROFILE[int(p[5:]) - 1])
    segments = [1 if p >= "2012-01" else 0 for p in periods]
    profile = seasonal_profile(values, periods, segments)
    assert profile is not None
    assert profile.index == pytest.approx(geometric_mean_one(PROFILE), rel=1e-6)
    assert profile.dispersion == pytest.approx(0.0, abs=1e-9)
    # without the break the step is wrongly read as part of the seasonal profile
    lumped = seasonal_profile(values, periods)
    assert lumped is not None
    assert max(abs(a - b) for a, b in zip(lumped.index, profile.index, strict=True)) > 0.01


def test_profile_interval_matches_statsmodels_quasi_poisson() -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    periods = months(36, "2016-01")
    values = [float(rng.poisson(200 * PROFILE[int(p[5:]) - 1] * rng.gamma(50, 1 / 50)))
              for p in periods]  # overdispersed: the gamma multiplier adds about φ = 5
    profile = seasonal_profile(values, periods)
    assert profile is not None
    # independent fit: treatment coding with January as reference, month effects read as
    # differences from the mean of the 12 log effects
    t = np.arange(36) / 12.0
    dummies = np.array([[1.0 if int(p[5:]) == c else 0.0 for c in range(2, 13)] for p in periods])
    x = np.column_stack([np.ones(36), t, dummies])
    fit = sm.GLM(np.array(values), x, family=sm.families.Poisson()).fit(scale="X2")
    assert fit.scale > 1  # the interval is widened by φ only when φ > 1
    effects = np.concatenate([[0.0], fit.params[2:]])
    centred = effects - effects.mean()
    assert profile.index == pytest.approx(np.exp(centred), rel=1e-6)
    contrast = np.zeros((12, x.shape[1]))
    for c in range(12):
        contrast[c, 2:] = -1.0 / 12
        if c:
            contrast[c, 1 + c] += 1.0
    se = np.sqrt(np.diag(contrast @ fit.cov_params() @ contrast.T))
    assert profile.upper == pytest.approx(np.exp(centred + 1.96 * se), rel=1e-6)
    assert profile.dispersion == pytest.approx(fit.pearson_chi2 / fit.df_resid, rel=1e-9)


def test_profile_needs_two_of_every_calendar_month() -> None:
    assert seasonal_profile([100.0] * 23, months(23)) is None
    assert seasonal_profile([100.0] * 24, months(24)) is not None
    # a gap in the second year leaves that calendar month seen once
    periods = [p for p in months(25) if p != "2011-06"]
    assert seasonal_profile([100.0] * len(periods), periods) is None


# --- counts -----------------------------------------------------------------------------------


def test_exactly_seasonal_series_is_flat_once_adjusted() -> None:
    periods = months(36)
    values = [1500.0 * PROFILE[int(p[5:]) - 1] for p in periods]
    adjusted = count_chart(values, periods, better="lower")
    assert adjusted.method == "xmr_seasonal"
    assert [p.plotted for p in adjusted.points] == pytest.approx([adjusted.points[0].plotted] * 36)
    assert flagged(adjusted) == []
    # the same series charted raw is full of "signals" that are only the season
    assert len(flagged(count_chart(values, periods, better="lower", seasonal=False))) > 12


def test_seasonal_adjustment_keeps_false_signals_rare_on_stable_series() -> None:
    """Stable Poisson counts with the demo's seasonal profile, 5 years of history, the last 24
    months charted as on the dashboard: a "signal in the last 6 months" should be unusual."""
    rng = np.random.default_rng(20111)
    periods = months(60)
    lam = np.array([1500.0 * PROFILE[int(p[5:]) - 1] for p in periods])
    runs = 150
    adjusted = raw = 0
    for _ in range(runs):
        values = rng.poisson(lam).astype(float).tolist()
        for seasonal in (True, False):
            chart = count_chart(values, periods, better="lower", seasonal=seasonal,
                                show_from=periods[-24])
            hit = any(p.signal != "none" for p in chart.points[-6:])
            adjusted += hit and seasonal
            raw += hit and not seasonal
    assert adjusted / runs < 0.15
    assert raw / runs > 0.6


def test_rebasing_at_a_step_and_a_fixed_baseline() -> None:
    periods = months(24)
    values = [100.0, 104, 97, 101, 99, 103, 98, 102, 100, 96, 104, 101]
    values += [v + 50 for v in values]
    one = count_chart(values, periods, better="lower", seasonal=False)
    assert len(flagged(one)) == 24  # every month is on one side of a centre line between them
    two = count_chart(values, periods, better="lower", seasonal=False, breaks=[periods[12]])
    assert flagged(two) == []
    assert two.breaks == [periods[12]]
    assert [p.segment for p in two.points] == [0] * 12 + [1] * 12
    assert two.centre == pytest.approx(sum(values[12:]) / 12)
    # breaks outside the series change nothing
    outside = count_chart(values, periods, better="lower", seasonal=False,
                          breaks=["2001-01", periods[0], "2099-01"])
    assert outside.breaks == [] and len(flagged(outside)) == 24
    # a baseline on the first six months fixes the limits of the segment it lies in
    fixed = count_chart(values, periods, better="lower", seasonal=False, breaks=[periods[12]],
                        baseline=(periods[0], periods[5]))
    assert fixed.points[0].centre == pytest.approx(sum(values[:6]) / 6)
    assert fixed.points[20].centre == two.centre and fixed.trial_limits is False
    assert fixed.baseline == (periods[0], periods[5])


def test_gaps_are_skipped_not_zero_and_limits_never_negative() -> None:
    periods = [p for p in months(14) if p not in ("2010-08", "2010-09")]
    values = [10.0, 30, 12, 28, 9, 31, 11, 29, 10, 30, 12, 27]
    chart = count_chart(values, periods, better="lower")
    assert chart.method == "xmr" and [p.period for p in chart.points] == periods
    assert "Seasonality not removed" in chart.caveats[0]
    assert chart.lower_limit == 0.0 and all(p.lower_limit == 0.0 for p in chart.points)


def test_rare_counts_get_no_xmr_verdict() -> None:
    periods = months(24)
    values = [float(v) for v in [0, 3, 1, 0, 9, 2, 1, 0, 4, 1, 2, 0] * 2]
    assert sum(values) / 24 < RARE_MEAN
    chart = count_chart(values, periods, better="lower")
    assert chart.method == "none" and flagged(chart) == []
    assert all(p.variation == "common" and p.upper_limit is None for p in chart.points)
    assert "too few events" in chart.caveats[-1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [1.0, 2.0], "periods": ["2011-01"]}, "same length"),
        ({"values": [1.0, 2.0], "periods": ["2011-01", "2011-13"]}, "not a month"),
        ({"values": [1.0, 2.0], "periods": ["2011-02", "2011-01"]}, "time order"),
        ({"values": [1.0, -2.0], "periods": ["2011-01", "2011-02"]}, "not negative"),
        ({"values": [1.0, 2.0], "periods": ["2011-01", "2011-02"],
          "baseline": ("2011-02", "2011-01")}, "ends before"),
        ({"values": [1.0, 2.0], "periods": ["2011-01", "2011-02"], "breaks": ["Oct"]},
         "not a month"),
    ],
)
def test_count_chart_refuses_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        count_chart(better="lower", **kwargs)  # type: ignore[arg-type]


# --- real data ----------------------------------------------------------------------------


def test_greater_manchester_burglary_rebased_at_october_2016() -> None:
    """data.police.uk: 36 months of Greater Manchester burglary, which steps up by about a fifth
    in October 2016 (a change in recording practice)."""
    periods, values = real_series()["greater-manchester-burglary"]
    assert len(periods) == 36
    one = count_chart(values, periods, better="lower")
    rebased = count_chart(values, periods, better="lower", breaks=["2016-10"])
    raw_one = count_chart(values, periods, better="lower", seasonal=False)
    raw_rebased = count_chart(values, periods, better="lower", seasonal=False, breaks=["2016-10"])
    before = [p for p in periods if p < "2016-10"]
    # one segment: every month before the break is flagged (the step reads as a shift)
    assert set(before) <= set(flagged(one)) and set(before) <= set(flagged(raw_one))
    assert len(flagged(raw_one)) == 30 and len(flagged(one)) == 29
    # rebased: nothing before the break is flagged (raw, one month: 2016-09 starts the rise)
    assert not set(before) & set(flagged(rebased))
    assert set(before) & set(flagged(raw_rebased)) == {"2016-09"}
    assert len(flagged(raw_rebased)) == 13 and len(flagged(rebased)) == 26
    # what remains (seasonally adjusted) is the 2017 rise and the 2018 fall, not the step
    variation = {p.period: p.variation for p in rebased.points}
    assert {variation[p] for p in periods if "2017-01" <= p <= "2017-08"} <= {"concern",
                                                                             "common"}
    assert {variation[p] for p in periods if p >= "2017-11"} == {"improvement"}


def test_real_series_too_short_for_a_profile_say_so() -> None:
    for name in ("merseyside-shoplifting", "nottingham-burglary", "nottingham-robbery"):
        periods, values = real_series()[name]
        chart = count_chart(values, periods, better="lower")
        assert chart.method == "xmr" and chart.seasonal is None, name
        assert chart.caveats and "Seasonality not removed" in chart.caveats[0], name


# --- Laney p′ and u′ --------------------------------------------------------------------------


def laney_reference(x: np.ndarray, n: np.ndarray, kind: str) -> tuple[float, np.ndarray,
                                                                       np.ndarray]:
    """Laney (2002) written out with numpy: centre, lower and upper limits in percent."""
    p = x / n
    pbar = x.sum() / n.sum()
    var = pbar * (1 - pbar) if kind == "proportion" else pbar
    sigma = np.sqrt(var / n)
    z = (p - pbar) / sigma
    sigma_z = np.mean(np.abs(np.diff(z))) / 1.128
    lower = np.clip(pbar - 3 * sigma * sigma_z, 0, None)
    upper = pbar + 3 * sigma * sigma_z
    if kind == "proportion":
        upper = np.clip(upper, None, 1)
    return 100 * pbar, 100 * lower, 100 * upper


@pytest.mark.parametrize("kind", ["proportion", "rate"])
def test_laney_chart_matches_an_independent_implementation(
    kind: Literal["proportion", "rate"],
) -> None:
    rng = np.random.default_rng(7)
    n = rng.integers(200, 5000, 30).astype(float)
    true = np.clip(0.35 + rng.normal(0, 0.03, 30), 0.01, 0.99)  # between-month variation
    x = rng.binomial(n.astype(int), true).astype(float)
    chart = proportion_chart(x.tolist(), n.tolist(), months(30), better="higher", kind=kind,
                             min_size=50)
    centre, lower, upper = laney_reference(x, n, kind)
    assert chart.method == ("p_prime" if kind == "proportion" else "u_prime")
    assert chart.centre == pytest.approx(centre)
    assert [p.lower_limit for p in chart.points] == pytest.approx(lower.tolist())
    assert [p.upper_limit for p in chart.points] == pytest.approx(upper.tolist())
    # overdispersed: the p′ limits are wider than the binomial ones for every month
    binomial = 300 * np.sqrt(centre / 100 * (1 - centre / 100) / n)
    assert all(u - centre > b for u, b in zip(upper, binomial, strict=True))


def test_laney_hand_worked_example() -> None:
    # 4 months, 100 asked each: 40, 50, 40, 50 agree. p̄ = 0.45, σ = √(0.45·0.55/100) = 0.04975;
    # z = ∓1.005 alternately, moving ranges 2.010, mean 2.010, σz = 2.010/1.128 = 1.782.
    chart = proportion_chart([40, 50, 40, 50], [100] * 4, months(4), better="higher",
                             kind="proportion", min_size=50)
    sigma = math.sqrt(0.45 * 0.55 / 100)
    sigma_z = (2 * 0.05 / sigma) / 1.128
    assert chart.centre == pytest.approx(45.0)
    assert chart.upper_limit == pytest.approx(100 * (0.45 + 3 * sigma * sigma_z))
    assert chart.upper_limit == pytest.approx(71.6, abs=0.05)
    assert chart.lower_limit == pytest.approx(18.4, abs=0.05)


def test_small_denominators_are_suppressed_not_judged() -> None:
    """Solihull ASB satisfaction: 8 to 15 responses a month; hate crime detections 11 of 6."""
    periods = months(24)
    responses = [8, 15, 11, 9, 12, 14, 10, 13, 8, 15, 9, 12] * 2
    agree = [round(r * 0.7) for r in responses]
    survey = proportion_chart([a / 1.5 for a in agree], [r / 1.5 for r in responses], periods,
                              better="higher", kind="proportion", min_size=50,
                              size_name="effective responses")
    assert survey.method == "none" and survey.lower_limit is None
    assert all(p.suppressed == "fewer than 50 effective responses" for p in survey.points)
    assert all(p.plotted is None and p.signal == "none" for p in survey.points)
    # detection rates: 11 detected of 6 recorded (183.3%) among months of 40+ offences
    detected = [14.0, 15, 13, 16, 14, 15, 11, 15, 13, 16, 14, 15]
    recorded = [40.0, 42, 41, 44, 40, 43, 6, 42, 41, 44, 40, 43]
    rate = proportion_chart(detected, recorded, months(12), better="higher", kind="rate",
                            min_size=30, size_name="offences recorded")
    tiny = rate.points[6]
    assert tiny.value == pytest.approx(183.333, abs=1e-3)
    assert tiny.suppressed == "fewer than 30 offences recorded" and tiny.variation == "common"
    assert rate.centre == pytest.approx(100 * (sum(detected) - 11) / (sum(recorded) - 6))
    assert all(p.lower_limit is None or p.lower_limit >= 0 for p in rate.points)
    assert rate.caveats == ["1 of 12 months have fewer than 30 offences recorded: shown, but not "
                            "judged and not used for the limits."]


def test_proportion_limits_stay_between_0_and_100() -> None:
    sizes = [60.0, 55, 400, 52, 58, 61, 500, 54] * 2
    share = [0.97, 0.9, 0.99, 0.85, 0.99, 0.92, 0.98, 0.88] * 2
    chart = proportion_chart([s * p for s, p in zip(sizes, share, strict=True)], sizes, months(16),
                             better="higher", kind="proportion", min_size=50)
    assert all(0 <= p.lower_limit <= p.upper_limit <= 100 for p in chart.points)  # type: ignore
    assert max(p.upper_limit for p in chart.points) == 100.0  # type: ignore[type-var]


# --- g chart --------------------------------------------------------------------------------


def test_g_chart_limits_and_rarer_events_are_an_improvement_for_crime() -> None:
    gaps = [3.0, 10, 0, 7, 25, 4, 12, 1, 8, 5]
    chart = g_chart(gaps, better="lower")
    g = 7.5
    assert chart.centre == g
    assert chart.upper_limit == pytest.approx(g + 3 * math.sqrt(g * (g + 1)))  # 32.76
    assert chart.lower_limit == 0.0
    assert chart.signals == ["common"] * 10
    long_gap = g_chart([*gaps, 200.0], better="lower")
    assert long_gap.signals[-1] == "improvement"
    assert g_chart([*gaps, 200.0], better="higher").signals[-1] == "concern"
    with pytest.raises(ValueError, match="at least 2"):
        g_chart([3.0], better="lower")


def test_g_chart_sigma_is_that_of_geometric_gaps() -> None:
    """Benneyan's σ = √(ḡ(ḡ+1)) is the standard deviation of geometric gaps with mean ḡ: check it
    on a large simulated sample, and that about 1.8% of stable gaps fall above the limit."""
    rng = np.random.default_rng(11)
    p = 1 / 21
    gaps = (rng.geometric(p, 200_000) - 1).astype(float)  # failures before each event, mean 20
    chart = g_chart(gaps.tolist(), better="lower")
    assert math.sqrt(chart.centre * (chart.centre + 1)) == pytest.approx(gaps.std(), rel=0.01)
    above = sum(s == "improvement" for s in chart.signals) / len(gaps)
    exact = (1 - p) ** (math.floor(chart.upper_limit) + 1)
    assert above == pytest.approx(exact, abs=0.002)
    assert 0.015 < exact < 0.02



def test_adjusted_autocorrelation_matches_an_independent_computation() -> None:
    # Two segments with a gap: residuals about a least-squares line per segment (numpy), lag-1
    # products only between consecutive months of one segment, Kendall's bias correction.
    from paragon.stats.control import adjusted_autocorrelation

    rng = np.random.default_rng(11)
    per = [p for p in months(40) if p != "2011-09"]
    segs = [0 if p < "2012-01" else 1 for p in per]
    e = np.zeros(len(per))
    for i in range(1, len(per)):
        e[i] = 0.5 * e[i - 1] + rng.normal()
    y = 100 + 0.5 * np.arange(len(per)) + 10 * e + 30 * np.array(segs)
    resid = np.empty(len(per))
    for s in (0, 1):
        idx = np.array([i for i, g in enumerate(segs) if g == s])
        t = np.array([int(per[i][:4]) * 12 + int(per[i][5:]) for i in idx], float)
        fit = np.polyfit(t, y[idx], 1)
        resid[idx] = y[idx] - np.polyval(fit, t)
    def number(p: str) -> int:
        return int(p[:4]) * 12 + int(p[5:])

    lag = sum(resid[i] * resid[i - 1] for i in range(1, len(per))
              if segs[i] == segs[i - 1] and number(per[i]) == number(per[i - 1]) + 1)
    n = len(per)
    expected = (lag / float(np.sum(resid**2)) * n + 1) / (n - 3)
    got = adjusted_autocorrelation(y.tolist(), per, segs)
    assert got == pytest.approx(expected, rel=1e-9)
    assert 0.2 < got < 0.8
    assert adjusted_autocorrelation(y[:20].tolist(), per[:20], segs[:20]) is None  # too short


def test_count_chart_says_when_months_move_together() -> None:
    # Seasonal counts whose level follows an AR(1) with coefficient 0.8: the chart estimates the
    # autocorrelation and says signals may not last; independent Poisson months get no such note.
    rng = np.random.default_rng(5)
    per = months(48)
    season = np.array([PROFILE[(int(p[5:]) - 1)] for p in per])
    e = np.zeros(48)
    for i in range(1, 48):
        e[i] = 0.8 * e[i - 1] + 0.6 * rng.normal()
    moving = rng.poisson(500 * season * np.exp(0.08 * e)).astype(float).tolist()
    steady = rng.poisson(500 * season).astype(float).tolist()
    a = count_chart(moving, per, better="lower", show_from=per[-24])
    b = count_chart(steady, per, better="lower", show_from=per[-24])
    assert a.autocorrelation is not None and a.autocorrelation > 2 / math.sqrt(48)
    assert any("move together" in c for c in a.caveats)
    assert b.autocorrelation is not None and b.autocorrelation < 2 / math.sqrt(48)
    assert not any("move together" in c for c in b.caveats)
    # Real Greater Manchester burglary drifts: rose through 2016, fell through 2018.
    periods, values = real_series()["greater-manchester-burglary"]
    gm = count_chart(values, periods, better="lower", show_from=periods[-24])
    assert gm.autocorrelation is not None and gm.autocorrelation > 0.8
    assert any("move together" in c for c in gm.caveats)
