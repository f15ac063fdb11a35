"""Control chart details a small wrong change to stats/control.py would break and
tests/test_stats_control.py does not see: refusals and their messages, the edges of the Laney
chart's inputs (a zero, a size exactly at the minimum, events equal to the size, a proportion
of 0 or 1, a rate above 100%), and the g chart's refusals and boundary."""

from __future__ import annotations

import itertools
import math
import re

import pytest

from paragon.stats.control import count_chart, g_chart, proportion_chart

MONTHS = [f"2020-{m:02d}" for m in range(1, 13)]


@pytest.mark.parametrize(
    ("events", "sizes", "kwargs", "message"),
    [
        ([1.0, 2.0], [10.0], {}, "events, sizes and periods must have the same length"),
        ([-1.0, 2.0], [10.0, 10.0], {}, "events and sizes must be finite and not negative"),
        ([11.0, 2.0], [10.0, 10.0], {}, "a proportion's events cannot exceed its size"),
        ([1.0, 2.0], [10.0, 10.0], {"baseline": ("2020-02", "2020-01")},
         "baseline 2020-02:2020-01 ends before it starts"),
    ],
)
def test_proportion_chart_refusals_say_what_is_wrong(
    events: list[float], sizes: list[float], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        proportion_chart(events, sizes, MONTHS[:2], better="higher",  # type: ignore[arg-type]
                         kind="proportion", min_size=1, **kwargs)


def test_zero_and_fractional_events_and_events_equal_to_the_size_are_accepted() -> None:
    c = proportion_chart([0.0, 0.5, 3.0, 2.0], [10.0, 10.0, 3.0, 10.0], MONTHS[:4],
                         better="higher", kind="proportion", min_size=1)
    assert [p.value for p in c.points] == pytest.approx([0.0, 5.0, 100.0, 20.0])
    assert c.method == "p_prime"


def test_a_size_exactly_at_the_minimum_is_judged_and_one_below_is_not() -> None:
    c = proportion_chart([20.0, 25.0, 22.0, 5.0], [50.0, 50.0, 50.0, 49.0], MONTHS[:4],
                         better="higher", kind="proportion", min_size=50)
    assert [p.suppressed for p in c.points] == [None, None, None, "fewer than 50 responses"]
    assert c.centre == pytest.approx(100 * 67 / 150)
    assert c.caveats == ["1 of 4 months have fewer than 50 responses: shown, but not judged and "
                         "not used for the limits."]


def test_with_no_minimum_a_size_of_zero_is_suppressed_and_a_size_of_one_judged() -> None:
    c = proportion_chart([0.0, 1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0, 1.0], MONTHS[:5],
                         better="higher", kind="proportion", min_size=0)
    assert math.isnan(c.points[0].value) and c.points[0].suppressed == "fewer than 0 responses"
    assert [p.value for p in c.points[1:]] == [100.0, 0.0, 100.0, 0.0]
    assert [p.suppressed for p in c.points[1:]] == [None] * 4
    assert c.centre == pytest.approx(50.0)


def test_fractional_sizes_below_one_in_total_still_set_limits() -> None:
    c = proportion_chart([0.1, 0.2, 0.1], [0.3, 0.3, 0.3], MONTHS[:3], better="higher",
                         kind="proportion", min_size=0)
    assert c.method == "p_prime" and c.centre == pytest.approx(100 * 0.4 / 0.9)


def test_two_months_are_enough_to_set_limits() -> None:
    c = proportion_chart([40.0, 50.0], [100.0, 100.0], MONTHS[:2], better="higher",
                         kind="proportion", min_size=50)
    assert c.method == "p_prime" and c.centre == pytest.approx(45.0) and c.trial_limits
    assert [p.moving_range for p in c.points] == [None, pytest.approx(10.0)]


@pytest.mark.parametrize(("events", "kind"), [([0.0] * 4, "proportion"),
                                              ([100.0] * 4, "proportion"), ([0.0] * 4, "rate")])
def test_a_proportion_of_0_or_1_or_a_rate_of_0_sets_no_limits(events: list[float],
                                                              kind: str) -> None:
    c = proportion_chart(events, [100.0] * 4, MONTHS[:4], better="higher",
                         kind=kind, min_size=50)  # type: ignore[arg-type]
    assert c.method == "none" and c.centre is None and not c.trial_limits
    assert all(p.centre is None and p.signal == "none" for p in c.points)
    assert all(p.suppressed == "too few months with enough data to set limits" for p in c.points)
    assert c.caveats == ["Months 2020-01 to 2020-04: too few months with enough data to set "
                         "limits; no signals are shown."]


def test_a_rate_above_100_percent_is_charted_and_its_limit_not_capped() -> None:
    detected = [150.0, 90.0, 140.0, 95.0, 145.0, 92.0]
    c = proportion_chart(detected, [100.0] * 6, MONTHS[:6], better="higher", kind="rate",
                         min_size=50)
    assert c.method == "u_prime" and c.centre == pytest.approx(712 / 6)
    assert c.upper_limit is not None and c.upper_limit > 100.0


def test_an_unjudged_segment_then_a_judged_one_with_every_point_field() -> None:
    # segment 0: one month with enough responses (no limits); segment 1: a month below the
    # minimum between two judged months
    c = proportion_chart([10.0, 40.0, 5.0, 50.0], [20.0, 100.0, 10.0, 100.0], MONTHS[:4],
                         better="higher", kind="proportion", min_size=50,
                         breaks=["2020-02"], baseline=("2020-02", "2020-04"))
    p0, p1, p2, p3 = c.points
    assert (p0.period, p0.value, p0.plotted, p0.centre, p0.signal, p0.variation, p0.segment,
            p0.suppressed) == ("2020-01", 50.0, None, None, "none", "common", 0,
                               "fewer than 50 responses")
    assert c.method == "p_prime" and c.centre == pytest.approx(45.0)
    assert (p2.period, p2.value, p2.plotted, p2.centre, p2.lower_limit, p2.signal,
            p2.variation, p2.segment, p2.suppressed) == (
        "2020-03", 50.0, None, pytest.approx(45.0), None, "none", "common", 1,
        "fewer than 50 responses")
    assert [(p.period, p.value, p.plotted, p.segment, p.suppressed) for p in (p1, p3)] == [
        ("2020-02", 40.0, 40.0, 1, None), ("2020-04", 50.0, 50.0, 1, None)]
    assert (p1.moving_range, p3.moving_range) == (None, pytest.approx(10.0))
    assert p3.centre == pytest.approx(45.0) and p3.lower_limit is not None


def test_a_baseline_fixes_the_laney_limits_on_its_months() -> None:
    events = [40.0, 50.0, 40.0, 50.0, 90.0, 90.0]
    c = proportion_chart(events, [100.0] * 6, MONTHS[:6], better="higher", kind="proportion",
                         min_size=50, baseline=("2020-01", "2020-04"))
    assert c.centre == pytest.approx(45.0)
    assert [p.signal for p in c.points[4:]] == ["outside_limits"] * 2
    assert [p.variation for p in c.points[4:]] == ["improvement"] * 2


@pytest.mark.parametrize(
    ("gaps", "message"),
    [([3.0], "a g chart needs at least 2 gaps between events"),
     ([3.0, -1.0], "gaps must be finite and not negative"),
     ([3.0, math.nan], "gaps must be finite and not negative")],
)
def test_g_chart_refusals_say_what_is_wrong(gaps: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        g_chart(gaps, better="lower")


def test_g_chart_of_two_gaps_and_a_long_gap_by_direction() -> None:
    c = g_chart([1, 3], better="lower")
    assert c.centre == 2.0 and c.gaps == [1.0, 3.0] and c.signals == ["common", "common"]
    gaps = [1.0] * 19 + [200.0]  # ḡ = 10.95, upper limit 10.95 + 3√(10.95 · 11.95) = 45.3
    assert g_chart(gaps, better="higher").signals[-1] == "concern"
    assert g_chart(gaps, better="neutral").signals[-1] == "neither"
    assert g_chart(gaps, better="lower").signals[-1] == "improvement"
    assert g_chart(gaps, better="lower").upper_limit == pytest.approx(
        10.95 + 3 * math.sqrt(10.95 * 11.95))


@pytest.mark.parametrize(
    ("values", "message"),
    [([1.0, -2.0], "counts must be finite and not negative"),
     ([1.0], "values and periods must have the same length")],
)
def test_count_chart_refusals_say_what_is_wrong(values: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        count_chart(values, MONTHS[:2], better="lower")


def test_count_chart_to_dict_keeps_the_baseline_and_the_seasonal_profile() -> None:
    periods = [f"{y}-{m:02d}" for y in (2018, 2019, 2020) for m in range(1, 13)]
    values = [100.0 + 10 * (i % 12) + (i % 5) for i in range(36)]
    c = count_chart(values, periods, better="lower", baseline=("2018-01", "2019-12"))
    d = c.to_dict()
    assert d["baseline"] == ["2018-01", "2019-12"]
    assert c.seasonal is not None and d["seasonal"] == c.seasonal.to_dict()
    assert d["seasonal"] is not None


def test_g_chart_lower_limit_is_zero_and_a_gap_of_zero_is_common() -> None:
    for gaps in ([0.0, 0.0], [0.0, 1.0], [5.0, 6.0, 7.0], [100.0, 101.0, 99.0, 100.0]):
        c = g_chart(gaps, better="lower")
        g = sum(gaps) / len(gaps)
        assert g - 3 * math.sqrt(g * (g + 1)) <= 0.0 and c.lower_limit == 0.0
        assert c.signals == ["common"] * len(gaps)  # the shortest gap is never a signal
    assert g_chart([0.0, 0.0], better="lower").upper_limit == 0.0
    c = g_chart([1.0, 1.0, 1.0], better="lower")
    assert c.upper_limit == pytest.approx(1 + 3 * math.sqrt(2))


def _reference_autocorrelation(y: list[float], periods: list[str], segs: list[int]) -> float:
    """Residuals about a least-squares line per segment of three or more months (numpy),
    lag-1 products between consecutive months of one segment, Kendall's correction, in [-1, 1]."""
    import numpy as np

    number = [int(p[:4]) * 12 + int(p[5:]) for p in periods]
    resid: dict[int, float] = {}
    for s in sorted(set(segs)):
        idx = [i for i, g in enumerate(segs) if g == s]
        if len(idx) < 3:
            continue
        t = np.array([number[i] for i in idx], float)
        fit = np.polyfit(t, np.array([y[i] for i in idx]), 1)
        for i, r in zip(idx, np.array([y[i] for i in idx]) - np.polyval(fit, t), strict=True):
            resid[i] = float(r)
    kept = sorted(resid)
    lag = sum(resid[i] * resid[j] for i, j in itertools.pairwise(kept)
              if segs[i] == segs[j] and number[j] == number[i] + 1)
    n = len(kept)
    return max(-1.0, min(1.0, (lag / sum(r * r for r in resid.values()) * n + 1) / (n - 3)))


def _months(n: int) -> list[str]:
    return [f"{2010 + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def _noise(n: int, seed: int) -> list[float]:
    import numpy as np

    return [float(x) for x in 50 + 10 * np.random.default_rng(seed).normal(size=n)]


def test_autocorrelation_keeps_a_segment_of_three_months_and_skips_one_of_two() -> None:
    from paragon.stats.control import adjusted_autocorrelation

    per = _months(27)
    y = _noise(27, 3)
    three = [0] * 3 + [1] * 24  # 27 residuals
    got = adjusted_autocorrelation(y, per, three)
    assert got == pytest.approx(_reference_autocorrelation(y, per, three), rel=1e-9)
    assert got != pytest.approx(adjusted_autocorrelation(y[3:], per[3:], [1] * 24), rel=1e-6)
    two = [0] * 2 + [1] * 25  # the first two months are left out, the rest still counted
    got = adjusted_autocorrelation(y, per, two)
    assert got is not None
    assert got == pytest.approx(_reference_autocorrelation(y, per, two), rel=1e-9)
    assert got == pytest.approx(adjusted_autocorrelation(y[2:], per[2:], [1] * 25), rel=1e-12)


def test_autocorrelation_needs_24_months_and_some_spread() -> None:
    from paragon.stats.control import adjusted_autocorrelation

    per = _months(24)
    y = _noise(24, 4)
    assert adjusted_autocorrelation(y, per, [0] * 24) == pytest.approx(
        _reference_autocorrelation(y, per, [0] * 24), rel=1e-9)
    assert adjusted_autocorrelation(y[:23], per[:23], [0] * 23) is None
    assert adjusted_autocorrelation([7.0] * 24, per, [0] * 24) is None  # no residual at all
    small = [50 + 0.001 * v for v in _noise(24, 5)]  # residual sum of squares well below 1
    assert adjusted_autocorrelation(small, per, [0] * 24) == pytest.approx(
        _reference_autocorrelation(small, per, [0] * 24), rel=1e-6)


def test_autocorrelation_is_kept_within_minus_one_and_one() -> None:
    from paragon.stats.control import adjusted_autocorrelation

    per = _months(24)
    # one and a half slow waves: residuals so smooth that the corrected value is above 1
    wave = [100 * math.sin(3 * math.pi * (i + 1) / 25) for i in range(24)]
    assert adjusted_autocorrelation(wave, per, [0] * 24) == 1.0
    zigzag = [100.0 + (-1) ** i for i in range(24)]  # r near -1
    assert adjusted_autocorrelation(zigzag, per, [0] * 24) == -1.0


def test_a_break_on_the_last_month_starts_a_segment_and_a_baseline_of_one_month_is_allowed() -> None:
    from paragon.stats.control import _check_baseline, _check_periods, _segments

    per = _months(4)
    assert _segments(per, [per[-1]]) == ([0, 0, 0, 1], [per[-1]])
    assert _segments(per, [per[0], "2011-01"]) == ([0, 0, 0, 0], [])
    _check_baseline((per[1], per[1]))
    with pytest.raises(ValueError, match=r"^periods must be unique months in time order$"):
        _check_periods([per[1], per[0]])


def test_count_chart_segments_field_by_field_without_seasonal_adjustment() -> None:
    # a one-month segment (no limits), a judged one, and one whose mean is exactly the rare-event
    # minimum of 4 a month (judged); raw counts throughout
    v = [5.0, 10.0, 12.0, 11.0, 9.0, 13.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    c = count_chart(v, MONTHS, better="lower", breaks=["2020-02", "2020-07"])
    assert c.method == "xmr" and (c.centre, c.lower_limit, c.upper_limit) == (4.0, 4.0, 4.0)
    assert c.trial_limits and c.breaks == ["2020-02", "2020-07"]
    assert c.caveats == [
        "Seasonality not removed: fewer than 2 years of data for some calendar month (or a "
        "month with no events), so part of the variation may be seasonal.",
        "Months 2020-01 to 2020-01: fewer than 2 months to set limits in this segment; no "
        "signals are shown."]
    first, *middle = c.points[:6]
    assert (first.period, first.value, first.plotted, first.seasonal_index, first.centre,
            first.lower_limit, first.upper_limit, first.moving_range, first.signal,
            first.variation, first.segment, first.suppressed) == (
        "2020-01", 5.0, 5.0, None, None, None, None, None, "none", "common", 0,
        "fewer than 2 months to set limits in this segment")
    mr = (2 + 1 + 2 + 4) / 4
    assert [(p.value, p.plotted, p.seasonal_index, p.centre, p.moving_range, p.segment,
             p.suppressed) for p in middle] == [
        (x, x, None, 11.0, m, 1, None)
        for x, m in zip(v[1:6], [None, 2.0, 1.0, 2.0, 4.0], strict=True)]
    assert middle[0].lower_limit == pytest.approx(11 - 2.66 * mr)
    assert middle[0].upper_limit == pytest.approx(11 + 2.66 * mr)
    assert [p.segment for p in c.points[6:]] == [2] * 6
    assert all(p.suppressed is None and p.centre == 4.0 for p in c.points[6:])
    two = count_chart([10.0, 12.0], MONTHS[:2], better="lower", seasonal=False)
    assert two.method == "xmr" and two.centre == 11.0 and two.caveats == []
    with pytest.raises(ValueError, match=r"^counts must be finite and not negative$"):
        count_chart([1.0, -2.0], MONTHS[:2], better="lower", seasonal=False)


def test_count_chart_with_no_segment_judged_has_no_limits_and_no_seasonal_caveat() -> None:
    c = count_chart([3.0, 2.0, 3.0, 4.0], MONTHS[:4], better="lower")
    assert c.method == "none" and c.centre is None and c.trial_limits is False
    assert c.autocorrelation is None
    assert c.caveats == ["Months 2020-01 to 2020-04: too few events for a control chart "
                         "(average 3.0 a month, below 4); no signals are shown."]


def test_count_chart_seasonal_points_and_the_note_on_months_that_move_together() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    periods = [f"{y}-{m:02d}" for y in range(2016, 2020) for m in range(1, 13)]
    level = np.zeros(48)
    for i in range(1, 48):
        level[i] = 0.9 * level[i - 1] + rng.normal(0, 0.08)
    season = np.array([1.2, 1.1, 1.0, 0.9, 0.9, 0.8, 0.8, 0.9, 1.0, 1.1, 1.2, 1.1])
    values = [float(round(300 * season[i % 12] * math.exp(level[i]))) for i in range(48)]
    c = count_chart(values, periods, better="lower", show_from="2019-01")
    assert c.method == "xmr_seasonal" and c.seasonal is not None
    assert [p.period for p in c.points] == periods[36:]
    for p, v in zip(c.points, values[36:], strict=True):
        assert p.value == v and p.seasonal_index == pytest.approx(c.seasonal.of(p.period))
        assert p.plotted == pytest.approx(v / c.seasonal.of(p.period))
    rho = c.autocorrelation
    assert rho is not None and rho >= 2.0 / math.sqrt(48)
    assert c.caveats == [
        f"Neighbouring months move together here (correlation {rho:.2f} once the season and "
        "trend are taken out), so runs on one side of the average and months near the limits "
        "come more often than in a steady series: a signal shows a real movement of the level, "
        "but not necessarily a lasting one."]


def _laney(events: list[float], sizes: list[float]) -> tuple[float, list[float]]:
    """Independent Laney p′: centre (percent) and each month's σᵢσz (percent)."""
    pbar = sum(events) / sum(sizes)
    sig = [math.sqrt(pbar * (1 - pbar) / n) for n in sizes]
    z = [(e / n - pbar) / s for e, n, s in zip(events, sizes, sig, strict=True)]
    sz = sum(abs(b - a) for a, b in itertools.pairwise(z)) / (len(z) - 1) / 1.128
    return 100 * pbar, [100 * s * sz for s in sig]


def test_laney_near_limits_two_of_three_and_the_headline_of_the_last_month() -> None:
    sizes = [100.0, 120.0, 80.0, 150.0, 100.0, 90.0, 110.0, 130.0, 100.0, 95.0, 105.0, 115.0]
    shares = [0.40, 0.43, 0.37, 0.41, 0.39, 0.44, 0.38, 0.42, 0.40, 0.36, 0.41, 0.39]
    events = [n * p for n, p in zip(sizes, shares, strict=True)]
    centre, spread = _laney(events, sizes)
    later = [100.0, 200.0, 60.0, 100.0, 200.0, 60.0]
    pbar = centre / 100
    sz = spread[0] / (100 * math.sqrt(pbar * (1 - pbar) / sizes[0]))
    s = [100 * math.sqrt(pbar * (1 - pbar) / n) * sz for n in later]
    # months 13-15: 2.5σ, 0.5σ and 2.5σ above the centre; months 16-18 the same below
    values = [centre + 2.5 * s[0], centre + 0.5 * s[1], centre + 2.5 * s[2],
              centre - 2.5 * s[3], centre - 0.5 * s[4], centre - 2.5 * s[5]]
    all_events = events + [v / 100 * n for v, n in zip(values, later, strict=True)]
    months = [f"2020-{m:02d}" for m in range(1, 13)] + [f"2021-{m:02d}" for m in range(1, 7)]
    c = proportion_chart(all_events, sizes + later, months, better="higher", kind="proportion",
                         min_size=50, baseline=("2020-01", "2020-12"))
    assert c.centre == pytest.approx(centre) and c.trial_limits is False  # 12 baseline months
    for p, sd in zip(c.points[12:], s, strict=True):
        assert p.lower_limit == pytest.approx(centre - 3 * sd)
        assert p.upper_limit == pytest.approx(centre + 3 * sd)
        assert p.plotted == p.value
    assert [p.signal for p in c.points[12:]] == ["two_of_three", "none", "two_of_three",
                                                  "two_of_three", "none", "two_of_three"]
    assert [p.variation for p in c.points[12:]] == ["improvement", "common", "improvement",
                                                     "concern", "common", "concern"]
    # the headline limits are the last month's (size 60), not the one before (size 200)
    assert (c.lower_limit, c.upper_limit) == pytest.approx((centre - 3 * s[5], centre + 3 * s[5]))
    eleven = proportion_chart(events[:11], sizes[:11], months[:11], better="higher",
                              kind="proportion", min_size=50)
    assert eleven.trial_limits is True


def test_an_unjudged_segment_shows_its_months_with_enough_responses() -> None:
    c = proportion_chart([0.0, 0.0, 0.0], [100.0, 20.0, 100.0], MONTHS[:3], better="higher",
                         kind="proportion", min_size=50)
    assert [p.plotted for p in c.points] == [0.0, None, 0.0]
    assert [p.suppressed for p in c.points] == [
        "too few months with enough data to set limits", "fewer than 50 responses",
        "too few months with enough data to set limits"]
