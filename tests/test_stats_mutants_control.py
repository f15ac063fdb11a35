"""Control chart details a small wrong change to stats/control.py would break and
tests/test_stats_control.py does not see: refusals and their messages, the edges of the Laney
chart's inputs (a zero, a size exactly at the minimum, events equal to the size, a proportion
of 0 or 1, a rate above 100%), and the g chart's refusals and boundary."""

from __future__ import annotations

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
