"""What the year-end projections and the closed-year verdicts report, field by field, against
hand-worked values, scipy and statsmodels: edges a small wrong change to
stats/projection.py would break. The independent reference implementation of the count
projection is in tests/test_stats_projection.py and reused here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from paragon.stats.projection import (
    _bias_corrected,
    assess_closed_year,
    assurance_for,
    detect_level_change,
    level_weights,
    month_dispersion,
    project_count_year_end,
    project_proportion_year_end,
    seasonal_weights,
)
from paragon.stats.proportions import wilson_interval
from test_stats_projection import check_against_reference

# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(("years", "have"), [([], "none"), ([[100.0] * 12], "only 1")])
def test_a_refused_count_projection_keeps_the_year_so_far_and_says_why(
    years: list[list[float]], have: str
) -> None:
    r = project_count_year_end([90.0, 80.0, 70.0], years, 1100, better="higher")
    assert r.reason == (
        "not projected: a projection needs at least 2 complete earlier years of monthly figures "
        "to know how a year usually unfolds and how much that varies; the data has " + have
    )
    assert (r.kind, r.year_to_date, r.months_observed) == ("count", 240.0, 3)
    assert (r.milestone, r.better, r.assurance) == (1100.0, "higher", "not projected")
    assert isinstance(r.milestone, float)
    assert r.interval_95 is None and r.share_of_year is None and r.level_change is None


# --- proportions -----------------------------------------------------------------------------


def test_proportion_projection_every_field_with_the_default_design_effect() -> None:
    r = project_proportion_year_end(540, 800, 0.7)
    lo80, hi80 = proportion_confint(540, 800, alpha=0.2, method="wilson")
    lo95, hi95 = proportion_confint(540, 800, alpha=0.05, method="wilson")
    assert (r.kind, r.months_observed, r.milestone, r.better) == ("proportion", None, 0.7, "higher")
    assert r.year_to_date == pytest.approx(0.675) and r.projected == pytest.approx(0.675)
    assert r.interval_80 == pytest.approx((lo80, hi80), rel=1e-12)
    assert r.interval_95 == pytest.approx((lo95, hi95), rel=1e-12)
    se = (hi95 - lo95) / (2 * stats.norm.ppf(0.975))
    assert r.probability_met == pytest.approx(stats.norm.cdf((0.675 - 0.7) / se), rel=1e-9)
    assert r.assurance == "likely missed"
    down = project_proportion_year_end(540, 800, 0.7, better="lower")
    assert down.better == "lower"
    assert down.probability_met == pytest.approx(stats.norm.sf((0.675 - 0.7) / se), rel=1e-9)
    assert isinstance(project_proportion_year_end(540, 800, 1).milestone, float)


def test_proportion_projection_with_a_lower_response_minimum() -> None:
    # 30 responses are too few by default (50) but enough when the minimum is 20
    assert project_proportion_year_end(21, 30, 0.6).assurance == "not enough responses"
    r = project_proportion_year_end(21, 30, 0.6, min_responses=20)
    lo80, hi80 = proportion_confint(21, 30, alpha=0.2, method="wilson")
    lo95, hi95 = proportion_confint(21, 30, alpha=0.05, method="wilson")
    assert r.projected == pytest.approx(0.7)
    assert r.interval_80 == pytest.approx((lo80, hi80), rel=1e-12)
    assert r.interval_95 == pytest.approx((lo95, hi95), rel=1e-12)


def test_proportion_with_too_few_responses_keeps_the_year_so_far() -> None:
    r = project_proportion_year_end(20, 30, 0.7, better="lower")
    assert r.kind == "proportion" and r.year_to_date == pytest.approx(2 / 3)
    assert (r.milestone, r.better, r.assurance) == (0.7, "lower", "not enough responses")
    assert r.interval_80 is None and r.interval_95 is None and r.months_observed is None
    one = project_proportion_year_end(1, 1, 0.7)
    assert one.year_to_date == 1.0 and one.projected is None
    none = project_proportion_year_end(0, 0, 0.7)
    assert none.year_to_date == 0.0 and none.assurance == "not enough responses"


# --- closed years ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [-1.0, 2.5])
def test_a_closed_year_count_must_be_a_non_negative_whole_number(value: float) -> None:
    with pytest.raises(ValueError, match=r"^a count must be a non-negative whole number$"):
        assess_closed_year(value, 10, "lower")


def test_closed_year_count_every_field() -> None:
    a = assess_closed_year(12, 8.5, "lower")
    lo, hi = stats.chi2.ppf(0.025, 24) / 2, stats.chi2.ppf(0.975, 26) / 2
    assert (a.outcome, a.value, a.milestone, a.status) == ("missed", 12, 8.5, "ok")
    assert (a.lower, a.upper) == pytest.approx((lo, hi), rel=1e-9)
    # the upper tail: at least 12 events when 8.5 are expected
    assert a.p_value == pytest.approx(2 * stats.poisson.sf(11, 8.5), rel=1e-9)
    assert a.beyond_noise is False


def test_closed_year_count_of_one_uses_its_upper_tail() -> None:
    # one event against a milestone of 0.2: P(X >= 1) = 1 - exp(-0.2), doubled
    a = assess_closed_year(1, 0.2, "lower")
    assert a.p_value == pytest.approx(2 * (1 - math.exp(-0.2)), rel=1e-12)
    assert a.outcome == "missed" and a.beyond_noise is False
    b = assess_closed_year(1, 0.01, "lower")
    assert b.p_value == pytest.approx(2 * (1 - math.exp(-0.01)), rel=1e-9)
    assert b.beyond_noise is True
    # none against 4: P(X <= 0) = exp(-4), doubled
    assert assess_closed_year(0, 4, "lower").p_value == pytest.approx(2 * math.exp(-4), rel=1e-12)


def test_closed_year_count_on_its_milestone_has_p_value_one() -> None:
    a = assess_closed_year(10, 10, "lower")
    assert a.p_value == 1.0 and a.outcome == "met" and a.beyond_noise is False


def test_closed_year_proportion_every_field() -> None:
    a = assess_closed_year(0.6, 0.75, "higher", n=800)
    lo, hi = proportion_confint(480, 800, method="wilson")
    assert (a.outcome, a.beyond_noise, a.value, a.milestone) == ("missed", True, 0.6, 0.75)
    assert (a.lower, a.upper) == pytest.approx((lo, hi), rel=1e-12)
    assert a.p_value is None and a.status == "ok"


def test_closed_year_proportion_with_a_lower_response_minimum() -> None:
    few = assess_closed_year(0.5, 0.75, "higher", n=30)
    assert few.status == "not enough responses" and few.lower is None
    assert (few.outcome, few.value, few.milestone, few.p_value) == ("missed", 0.5, 0.75, None)
    a = assess_closed_year(0.5, 0.75, "higher", n=30, min_responses=20)
    lo, hi = proportion_confint(15, 30, method="wilson")
    assert a.status == "ok" and (a.lower, a.upper) == pytest.approx((lo, hi), rel=1e-12)
    assert a.beyond_noise is True


def test_a_milestone_on_the_end_of_the_interval_is_not_beyond_noise() -> None:
    # the 95% interval is closed: a milestone exactly on either end is inside it
    est = wilson_interval(480, 800, 0.95)
    assert est.lower is not None and est.upper is not None
    assert assess_closed_year(0.6, est.lower, "higher", n=800).beyond_noise is False
    assert assess_closed_year(0.6, est.upper, "higher", n=800).beyond_noise is False
    assert assess_closed_year(0.6, np.nextafter(est.upper, 1), "higher", n=800).beyond_noise
    assert assess_closed_year(0.6, np.nextafter(est.lower, 0), "higher", n=800).beyond_noise


# --- the months' dispersion and autocorrelation ----------------------------------------------


def test_one_earlier_year_gives_poisson_months() -> None:
    # one year says nothing about how its months vary about the profile
    assert month_dispersion([[50.0, 70.0] * 6]) == (1.0, 0.0)


def test_months_with_no_crime_in_any_earlier_year_add_nothing_to_the_dispersion() -> None:
    # April is empty in both years; the other months are worked out by hand: the profile is
    # 0 for April, then the mean share; each residual is (count - total × share) / sqrt(that)
    years = [[0.0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110],
             [0.0, 14, 18, 33, 37, 52, 61, 66, 84, 88, 104, 108]]
    totals = [sum(y) for y in years]
    share = [sum(y[m] / t for y, t in zip(years, totals, strict=True)) / 2 for m in range(12)]
    resid = [[(y[m] - t * share[m]) / math.sqrt(t * share[m]) for m in range(1, 12)]
             for y, t in zip(years, totals, strict=True)]
    ss = sum(v * v for row in resid for v in row)
    lag = sum(row[i] * row[i - 1] for row in resid for i in range(1, 11))
    phi, rho = month_dispersion(years)
    assert phi == pytest.approx(max(0.5, ss / 11), rel=1e-12)  # 24 months - 2 totals - 11
    assert rho == pytest.approx(min(0.95, max(-0.5, (lag / ss * 12 + 1) / 9)), rel=1e-12)
    assert math.isfinite(phi) and math.isfinite(rho)


def test_bias_correction_of_the_autocorrelation() -> None:
    # (raw n + 1) / (n - 3), kept in -0.5 to 0.95; undefined for three months or fewer
    assert _bias_corrected(0.2, 12) == pytest.approx((2.4 + 1) / 9)
    assert _bias_corrected(-0.1, 4) == pytest.approx(0.6)
    assert _bias_corrected(0.2, 3) == 0.0 and _bias_corrected(0.2, 2) == 0.0


# --- the level-change statistic --------------------------------------------------------------


def test_a_level_change_after_months_with_no_crime() -> None:
    # two months of none, then two of 10, on a flat profile: at the split after month 2 the
    # level before is 0 and after is 120 a year against 60 overall, so g = 2 × 20 log 2
    w = np.full(12, 1 / 12)
    change = detect_level_change([0.0, 0.0, 10.0, 10.0], w)
    assert change is not None and change.month == 2 and change.ratio == math.inf
    assert change.statistic == pytest.approx(40 * math.log(2), rel=1e-12)
    assert change.threshold == pytest.approx(stats.chi2.isf(0.05, 1), rel=1e-12)


def test_no_split_leaves_a_part_with_no_usual_share() -> None:
    # the last two months had no crime in earlier years: the only split would leave them alone
    # with no usual share, so there is no account of a change there (and no division by zero)
    share = [0.5, 0.5, 0.0, 0.0]
    assert detect_level_change([9.0, 9.0, 0.0, 0.0], share) is None
    assert level_weights([9.0, 9.0, 0.0, 0.0], share) == [(0, 1.0)]


def test_a_change_after_months_that_had_no_crime_in_earlier_years() -> None:
    # April and May had none in earlier years, so no split leaves them alone; the later splits
    # are still weighed: after month 4 the level quadruples, from 20 to 80 a year against 50
    share = [0.0, 0.0, 0.25, 0.25, 0.25, 0.25]
    observed = [0.0, 0.0, 5.0, 5.0, 20.0, 20.0]
    change = detect_level_change(observed, share)
    assert change is not None and change.month == 4 and change.ratio == pytest.approx(4.0)
    g = 2 * (10 * math.log(20 / 50) + 40 * math.log(80 / 50))
    assert change.statistic == pytest.approx(g, rel=1e-12)
    assert change.threshold == pytest.approx(stats.chi2.isf(0.05 / 3, 1), rel=1e-12)
    assert [c for c, _ in level_weights(observed, share)] == [0, 3, 4]


def test_the_ratio_of_levels_from_a_small_first_level() -> None:
    # the values need not be whole: 0.1 over the first two months of a flat year is a level
    # of 0.6 a year, and 10 over the next two one of 60, a hundred times more
    change = detect_level_change([0.05, 0.05, 5.0, 5.0], FLAT_SHARE)
    assert change is not None and change.month == 2
    assert change.ratio == pytest.approx(100.0, rel=1e-12)


# --- the accounts of the year ----------------------------------------------------------------

FLAT_SHARE = np.full(12, 1 / 12)


def _chances(observed: list[float]) -> dict[int, float]:
    """Every account's chance on a flat profile at Poisson variation, before any is left out:
    prior 1/2 for no change, 1/2 shared among the splits times exp(g / 2) / sqrt(k)."""
    k = len(observed)
    level = sum(observed) / k
    splits = range(2, k - 1)
    odds = {0: 0.5}
    for c in splits:
        a, b = sum(observed[:c]), sum(observed[c:])
        g = 2 * sum(n * math.log(n / m / level) for n, m in ((a, c), (b, k - c)) if n > 0)
        odds[c] = 0.5 / len(splits) * math.exp(g / 2) / math.sqrt(k)
    return {c: v / sum(odds.values()) for c, v in odds.items()}


def test_one_event_after_none_is_an_even_bet() -> None:
    # 0, 0, 0, 1 on a flat profile: one split (after month 2), g = 2 log 2, so its odds are
    # 1/2 × exp(log 2) / sqrt(4) = 1/2, the same as no change
    assert level_weights([0.0, 0.0, 0.0, 1.0], FLAT_SHARE) == [(0, 0.5), (2, 0.5)]
    assert level_weights([0.0, 0.0, 0.0, 1.0], FLAT_SHARE, 1.0) == [(0, 0.5), (2, 0.5)]


def test_nothing_recorded_or_too_few_months_leave_only_no_change() -> None:
    assert level_weights([0.0] * 6, FLAT_SHARE) == [(0, 1.0)]
    assert level_weights([5.0, 9.0, 1.0], FLAT_SHARE) == [(0, 1.0)]


def test_an_account_under_one_in_a_million_is_left_out() -> None:
    # the step is after month 3 or 4 (the fourth month is half-way): no change has a chance
    # of 0.78 in a million, and is left out (the projection shares its weight out again)
    observed = [34.0, 34.0, 34.0, 21.0, 9.0, 9.0]
    chance = _chances(observed)
    assert 0.7e-6 < chance[0] < 0.8e-6
    got = dict(level_weights(observed, FLAT_SHARE))
    assert got == pytest.approx({c: chance[c] for c in (2, 3, 4)}, rel=1e-9)
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-6)
    # the projection mixes the accounts kept, their chances shared out again to sum to 1
    for better in ("lower", "higher"):
        check_against_reference(observed, [[100.0] * 12] * 3, 200.0, better)


def test_a_drastic_step_takes_all_the_weight() -> None:
    # a tenfold drop (a change of recording): the statistic is in the thousands, and the
    # weights are still worked out without overflowing
    observed = [1000.0] * 4 + [100.0] * 4
    assert level_weights(observed, FLAT_SHARE) == [(4, 1.0)]
    r = project_count_year_end(observed, [[1000.0] * 12] * 3, 5000)
    assert r.level_change is not None and r.level_change.month == 4
    assert r.projected == pytest.approx(4400 + 4 * 100, rel=1e-9)
    assert r.reason == (
        "the level changed from month 5 of the year (by -90%): the projection follows the months"
        " since"
    )


# --- the count projection against the independent reference ----------------------------------


@pytest.mark.parametrize("observed", [[1.0], [0.0, 1.0, 0.0], [0.0]])
def test_a_year_with_at_most_one_event_so_far(observed: list[float]) -> None:
    # one event sets the level itself; half an event stands in only when there are none
    years = [[1.0, 0, 2, 1, 0, 1, 1, 0, 2, 1, 0, 1], [0.0, 1, 1, 2, 1, 0, 1, 1, 0, 1, 2, 0],
             [1.0, 1, 0, 1, 1, 1, 0, 2, 1, 1, 0, 1]]
    for better in ("lower", "higher"):
        check_against_reference(observed, years, 6.0, better)


FLAT = [[100.0] * 12] * 3


def test_a_possible_change_is_reported_with_the_chance_that_there_was_none() -> None:
    # 100 a month, then 80: the test finds the drop after month 4 (g = 8.9 > 6.6), but the
    # months leave a 10% chance that the level did not change (flat years vary less than
    # chance, so the change is judged at Poisson variation)
    observed = [100.0] * 4 + [80.0] * 4
    r = project_count_year_end(observed, FLAT, 1000)
    chance = {c: v for c, v in _chances(observed).items() if v >= 1e-6}
    unchanged = chance[0] / sum(chance.values())
    assert f"{100 * unchanged:.0f}" == "10"
    assert r.reason == (
        "the level changed from month 5 of the year (by -20%): the projection follows the months"
        " since, allowing a 10% chance that the level did not change"
    )
    assert r.level_change is not None and r.level_change.month == 4
    # the projection weighs every account's rest of the year (the level of its months × 4)
    rest = {c: 4 * sum(observed[c:]) / (8 - c) for c in chance}
    assert r.projected == pytest.approx(
        720 + sum(chance[c] * rest[c] for c in chance) / sum(chance.values()), rel=1e-12)
    # the reported spread of the ratio is that of the likeliest account, the change after
    # month 4: both its 4 months and the 4 to come are 400 (+ 1/2) a year in the flat years,
    # which vary less than chance (dispersion 1/2), and not at all from year to year
    assert r.share_sd == pytest.approx(math.sqrt(0.5 * (1 / 400.5 + 1 / 400.5) / 3), rel=1e-12)
    assert r.share_of_year == pytest.approx(8 / 12, rel=1e-12)
    assert (r.dispersion, r.autocorrelation, r.years_used) == (0.5, 0.0, 3)
    assert (r.kind, r.year_to_date, r.months_observed) == ("count", 720.0, 8)
    assert (r.milestone, r.better) == (1000.0, "lower") and isinstance(r.milestone, float)
    assert r.probability_met is not None and r.assurance == assurance_for(r.probability_met)
    assert r.to_dict()["level_change"]["month"] == 4
    rise = project_count_year_end([100.0] * 3 + [130.0] * 3, FLAT, 1000)
    assert rise.reason is not None and "from month 4 of the year (by +30%)" in rise.reason
    assert rise.reason.endswith("allowing a 2% chance that the level did not change")
    # a smaller rise over longer: a 22% chance (0.224) that it did not happen
    observed = [100.0] * 3 + [120.0] * 5
    chance = {c: v for c, v in _chances(observed).items() if v >= 1e-6}
    assert chance[0] / sum(chance.values()) == pytest.approx(0.2243, abs=1e-4)
    assert project_count_year_end(observed, FLAT, 1000).reason == (
        "the level changed from month 4 of the year (by +20%): the projection follows the months"
        " since, allowing a 22% chance that the level did not change"
    )


def test_a_dispersion_given_below_poisson_is_taken_as_poisson() -> None:
    observed = [95.0, 103.0, 99.0, 108.0, 90.0]
    low = project_count_year_end(observed, FLAT, 1200, dispersion=0.7)
    poisson = project_count_year_end(observed, FLAT, 1200, dispersion=1.0)
    assert low.dispersion == 1.0
    assert (low.interval_80, low.interval_95) == (poisson.interval_80, poisson.interval_95)
    assert low.probability_met == poisson.probability_met
    check_against_reference(observed, FLAT, 1200, phi=0.7)


def test_eleven_months_are_projected_and_twelve_are_refused() -> None:
    years = [[80.0 + 5 * m for m in range(12)], [90.0 + 3 * m for m in range(12)]]
    check_against_reference([100.0] * 11, years, 1250)
    with pytest.raises(ValueError, match=r"^need 1 to 11 observed months; use assess_closed_year"
                       r" after March$"):
        project_count_year_end([100.0] * 12, years, 1250)
    with pytest.raises(ValueError, match=r"^need 1 to 11 observed months"):
        project_count_year_end([], years, 1250)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_observed_counts_must_be_finite_and_non_negative(bad: float) -> None:
    with pytest.raises(ValueError, match=r"^observed counts must be non-negative$"):
        project_count_year_end([10.0, bad], FLAT, 100)


@pytest.mark.parametrize(
    ("years", "message"),
    [([[1.0] * 11] * 2, r"^each previous year needs 12 non-negative monthly values$"),
     ([1.0] * 12, r"^each previous year needs 12 non-negative monthly values$"),
     ([[1.0] * 12, [-1.0] + [1.0] * 11], r"^each previous year needs 12 non-negative monthly"),
     ([[1.0] * 12, [math.inf] + [1.0] * 11], r"^monthly values must be finite$"),
     ([[1.0] * 12, [math.nan] + [1.0] * 11], r"^monthly values must be finite$"),
     ([[1.0] * 12, [0.0] * 12], r"^each previous year needs a positive total$")],
)
def test_earlier_years_are_checked_with_a_message(years: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        project_count_year_end([10.0, 12.0], years, 100)
    with pytest.raises(ValueError, match=message):
        seasonal_weights(years)


def test_the_profile_needs_a_year_and_events_on_both_sides_of_now() -> None:
    with pytest.raises(ValueError, match=r"^need at least one previous complete year$"):
        seasonal_weights([])
    none_yet = [[0.0, 0.0] + [10.0] * 10] * 2
    with pytest.raises(ValueError, match=r"^previous years have no events in these months or "
                       r"none after them$"):
        project_count_year_end([3.0, 4.0], none_yet, 100)
    none_after = [[10.0] * 10 + [0.0, 0.0]] * 2
    with pytest.raises(ValueError, match=r"^previous years have no events in these months"):
        project_count_year_end([3.0] * 10, none_after, 100)
    assert seasonal_weights([[1.0] * 6 + [3.0] * 6]) == pytest.approx([1 / 24] * 6 + [1 / 8] * 6)
    # a rare event recorded once in a year is a year of history like any other
    once = [[0.0, 1.0] + [0.0] * 10, [1.0] * 12]
    assert seasonal_weights(once) == pytest.approx([1 / 24, 13 / 24] + [1 / 24] * 10)


@pytest.mark.parametrize(
    ("chance", "assurance"),
    [(0.8, "likely met"), (0.7999, "uncertain"), (0.2001, "uncertain"), (0.2, "likely missed"),
     (1.0, "likely met"), (0.0, "likely missed")],
)
def test_assurance_thresholds(chance: float, assurance: str) -> None:
    assert assurance_for(chance) == assurance
