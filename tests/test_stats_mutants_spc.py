"""XmR chart details a small wrong change to stats/spc.py would break and the rule tests in
tests/test_stats_spc.py do not see: each refusal's message, the moving-range screen at exactly
3.267 times the mean moving range, and each point's period and limits across a rebase."""

from __future__ import annotations

import itertools
import re

import pytest

from paragon.stats.spc import MR_SCREEN_FACTOR, mean_moving_range, xmr


@pytest.mark.parametrize(
    ("values", "periods", "kwargs", "message"),
    [
        ([1.0, 2.0], ["a"], {}, "values and periods must have the same length"),
        ([1.0, 2.0], ["a", "a"], {}, "periods must be unique"),
        ([1.0, float("inf")], ["a", "b"], {}, "values must be finite numbers"),
        ([1.0, 2.0, 3.0], ["a", "b", "c"], {"baseline_points": 1},
         "baseline_points must be at least 2"),
        ([1.0, 2.0, 3.0], ["a", "b", "c"], {"rebase_at": ["c"]},
         "each segment needs at least 2 baseline points to set limits"),
    ],
)
def test_each_refusal_says_what_is_wrong(
    values: list[float], periods: list[str], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        xmr(values, periods, better="higher", **kwargs)  # type: ignore[arg-type]


def test_mean_moving_range_of_one_value_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^a moving range needs at least two values$"):
        mean_moving_range([4.0])


def test_a_moving_range_of_exactly_the_screen_is_dropped() -> None:
    # Moving ranges b, 4096 - b, 0, 0 with b = 3.267 × 1024 (exact in floating point): their
    # mean is 1024, so b is exactly at the screen. NHSRplotthedots keeps only moving ranges
    # strictly below 3.267 × the mean (`mr < 3.267 * amr`), so b is dropped: the mean moving
    # range is (4096 - b) / 3, not 1024.
    b = MR_SCREEN_FACTOR * 1024.0
    values = [0.0, b, 2 * b - 4096, 2 * b - 4096, 2 * b - 4096]
    assert [abs(y - x) for x, y in itertools.pairwise(values)] == [b, 4096 - b, 0, 0]
    assert mean_moving_range(values) == pytest.approx((4096 - b) / 3, rel=1e-12)
    assert mean_moving_range(values) != pytest.approx(1024.0)


def test_each_point_carries_its_period_and_its_own_segments_limits() -> None:
    # two segments of 4 months: 10, 12, 11, 13 (mean 11.5, moving ranges 2, 1, 2: 5/3) and
    # 30, 34, 32, 36 (mean 33, moving ranges 4, 2, 4: 10/3)
    periods = ["2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-06", "2020-07",
               "2020-08"]
    c = xmr([10, 12, 11, 13, 30, 34, 32, 36], periods, better="lower", rebase_at=["2020-05"])
    assert [p.period for p in c.points] == periods
    assert [p.segment for p in c.points] == [0] * 4 + [1] * 4
    lower = [11.5 - 2.66 * 5 / 3] * 4 + [33 - 2.66 * 10 / 3] * 4
    upper = [11.5 + 2.66 * 5 / 3] * 4 + [33 + 2.66 * 10 / 3] * 4
    assert [p.lower_limit for p in c.points] == pytest.approx(lower)
    assert [p.upper_limit for p in c.points] == pytest.approx(upper)
    assert (c.lower_limit, c.upper_limit) == pytest.approx((lower[-1], upper[-1]))
    assert (c.lower_near, c.upper_near) == pytest.approx(
        (33 - 2 / 3 * 2.66 * 10 / 3, 33 + 2 / 3 * 2.66 * 10 / 3)
    )
