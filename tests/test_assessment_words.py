"""Milestone changes and their words: quasi-Poisson count changes, detection-rate changes in
percentage points and relative terms, probabilities in words, and no method names in sentences."""

from __future__ import annotations

from datetime import date

import pytest

from paragon.measures.assessment import change, overdispersion, projection
from paragon.measures.engine import Figure
from paragon.plan import default_plan
from paragon.stats import compare_counts
from paragon.web.data import words

PLAN = default_plan()
Y0, Y1 = (date(2010, 4, 1), date(2011, 4, 1)), (date(2011, 4, 1), date(2012, 4, 1))


def _fig(measure: str, kind: str, period: tuple[date, date], value: float,
         numerator: float | None = None, denominator: float | None = None) -> Figure:
    return Figure(measure, kind, period[0], period[1], None, value, numerator, denominator)


def test_count_change_is_quasi_poisson_with_the_dispersion_given() -> None:
    m = PLAN.measure("burglary-dwelling")
    then = _fig(m.id, "count", Y0, 18_030)
    now = _fig(m.id, "count", Y1, 19_139)
    plain = change(PLAN, m, now, then)
    quasi = change(PLAN, m, now, then, dispersion=25.0)
    assert plain["change_significant"] is True and plain["change_dispersion"] == 1.0
    ref = compare_counts(18_030, 19_139, dispersion=25.0)
    assert quasi["change_p_value"] == ref.p_value and quasi["change_significant"] is False
    assert quasi["change_lower"] == ref.percent_change_lower
    assert quasi["change_dispersion"] == 25.0 and "quasi-Poisson" in quasi["change_test"]


def test_overdispersion_of_history_is_pearson_over_df() -> None:
    season = [1.0, 1.1, 0.9, 1.0, 1.2, 0.8, 1.0, 1.1, 0.9, 1.0, 1.2, 0.8]
    years = [[100 * s for s in season], [200 * s for s in season]]
    assert overdispersion(years) == 1.0
    years[1][0] += 60
    years[1][1] -= 60
    # expected from each year's total and the mean profile; chi2 / (24 - 2 - 11)
    import numpy as np

    y = np.array(years)
    shares = (y / y.sum(axis=1)[:, None]).mean(axis=0)
    exp = y.sum(axis=1)[:, None] * shares
    assert overdispersion(years) == pytest.approx(float(((y - exp) ** 2 / exp).sum()) / 11)


def test_detection_rate_change_in_points_and_relative_with_recorded_exposures() -> None:
    m = PLAN.measure("burglary-dwelling-detections")
    then = _fig(m.id, "detection_rate", Y0, 35.4, 354, 1000)
    now = _fig(m.id, "detection_rate", Y1, 452 / 1200 * 100, 452, 1200)
    row = change(PLAN, m, now, then)
    ref = compare_counts(354, 452, 1000.0, 1200.0)
    assert row["change_pct"] == pytest.approx(100 * ((452 / 1200) / 0.354 - 1))
    assert row["change_pct"] == ref.percent_change and row["change_p_value"] == ref.p_value
    assert row["change_points"] == pytest.approx(452 / 12 - 35.4)
    text = words.change_text(row)
    assert text.startswith(f"up {452 / 12 - 35.4:.1f} percentage points (a ")
    assert f"{row['change_pct']:.1f}% relative rise" in text


def test_issue_example_rate_rise_is_points_not_pts() -> None:
    row = {"change_pct": 27.5, "change_lower": 10.1, "change_upper": 47.0,
           "change_unit": "% of the rate", "change_points": 9.8}
    assert words.change_text(row) == (
        "up 9.8 percentage points (a 27.5% relative rise, likely between +10.1% and +47.0%)")
    survey = {"change_pct": -2.1, "change_lower": -4.0, "change_upper": -0.2,
              "change_unit": "percentage points"}
    assert words.change_text(survey) == (
        "down 2.1 percentage points (likely between -4.0 and -0.2 points)")
    count = {"change_pct": 6.15, "change_lower": 4.01, "change_upper": 8.34, "change_unit": "%"}
    assert words.change_text(count) == "up 6.2% (likely between +4.0% and +8.3%)"


@pytest.mark.parametrize(("p", "text"), [
    (4.3e-61, "less than a 1 in 1,000 chance"), (0.0009, "less than a 1 in 1,000 chance"),
    (0.004, "about a 1 in 250 chance"), (0.35, "about 35% chance"), (0.995, "more than 99% chance"),
    (0.9995, "more than a 999 in 1,000 chance"), (None, "chance unknown")])
def test_chances_in_words(p: float | None, text: str) -> None:
    assert words.chance_text(p) == text


def test_probability_in_json_is_rounded() -> None:
    m = PLAN.measure("burglary-dwelling")
    fig = _fig(m.id, "count", Y1, 3000)
    history = [[1000.0] * 12, [1010.0] * 12]
    row = projection(PLAN, m, fig, 5000.0, "lower", [1500.0, 1500.0], history)
    assert row["probability_met"] == 0.0
    row = projection(PLAN, m, fig, 13_000.0, "lower", [1000.0, 1000.0], history)
    assert 0.0 < row["probability_met"] < 1.0 and row["probability_met"] == round(
        row["probability_met"], 4)


def test_public_sentences_name_no_method() -> None:
    row = {"value": 1234.0, "value_lower": 1100.0, "value_upper": 1380.0, "unit": "count"}
    text = words.figure_text(row)
    assert "underlying rate" not in text and "1,100" in text
    from paragon.stats.counts import compare_counts as cc

    for c in (cc(100, 160), cc(100, 101), cc(160, 100)):
        sentence = words.count_change(100, 160, c, 12)
        for name in ("E-test", "Wilson", "Newcombe", "Poisson", "quasi"):
            assert name not in sentence


def test_the_public_projection_says_when_the_level_changed() -> None:
    from paragon.web.data.words import projection_text

    row = {"unit": "count", "projected": 23218.4, "projected_80": [22700.0, 23700.0],
           "projection_note": "the level changed from month 4 of the year (by -15%): the "
                              "projection follows the months since, allowing a 7% chance that "
                              "the level did not change"}
    assert projection_text(row) == (
        "Projected for the whole year: 23,218 (likely between 22,700 and 23,700). The level "
        "changed from month 4 of the year (by -15%): the projection follows the months since, "
        "allowing a 7% chance that the level did not change.")
    steady = {**row, "projection_note": None}
    assert projection_text(steady) == (
        "Projected for the whole year: 23,218 (likely between 22,700 and 23,700).")
