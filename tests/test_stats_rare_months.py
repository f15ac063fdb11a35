"""Rare monthly counts judged by probability limits (police.uk data gives no days): the limits
against scipy.stats' Poisson and negative binomial, the empty-run rule counted by hand, and the
refusals."""

from __future__ import annotations

import itertools
import math

import pytest
from scipy import stats

from paragon.stats.control import RARE_TAIL, rare_months_chart


def test_poisson_limits_match_scipy() -> None:
    counts = [2, 1, 3, 2, 2, 1, 3, 2, 2, 2]  # mean 2; half the mean squared step 6/18 < 2
    r = rare_months_chart(counts, better="lower")
    assert r.centre == 2.0 and r.dispersion == 1.0
    k = r.upper_count
    assert stats.poisson.sf(k - 1, 2.0) <= RARE_TAIL < stats.poisson.sf(k - 2, 2.0)
    assert k == 8  # P(X >= 8) = 0.0011, P(X >= 7) = 0.0045
    # P(X = 0) = e^-2: e^-8 = 0.00034 <= 0.00135 < e^-6 = 0.0025 (3 months) -> 4 months
    assert r.empty_run == 4 == math.ceil(math.log(RARE_TAIL) / -2.0)
    assert r.signals == ["common"] * 10
    assert (r.run_since_last, r.run_variation) == (0, "common")


def test_months_that_vary_more_than_chance_use_the_negative_binomial() -> None:
    counts = [0, 6, 0, 5, 1, 4, 0, 6, 0, 5, 1, 4]  # mean 2.67; steps of 4 to 6
    r = rare_months_chart(counts, better="lower")
    m = sum(counts) / 12
    steps = [b - a for a, b in itertools.pairwise(counts)]
    phi = sum(d * d for d in steps) / (2 * 11) / m
    assert r.centre == pytest.approx(m) and r.dispersion == pytest.approx(phi) and phi > 1
    nb = stats.nbinom(m / (phi - 1), 1 / phi)
    assert nb.mean() == pytest.approx(m) and nb.var() == pytest.approx(phi * m)
    assert nb.sf(r.upper_count - 1) <= RARE_TAIL < nb.sf(r.upper_count - 2)
    assert r.empty_run == math.ceil(math.log(RARE_TAIL) / math.log(nb.pmf(0)))
    assert r.signals == ["common"] * 12


def test_a_level_shift_does_not_count_as_noise() -> None:
    # two long flat stretches: the spread about the mean is large, the month-to-month one small
    counts = [3] * 8 + [0] * 8
    r = rare_months_chart(counts, better="lower")
    assert r.dispersion == 1.0  # 9 / 30 / 1.5 < 1
    # Poisson(1.5): e^-1.5L <= 0.00135 from L = 5; the eight empty months are fewer than chance
    assert r.empty_run == 5
    assert r.signals == ["common"] * 8 + ["improvement"] * 8
    assert (r.run_since_last, r.run_variation) == (8, "improvement")


def test_a_busy_month_is_judged_against_the_other_months() -> None:
    counts = [1, 0, 1, 1, 0, 1, 7, 1, 0, 1]
    r = rare_months_chart(counts, better="lower")
    # Judged with itself, the 7 would raise the mean to 1.3 and the dispersion to 3.3 and hide
    # (the limit would be 16). The other nine months: mean 6/9, neighbouring pairs differing by
    # 1, 1, 0, 1, 1, 1, 1 (6 / 14 under the mean: Poisson). As the busiest of ten months it is
    # judged at 0.00135 / 10: P(X >= 6) = 0.00007 <= 0.000135 < P(X >= 5) = 0.0006, and 7 >= 6.
    m = 6 / 9
    assert stats.poisson.sf(5, m) <= RARE_TAIL / 10 < stats.poisson.sf(4, m)
    assert r.signals == ["common"] * 6 + ["concern"] + ["common"] * 3
    # the limits shown are those of the nine months left: P(X >= 5) = 0.0006 <= 0.00135 <
    # P(X >= 4) = 0.0049; and e^(-6/9 L) <= 0.00135 from L = 10
    assert r.centre == pytest.approx(m) and r.dispersion == 1.0
    assert r.upper_count == 5 and r.empty_run == 10
    assert rare_months_chart(counts, better="higher").signals[6] == "improvement"
    assert rare_months_chart(counts, better="neutral").signals[6] == "neither"
    # a smaller spike (5) is within what the other months make likely for the busiest of ten
    assert set(rare_months_chart([1, 0, 1, 1, 0, 1, 5, 1, 0, 1], better="lower").signals) == {
        "common"}


