"""XmR charts: hand-worked series for every rule, and a literal port of NHSRplotthedots."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paragon.stats.spc import XmrChart, mean_moving_range, xmr


def chart(values: list[float], **kwargs: object) -> XmrChart:
    periods = [f"p{i:02d}" for i in range(len(values))]
    return xmr(values, periods, **kwargs)  # type: ignore[arg-type]


def flagged(c: XmrChart) -> dict[int, tuple[str, str]]:
    return {i: (p.signal, p.variation) for i, p in enumerate(c.points) if p.signal != "none"}


# A wide baseline: mean 15, every moving range 10, limits 15 ± 26.6, near 15 ± 17.733.
WIDE = [10.0, 20.0] * 6
WIDE_ENDS_LOW = [20.0, 10.0] * 6


def test_limits_hand_worked() -> None:
    values = [10, 12, 11, 13, 12, 14, 11, 12, 13, 12, 11, 13]
    c = chart(values, better="higher")
    # sum 144 / 12 = 12; moving ranges 2,1,2,1,2,3,1,1,1,1,2 sum to 17 over 11
    mr = 17 / 11
    assert c.centre == pytest.approx(12.0)
    assert c.upper_limit == pytest.approx(12 + 2.66 * mr)  # 16.1109
    assert c.lower_limit == pytest.approx(12 - 2.66 * mr)  # 7.8891
    assert c.upper_near == pytest.approx(12 + 2 / 3 * 2.66 * mr)  # 14.7406
    assert c.lower_near == pytest.approx(12 - 2 / 3 * 2.66 * mr)
    assert c.upper_limit == pytest.approx(16.1109, abs=1e-4)
    assert not c.trial_limits
    assert flagged(c) == {}
    assert [p.moving_range for p in c.points[:3]] == [None, 2.0, 1.0]
    assert all(p.variation == "common" for p in c.points)


def test_moving_range_screening_two_of_three_at_start_and_outside_point() -> None:
    values = [5, 7, 6, 8, 30, 7, 6, 8, 7, 5]
    # moving ranges 2,1,2,22,23,1,2,1,2: mean 56/9 = 6.22; 3.267 × 6.22 = 20.3 screens out
    # 22 and 23, leaving 11/7. Mean 89/10 = 8.9.
    assert mean_moving_range(values) == pytest.approx(11 / 7)
    c = chart(values, better="lower")
    assert c.centre == pytest.approx(8.9)
    assert c.upper_limit == pytest.approx(8.9 + 2.66 * 11 / 7)  # 13.08
    assert c.lower_near == pytest.approx(8.9 - 2 / 3 * 2.66 * 11 / 7)  # 6.113
    assert c.trial_limits  # 10 points
    # 5 and 6 (points 0 and 2) are below the near limit with 7 between them, all below the mean
    assert flagged(c) == {
        0: ("two_of_three", "improvement"),
        2: ("two_of_three", "improvement"),
        4: ("outside_limits", "concern"),
    }


def test_mean_moving_range_all_equal_is_zero() -> None:
    assert mean_moving_range([3.0, 3.0, 3.0]) == 0.0
    c = chart([3, 3, 3, 3, 4], better="higher", baseline_points=4)
    assert c.upper_limit == 3.0
    assert flagged(c) == {4: ("outside_limits", "improvement")}


def test_trend_of_seven_points_is_flagged_whole() -> None:
    c = chart([*WIDE, 12, 13, 14, 15, 16, 17, 18], better="higher", baseline_points=12)
    assert c.centre == 15.0 and c.upper_limit == pytest.approx(41.6)
    assert flagged(c) == {i: ("trend", "improvement") for i in range(12, 19)}


def test_six_points_rising_is_not_a_trend() -> None:
    c = chart([*WIDE, 12, 13, 14, 15, 16, 17, 5], better="higher", baseline_points=12)
    assert flagged(c) == {}


def test_equal_consecutive_values_break_a_trend() -> None:
    c = chart([*WIDE, 12, 13, 14, 14, 16, 17, 18], better="higher", baseline_points=12)
    assert flagged(c) == {}


def test_trend_may_start_in_the_baseline_and_end_the_series() -> None:
    # the last baseline point (20) starts the fall: 20, 18, 17, ..., 12 is 8 points
    c = chart([*WIDE, 18, 17, 16, 15, 14, 13, 12], better="lower", baseline_points=12)
    assert flagged(c) == {i: ("trend", "improvement") for i in range(11, 19)}


def test_turning_point_takes_the_later_trend() -> None:
    values = [*WIDE, 12, 13, 14, 15, 16, 17, 18, 17, 16, 15, 14, 13, 12]
    c = chart(values, better="higher", baseline_points=12)
    expected = {i: ("trend", "improvement") for i in range(12, 18)}
    expected |= {i: ("trend", "concern") for i in range(18, 25)}
    assert flagged(c) == expected


def test_last_point_of_a_rise_keeps_its_direction_before_a_drop() -> None:
    # two separate rises: 10..16, a drop to 11, then 11..17. NHSRplotthedots would call
    # the 16 "decreasing" because of the drop after it; it is the end of a rise.
    rises = [10, 11, 12, 13, 14, 15, 16, 11, 12, 13, 14, 15, 16, 17]
    c = chart([*WIDE, *rises], better="higher", baseline_points=12)
    assert flagged(c) == {i: ("trend", "improvement") for i in range(12, 26)}


def test_shift_runs_at_start_and_end_of_series() -> None:
    values = [16, 17, 16, 17, 16, 17, 16, *WIDE, 14, 13, 14, 13, 14, 13, 14]
    c = chart(values, better="higher")
    assert c.centre == pytest.approx(15.0)  # 390 / 26
    expected = {i: ("shift", "improvement") for i in range(7)}
    expected |= {i: ("shift", "concern") for i in range(19, 26)}
    assert flagged(c) == expected


def test_point_exactly_on_centre_line_breaks_a_shift() -> None:
    above = [16, 17, 16, 17, 16, 17]
    tail = [16, 17, 16, 17, 16, 17, 16]
    c = chart([*WIDE_ENDS_LOW, *above, 15, *tail], better="lower", baseline_points=12)
    assert c.centre == 15.0
    assert c.points[18].value == c.centre and c.points[18].signal == "none"
    assert flagged(c) == {i: ("shift", "concern") for i in range(19, 26)}
    unbroken = chart([*WIDE_ENDS_LOW, *above, 16, *tail], better="lower", baseline_points=12)
    assert flagged(unbroken) == {i: ("shift", "concern") for i in range(12, 26)}


def test_two_of_three_needs_the_same_side() -> None:
    # NHSRplotthedots' own test: alternating ±1, then 5.5 and -5.5
    values = [1.0, -1.0] * 8
    values[14], values[15] = 5.5, -5.5
    c = chart(values, better="higher")
    assert c.points[14].signal == "none" and c.points[15].signal == "none"


def test_two_of_three_at_end_marks_only_near_points() -> None:
    c = chart([*WIDE, 16, 35, 36], better="higher", baseline_points=12)
    assert flagged(c) == {13: ("two_of_three", "improvement"), 14: ("two_of_three", "improvement")}


def test_point_beyond_limit_does_not_count_towards_two_of_three() -> None:
    c = chart([*WIDE, 16, 35, 45], better="higher", baseline_points=12)
    assert flagged(c) == {14: ("outside_limits", "improvement")}


def test_outside_limits_outranks_other_rules_and_neutral_is_neither() -> None:
    values = [*WIDE, 12, 13, 14, 15, 16, 17, 50]
    c = chart(values, better="neutral", baseline_points=12)
    assert c.points[18].signal == "outside_limits"
    assert {p.variation for p in c.points[12:18]} == {"neither"}
    assert {p.signal for p in c.points[12:18]} == {"trend"}


def test_baseline_fixes_limits_on_first_points() -> None:
    c = chart([*WIDE, 40, 45], better="lower", baseline_points=12)
    assert c.centre == 15.0 and c.upper_limit == pytest.approx(41.6)
    assert flagged(c) == {13: ("outside_limits", "concern")}
    assert not c.trial_limits
    assert chart([*WIDE, 40, 45], better="lower", baseline_points=6).trial_limits


@pytest.mark.parametrize(("n", "trial"), [(2, True), (11, True), (12, False), (20, False)])
def test_trial_limits_below_twelve_points(n: int, trial: bool) -> None:
    assert chart([float(i % 3) for i in range(n)], better="higher").trial_limits is trial


def test_rebasing_gives_each_segment_its_own_limits() -> None:
    before = [10, 12, 11, 13, 12, 11, 13, 12]
    after = [v + 10 for v in before]
    periods = [f"2023-{m:02d}" for m in range(1, 9)] + [f"2024-{m:02d}" for m in range(1, 9)]
    c = xmr(before + after, periods, better="lower", rebase_at=["2024-01"])
    mr = 10 / 7  # moving ranges 2,1,2,1,1,2,1 in each segment
    assert [p.centre for p in c.points] == [11.75] * 8 + [21.75] * 8
    assert c.points[0].upper_limit == pytest.approx(11.75 + 2.66 * mr)
    assert c.centre == 21.75 and c.upper_limit == pytest.approx(21.75 + 2.66 * mr)
    assert c.points[8].moving_range is None and c.points[8].segment == 1
    assert flagged(c) == {}
    assert c.trial_limits
    # without the rebase the step change makes every point special cause
    without = xmr(before + after, periods, better="lower")
    assert all(p.signal != "none" for p in without.points)


def test_rebase_at_first_period_changes_nothing_and_unknown_period_fails() -> None:
    values = [10, 12, 11, 13, 12, 14]
    periods = ["a", "b", "c", "d", "e", "f"]
    assert xmr(values, periods, better="higher", rebase_at=["a"]) == xmr(
        values, periods, better="higher"
    )
    with pytest.raises(ValueError, match="rebase"):
        xmr(values, periods, better="higher", rebase_at=["z"])
    with pytest.raises(ValueError, match="at least 2"):
        xmr(values, periods, better="higher", rebase_at=["f"])


@pytest.mark.parametrize(
    ("values", "periods", "baseline"),
    [
        ([1.0, 2.0], ["a"], None),
        ([1.0, 2.0], ["a", "a"], None),
        ([1.0, float("nan")], ["a", "b"], None),
        ([1.0, 2.0, 3.0], ["a", "b", "c"], 1),
        ([1.0], ["a"], None),
    ],
)
def test_invalid_input(values: list[float], periods: list[str], baseline: int | None) -> None:
    with pytest.raises(ValueError):
        xmr(values, periods, better="higher", baseline_points=baseline)


def test_to_dict_is_json() -> None:
    c = chart([*WIDE, 40, 45], better="lower", baseline_points=12)
    data = json.loads(json.dumps(c.to_dict()))
    assert data["points"][13]["signal"] == "outside_limits"
    assert data["points"][0]["moving_range"] is None
    assert set(data) == {
        "centre",
        "lower_limit",
        "upper_limit",
        "lower_near",
        "upper_near",
        "trial_limits",
        "points",
    }


# ---------------------------------------------------------------------------
# Literal port of NHSRplotthedots (R/ptd_spc_standard.R, R/ptd_calculate_point_type.R),
# vectorised and padded as in R, used as an independent reference on random series.
# Two documented choices: an all-zero moving range gives a zero mean moving range
# (R gives NaN), and a trend point always takes the direction of a trend it is part of
# (R takes the direction of the next step whenever the next point is in any trend,
# so in 0,1,...,6,1,2,...,7 it would call the 6 a falling point).


def _r_segment(y: np.ndarray, fix_n: int | None, direction: int) -> list[tuple[str, str]]:
    fix_y = y.copy() if fix_n is None else np.where(np.arange(len(y)) < fix_n, y, np.nan)
    mean = np.nanmean(fix_y)
    mr = np.concatenate([[np.nan], np.abs(np.diff(fix_y))])
    amr = np.nanmean(mr)
    mr = np.where(mr < 3.267 * amr, mr, np.nan)
    amr = np.nanmean(mr) if np.any(~np.isnan(mr)) else 0.0
    lpl, upl = mean - 2.66 * amr, mean + 2.66 * amr
    nlpl, nupl = mean - 2 * (2.66 / 3) * amr, mean + 2 * (2.66 / 3) * amr
    outside = (y > upl) | (y < lpl)
    rtm = np.sign(y - mean)
    close = ~outside & ((y < nlpl) | (y > nupl))
    n = len(y)

    def part_of_seven(v: np.ndarray) -> np.ndarray:
        vp = np.concatenate([v, np.zeros(6)])
        return np.array([np.any(np.abs(vp[i : i + 7]) == 1) for i in range(n)])

    vp = np.concatenate([np.zeros(6), rtm])
    one_side = np.array([np.all(vp[i] == vp[i - 6 : i]) and vp[i] != 0 for i in range(6, n + 6)])
    trend = np.zeros(n)
    for i in range(6, n):
        d = np.sign(np.diff(y[i - 6 : i + 1]))
        trend[i] = 1 if np.all(d == 1) else (-1 if np.all(d == -1) else 0)
    cp, rp = np.concatenate([[0, 0], close, [0, 0]]), np.concatenate([[0, 0], rtm, [0, 0]])
    two = np.array(
        [
            any(
                cp[i + k : i + k + 3].sum() >= 2 and abs(rp[i + k : i + k + 3].sum()) == 3
                for k in range(3)
            )
            for i in range(n)
        ]
    )
    part_trend = part_of_seven(trend)
    part_two = two & close
    part_side = part_of_seven(one_side.astype(float))
    sdy = np.sign(np.diff(y))
    right = np.concatenate([sdy, sdy[-1:]])
    left = np.concatenate([[0], sdy])
    # R: use the step to the right whenever the next point is in any trend. Paragon only
    # does so when that step is itself part of a trend (see the module docstring).
    step_in_trend = np.array([np.any(trend[i + 1 : i + 7] != 0) for i in range(n)])
    use_right = np.concatenate([part_trend[1:], [False]]) & part_trend & step_in_trend
    sdy_final = np.where(use_right, right, left)
    types = np.select(
        [outside, part_trend, part_two, part_side],
        ["outside_limits", "trend", "two_of_three", "shift"],
        default="none",
    )
    v = np.where(types == "trend", np.where(sdy_final == 1, 1, -1), np.where(rtm > 0, 1, -1))
    return [_r_point_type(str(t), int(d), direction) for t, d in zip(types, v, strict=True)]


def _r_point_type(kind: str, v: int, direction: int) -> tuple[str, str]:
    """NHSRplotthedots' ptd_point_type, in Paragon's words."""
    if kind == "none":
        return ("none", "common")
    if direction == 0:
        return (kind, "neither")
    return (kind, "improvement" if v * direction > 0 else "concern")


@st.composite
def series(draw: st.DrawFn) -> tuple[list[float], int | None, list[int], str]:
    # Noise, spikes, and runs that rise or fall (sometimes with a tie) so that every
    # rule, and the edge cases between them, turn up often.
    noise = st.lists(st.one_of(st.integers(0, 6), st.sampled_from([20, -15])), max_size=8)
    run = st.tuples(st.integers(-3, 3), st.integers(4, 9), st.integers(-2, 8)).map(
        lambda t: [t[2] + t[0] * k for k in range(t[1])]
    )
    chunks = draw(st.lists(st.one_of(noise, run), min_size=1, max_size=6))
    values = [v for chunk in chunks for v in chunk][:40]
    if len(values) < 2:
        values += [1, 2]
    n = len(values)
    baseline = draw(st.one_of(st.none(), st.integers(2, 14)))
    cuts = sorted(draw(st.sets(st.integers(2, max(2, n - 2)), max_size=3)))
    starts = [0]
    for c in cuts:
        if c - starts[-1] >= 2 and n - c >= 2:
            starts.append(c)
    better = draw(st.sampled_from(["higher", "lower", "neutral"]))
    return [float(v) for v in values], baseline, starts, better


@settings(max_examples=400, deadline=None)
@given(series())
def test_matches_literal_port_of_nhsrplotthedots(
    case: tuple[list[float], int | None, list[int], str],
) -> None:
    values, baseline, starts, better = case
    periods = [str(i) for i in range(len(values))]
    c = xmr(
        values,
        periods,
        better=better,  # type: ignore[arg-type]
        baseline_points=baseline,
        rebase_at=[periods[s] for s in starts[1:]],
    )
    direction = {"higher": 1, "lower": -1, "neutral": 0}[better]
    expected: list[tuple[str, str]] = []
    for lo, hi in zip(starts, [*starts[1:], len(values)], strict=True):
        expected += _r_segment(np.array(values[lo:hi]), baseline, direction)
    assert [(p.signal, p.variation) for p in c.points] == expected


def test_shift_rule_false_signal_rate_on_twelve_months_exact() -> None:
    """With the centre known and limits out of reach, a month of 12 independent months is flagged
    only by the shift rule, exactly when its run on one side of the centre is 7 or longer: every
    one of the 4,096 side patterns is checked against run lengths counted independently, and the
    per-month rate is the exact figure quoted in the calibration section of the methods."""
    import itertools

    from paragon.stats.spc import classify

    n, inf = 12, float("inf")
    total = 0
    for sides in itertools.product((-1, 1), repeat=n):
        y = [s * (1.0 + (i % 2)) for i, s in enumerate(sides)]  # zigzag: no 7-month trends
        got = [sig for sig, _ in classify(y, 0.0, [-inf] * n, [inf] * n, [-inf] * n, [inf] * n,
                                          "lower")]
        runs = [len(list(g)) for _, g in itertools.groupby(sides)]
        want = [m for r in runs for m in ["shift" if r >= 7 else "none"] * r]
        assert got == want
        total += want.count("shift")
    # Closed form: a maximal run of length L from month s has a side (2 ways), its neighbours on
    # the other side and the other months free: 2 · 2^(n − L − neighbours) patterns, L months each.
    closed = sum(L * 2 * 2 ** (n - L - (s > 0) - (s + L < n))
                 for L in range(7, n + 1) for s in range(n - L + 1))
    assert total == closed == 1728
    assert total / (4096 * n) == pytest.approx(0.0352, abs=5e-5)