def test_the_open_run_is_judged_like_a_closed_one() -> None:
    # Poisson(0.5) after 1,1,1,1,1,1 ... : e^-0.5L <= 0.00135 from L = 14
    counts = [1] * 6 + [0] * 6
    r = rare_months_chart(counts, better="lower")
    assert r.centre == 0.5 and r.empty_run == 14
    assert (r.run_since_last, r.run_variation) == (6, "common")
    none_yet = rare_months_chart([0] * 5 + [2] + [0] * 2, better="lower")
    assert none_yet.run_since_last == 2 and none_yet.counts[:5] == [0] * 5


@pytest.mark.parametrize(("counts", "message"), [
    ([1, 2, 0, 1, 1], "at least 6 months"),
    ([0] * 8, "no events"),
    ([1, 2, -1, 1, 1, 1], "whole numbers"),
    ([1, 2, 0.5, 1, 1, 1], "whole numbers"),
])
def test_refusals(counts: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rare_months_chart(counts, better="lower")  # type: ignore[arg-type]


def test_json_shape() -> None:
    r = rare_months_chart([1, 0, 2, 1, 0, 1], better="lower").to_dict()
    assert set(r) == {"centre", "dispersion", "upper_count", "empty_run", "counts", "signals",
                      "run_since_last", "run_variation"}


def test_refusals_say_exactly_why() -> None:
    with pytest.raises(ValueError) as short:
        rare_months_chart([1, 2, 0, 1, 1], better="lower")
    assert str(short.value) == "rare monthly counts need at least 6 months"
    with pytest.raises(ValueError) as negative:
        rare_months_chart([1, 2, -1, 1, 1, 1], better="lower")
    assert str(negative.value) == "monthly counts must be whole numbers, not negative"
    with pytest.raises(ValueError) as empty:
        rare_months_chart([0] * 6, better="lower")
    assert str(empty.value) == "no events in these months"


def test_a_busy_month_exactly_at_the_other_months_limit_is_flagged() -> None:
    # the other nine months as above: as the busiest of ten, 6 or more is beyond them
    r = rare_months_chart([1, 0, 1, 1, 0, 1, 6, 1, 0, 1], better="lower")
    assert r.signals == ["common"] * 6 + ["concern"] + ["common"] * 3


def test_a_quiet_spell_is_a_concern_when_more_is_better() -> None:
    r = rare_months_chart([3] * 8 + [0] * 8, better="higher")
    assert r.signals == ["common"] * 8 + ["concern"] * 8 and r.run_variation == "concern"


def test_a_quiet_spell_at_the_start_counts_from_the_first_month() -> None:
    # Poisson(1.5) after eight empty months: from 5 months in a row it is fewer than chance
    r = rare_months_chart([0] * 8 + [3] * 8, better="lower")
    assert r.empty_run == 5 and r.signals == ["improvement"] * 8 + ["common"] * 8
    assert (r.run_since_last, r.run_variation) == (0, "common")


def test_events_only_in_the_first_month() -> None:
    r = rare_months_chart([3, 0, 0, 0, 0, 0, 0, 0], better="lower")
    assert r.run_since_last == 7 and r.centre == 3 / 8


def test_slightly_overdispersed_months_use_the_negative_binomial() -> None:
    counts = [5, 4, 1, 2, 5, 3, 6, 5, 0]
    r = rare_months_chart(counts, better="lower")
    m = sum(counts) / 9
    assert 1 < r.dispersion < 2
    nb = stats.nbinom(m / (r.dispersion - 1), 1 / r.dispersion)
    assert nb.sf(r.upper_count - 1) <= RARE_TAIL < nb.sf(r.upper_count - 2)
    assert r.upper_count == 12  # a Poisson with the same mean would give 11
    assert stats.poisson.sf(10, m) <= RARE_TAIL < stats.poisson.sf(9, m)


def test_months_with_no_neighbour_among_them_are_taken_as_poisson() -> None:
    from paragon.stats.control import _rare_fit

    fit = _rare_fit([4, 9, 0, 9, 2, 9], [0, 2, 4])  # no two of them consecutive
    assert fit is not None and fit[0] == 2.0 and fit[1] == 1.0
    assert _rare_fit([0, 5, 0], [0, 2]) is None
