"""paragon.measures.assessment figure by figure: dispersion by hand, and each interval, closed-year
status and projection equal to the statistics function called with the arguments it should get
(counts divided by the dispersion, detections per offence recorded, survey responses over the
design effect)."""

from __future__ import annotations

from datetime import date

import pytest

from paragon.measures.assessment import (
    change,
    closed_year,
    design_effect,
    enough_responses,
    overdispersion,
    projection,
    survey_successes,
    value_interval,
)
from paragon.measures.engine import Figure
from paragon.plan import Plan
from paragon.stats import (
    assess_closed_year,
    compare_counts,
    project_count_year_end,
    project_proportion_year_end,
    wilson_interval,
)
from paragon.stats.projection import poisson_exact_interval

DEFF = 1.5  # the feeling-the-difference survey's design effect in the default plan


def _fig(kind: str, value: float | None, *, numerator: float | None = None,
         denominator: float | None = None, responses: int | None = None) -> Figure:
    measure = {"count": "burglary-dwelling", "detection_rate": "burglary-dwelling-detections",
               "survey_proportion": "confidence"}[kind]
    return Figure(measure, kind, date(2011, 4, 1), date(2012, 4, 1), None, value,
                  numerator=numerator, denominator=denominator, responses=responses)


def test_design_effect(plan: Plan) -> None:
    assert design_effect(plan, plan.measure("confidence")) == DEFF
    assert design_effect(plan, plan.measure("satisfaction-actions-crime")) == 1.2
    assert design_effect(plan, plan.measure("burglary-dwelling")) == 1.0


def test_overdispersion_by_hand() -> None:
    # totals 30, 40; mean shares 13/24, 11/24; chi-squared 1750/143 on 4 - 2 - 1 = 1 df
    assert overdispersion([[10, 20], [30, 10]]) == pytest.approx(1750 / 143, rel=1e-12)
    # a year without crime is left out
    assert overdispersion([[0, 0], [10, 20], [30, 10]]) == pytest.approx(1750 / 143, rel=1e-12)
    # a month empty in every year adds nothing to chi-squared but one to the degrees of freedom
    assert overdispersion([[10, 20, 0], [30, 10, 0]]) == pytest.approx(1750 / 286, rel=1e-12)
    assert overdispersion([[10, 20, 5], [30, 10, 5], [12, 12, 12]]) == \
        pytest.approx(162124 / 7881 / 4, rel=1e-12)
    # fewer than two years with crime, no degrees of freedom, or less variation than Poisson: 1
    assert overdispersion([]) == 1.0
    assert overdispersion([[10, 20]]) == 1.0
    assert overdispersion([[0, 0], [10, 20]]) == 1.0
    assert overdispersion([[10], [30]]) == 1.0
    assert overdispersion([[10, 10], [20, 20]]) == 1.0


def test_survey_successes_stay_within_the_responses() -> None:
    assert survey_successes(_fig("survey_proportion", 60.0, responses=300)) == \
        pytest.approx(180.0)
    assert survey_successes(_fig("survey_proportion", 100.0000001, responses=10)) == 10.0
    assert survey_successes(_fig("survey_proportion", -0.0001, responses=10)) == 0.0
    assert survey_successes(_fig("survey_proportion", None, responses=10)) == 0.0
    assert survey_successes(_fig("survey_proportion", 50.0, responses=None)) == 0.0


def test_value_interval_of_a_count(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling")
    lo, hi = poisson_exact_interval(10)
    assert value_interval(plan, measure, _fig("count", 10.0)) == (lo, hi)
    assert lo == pytest.approx(4.795389, abs=1e-6) and hi == pytest.approx(18.390356, abs=1e-6)
    # quasi-Poisson: the interval of 11 / 2 = 5.5 -> 6 (round half to even), times 2
    lo6, hi6 = poisson_exact_interval(6)
    assert value_interval(plan, measure, _fig("count", 11.0), 2.0) == (2 * lo6, 2 * hi6)
    lo4, hi4 = poisson_exact_interval(4)
    assert value_interval(plan, measure, _fig("count", 9.0), 2.0) == (2 * lo4, 2 * hi4)
    assert value_interval(plan, measure, _fig("count", None)) == (None, None)


def test_value_interval_of_a_detection_rate(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling-detections")
    lo, hi = poisson_exact_interval(7)
    got = value_interval(plan, measure, _fig("detection_rate", 35.0, numerator=7, denominator=20))
    assert got == (100 * lo / 20, 100 * hi / 20)
    zero = value_interval(plan, measure,
                          _fig("detection_rate", 0.0, numerator=None, denominator=20))
    assert zero == (0.0, 100 * poisson_exact_interval(0)[1] / 20)


def test_value_interval_of_a_survey_result(plan: Plan) -> None:
    measure = plan.measure("confidence")
    est = wilson_interval(180.0, 300.0, 0.95, DEFF)
    assert est.lower is not None and est.upper is not None
    got = value_interval(plan, measure, _fig("survey_proportion", 60.0, responses=300))
    assert got == (pytest.approx(100 * est.lower, rel=1e-12),
                   pytest.approx(100 * est.upper, rel=1e-12))
    assert got[0] is not None and 50 < got[0] < 60 < got[1] < 70  # type: ignore[operator]
    few = value_interval(plan, measure, _fig("survey_proportion", 60.0, responses=60))
    assert few == (None, None)  # 40 effective responses


def test_enough_responses(plan: Plan) -> None:
    survey = plan.measure("confidence")
    assert enough_responses(plan, survey, _fig("survey_proportion", 60.0, responses=75))
    assert not enough_responses(plan, survey, _fig("survey_proportion", 60.0, responses=74))
    assert not enough_responses(plan, survey, _fig("survey_proportion", 60.0, responses=None))
    assert enough_responses(plan, survey, _fig("survey_proportion", None, responses=10))
    count = plan.measure("burglary-dwelling")
    assert enough_responses(plan, count, _fig("count", 3.0))


def test_closed_year_of_a_count(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling")
    ref = assess_closed_year(50.0, 60.0, "lower")
    assert closed_year(plan, measure, _fig("count", 100.0), 120.0, "lower", 2.0) == \
        {"status": "met", "beyond_noise": ref.beyond_noise}
    # 121 / 2 rounds to 60 = 120 / 2, yet 121 is above the milestone: missed, on the count itself
    even = assess_closed_year(60.0, 60.0, "lower")
    assert closed_year(plan, measure, _fig("count", 121.0), 120.0, "lower", 2.0) == \
        {"status": "missed", "beyond_noise": even.beyond_noise}
    assert closed_year(plan, measure, _fig("count", 120.0), 120.0, "lower")["status"] == "met"
    assert closed_year(plan, measure, _fig("count", 120.0), 120.0, "higher")["status"] == "met"
    assert closed_year(plan, measure, _fig("count", 119.0), 120.0, "higher")["status"] == \
        "missed"
    assert closed_year(plan, measure, _fig("count", 121.0), 120.0, "higher")["status"] == "met"
    far = closed_year(plan, measure, _fig("count", 200.0), 100.0, "lower")
    assert far == {"status": "missed", "beyond_noise": True}
    wide = closed_year(plan, measure, _fig("count", 130.0), 100.0, "lower", 9.0)
    assert wide == {"status": "missed", "beyond_noise": False}
    assert closed_year(plan, measure, _fig("count", 130.0), 100.0, "lower")["beyond_noise"]


def test_closed_year_of_a_detection_rate(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling-detections")
    fig = _fig("detection_rate", 30.0, numerator=30, denominator=100)
    ref = assess_closed_year(30.0, 25.0, "higher")
    assert closed_year(plan, measure, fig, 25.0, "higher") == \
        {"status": ref.outcome, "beyond_noise": ref.beyond_noise}
    assert ref.outcome == "met"
    low = _fig("detection_rate", 10.0, numerator=10, denominator=100)
    assert closed_year(plan, measure, low, 25.0, "higher") == \
        {"status": "missed", "beyond_noise": True}
    none = _fig("detection_rate", 0.0, numerator=None, denominator=None)
    ref0 = assess_closed_year(0.0, 0.0, "higher")
    assert closed_year(plan, measure, none, 25.0, "higher") == \
        {"status": ref0.outcome, "beyond_noise": ref0.beyond_noise}


def test_closed_year_of_a_survey_result(plan: Plan) -> None:
    measure = plan.measure("confidence")
    ref = assess_closed_year(0.7, 0.65, "higher", n=300.0, design_effect=DEFF)
    assert closed_year(plan, measure, _fig("survey_proportion", 70.0, responses=300), 65.0,
                       "higher") == {"status": ref.outcome, "beyond_noise": ref.beyond_noise}
    big = closed_year(plan, measure, _fig("survey_proportion", 70.0, responses=3000), 65.0,
                      "higher")
    assert big == {"status": "met", "beyond_noise": True}
    # 3000 responses are 2000 effective ones: without the design effect the gap would be surer
    edge = assess_closed_year(0.67, 0.65, "higher", n=3000.0, design_effect=DEFF)
    assert closed_year(plan, measure, _fig("survey_proportion", 67.0, responses=3000), 65.0,
                       "higher")["beyond_noise"] == edge.beyond_noise is False
    assert assess_closed_year(0.67, 0.65, "higher", n=3000.0).beyond_noise is True
    assert closed_year(plan, measure, _fig("survey_proportion", 70.0, responses=60), 65.0,
                       "higher") == {"status": "not enough responses"}
    assert closed_year(plan, measure, _fig("survey_proportion", 70.0, responses=None), 65.0,
                       "higher") == {"status": "not enough responses"}


OBSERVED = [90.0, 95.0, 100.0, 85.0, 92.0, 97.0]
HISTORY = [[100.0, 96, 104, 90, 95, 99, 101, 110, 93, 97, 88, 92],
           [95.0, 99, 100, 92, 90, 97, 103, 105, 91, 94, 90, 96]]


def test_projection_of_a_count(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling")
    fig = _fig("count", sum(OBSERVED))
    for dispersion, used in [(1.0, 1.0), (0.5, 1.0), (3.0, 3.0)]:
        p = project_count_year_end(OBSERVED, HISTORY, 1150.0, better="lower", dispersion=used)
        assert p.projected is not None and p.interval_80 is not None
        assert p.interval_95 is not None and p.probability_met is not None
        got = projection(plan, measure, fig, 1150.0, "lower", OBSERVED, HISTORY, dispersion)
        assert got == {
            "status": "in progress",
            "projected": p.projected,
            "projected_80": list(p.interval_80),
            "projected_95": list(p.interval_95),
            "probability_met": round(p.probability_met, 4),
            "assurance": p.assurance,
            "projection_note": p.reason,
        }
    higher = projection(plan, measure, fig, 1150.0, "higher", OBSERVED, HISTORY)
    ref = project_count_year_end(OBSERVED, HISTORY, 1150.0, better="higher", dispersion=1.0)
    assert higher["probability_met"] == round(ref.probability_met or 0, 4)
    assert higher["probability_met"] != \
        projection(plan, measure, fig, 1150.0, "lower", OBSERVED, HISTORY)["probability_met"]
    short = project_count_year_end(OBSERVED, HISTORY[:1], 1150.0, better="lower", dispersion=1.0)
    assert short.projected is None and short.reason
    assert projection(plan, measure, fig, 1150.0, "lower", OBSERVED, HISTORY[:1]) == {
        "status": "in progress", "assurance": short.assurance, "projection_note": short.reason}


def test_projection_of_a_detection_rate_caps_detections_at_offences(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling-detections")
    fig = _fig("detection_rate", 25.0, numerator=60, denominator=240)
    p = project_proportion_year_end(60.0, 240.0, 0.3, better="higher", design_effect=1.0)
    assert p.projected is not None and p.interval_80 is not None and p.interval_95 is not None
    assert p.probability_met is not None
    got = projection(plan, measure, fig, 30.0, "higher", [], [])
    assert got == {
        "status": "in progress",
        "projected": pytest.approx(100 * p.projected, rel=1e-12),
        "projected_80": pytest.approx([100 * v for v in p.interval_80], rel=1e-12),
        "projected_95": pytest.approx([100 * v for v in p.interval_95], rel=1e-12),
        "probability_met": round(p.probability_met, 4),
        "assurance": p.assurance,
        "projection_note": p.reason,
    }
    assert got["projected"] == pytest.approx(25.0)
    over = _fig("detection_rate", 125.0, numerator=75, denominator=60)
    capped = project_proportion_year_end(60.0, 60.0, 0.3, better="higher", design_effect=1.0)
    assert capped.projected == 1.0
    assert projection(plan, measure, over, 30.0, "higher", [], [])["projected"] == 100.0
    empty = projection(plan, measure, _fig("detection_rate", 0.0), 30.0, "higher", [], [])
    ref = project_proportion_year_end(0.0, 0.0, 0.3, better="higher", design_effect=1.0)
    assert empty["projected"] is None and empty["projected_80"] is None
    assert empty["projected_95"] is None and empty["probability_met"] is None
    assert empty["projection_note"] == ref.reason and empty["assurance"] == ref.assurance


def test_projection_of_a_survey_result_uses_the_design_effect(plan: Plan) -> None:
    measure = plan.measure("confidence")
    fig = _fig("survey_proportion", 70.0, responses=200)
    p = project_proportion_year_end(140.0, 200.0, 0.65, better="higher", design_effect=DEFF)
    assert p.projected is not None and p.interval_80 is not None and p.interval_95 is not None
    assert p.probability_met is not None
    got = projection(plan, measure, fig, 65.0, "higher", [], [])
    assert got["projected"] == pytest.approx(70.0)
    assert got["projected_80"] == pytest.approx([100 * v for v in p.interval_80], rel=1e-12)
    assert got["projected_95"] == pytest.approx([100 * v for v in p.interval_95], rel=1e-12)
    assert got["probability_met"] == round(p.probability_met, 4)
    plain = project_proportion_year_end(140.0, 200.0, 0.65, better="higher")
    assert plain.probability_met != p.probability_met
    assert 0 < got["probability_met"] < 1


def test_change_of_a_detection_rate_without_counts(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling-detections")
    now = _fig("detection_rate", 30.0, numerator=30, denominator=100)
    then = _fig("detection_rate", 20.0, numerator=20, denominator=100)
    ref = compare_counts(20, 30, 100.0, 100.0)
    got = change(plan, measure, now, then)
    assert got == {
        "change_pct": ref.percent_change, "change_lower": ref.percent_change_lower,
        "change_upper": ref.percent_change_upper, "change_unit": "% of the rate",
        "change_significant": ref.p_value < 0.05, "change_p_value": ref.p_value,
        "change_test": ref.test_method, "change_dispersion": ref.dispersion,
        "change_points": 10.0,
    }
    # a dispersion is for counts only
    assert change(plan, measure, now, then, dispersion=5.0) == got
    assert change(plan, measure, _fig("detection_rate", None), then)["change_pct"] is None


def test_closed_year_default_dispersion_is_one(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling")
    # 125 against 100 is beyond noise as Poisson counts; halved (62 against 50) it is not
    assert assess_closed_year(125.0, 100.0, "lower").beyond_noise is True
    assert assess_closed_year(62.0, 50.0, "lower").beyond_noise is False
    assert closed_year(plan, measure, _fig("count", 125.0), 100.0, "lower") == \
        {"status": "missed", "beyond_noise": True}


def test_closed_year_direction_and_scale_at_the_milestone(plan: Plan) -> None:
    rate = plan.measure("burglary-dwelling-detections")
    at = _fig("detection_rate", 25.0, numerator=25, denominator=100)
    # 25 detections of 100 offences against 25%: met either way, exactly at the milestone
    assert closed_year(plan, rate, at, 25.0, "lower")["status"] == "met"
    assert closed_year(plan, rate, at, 25.0, "higher")["status"] == "met"
    above = _fig("detection_rate", 30.0, numerator=30, denominator=100)
    assert closed_year(plan, rate, above, 25.0, "lower")["status"] == "missed"
    survey = plan.measure("perceive-crime-increase")
    assert survey.better == "lower"
    fig = _fig("survey_proportion", 65.0, responses=3000)
    assert closed_year(plan, survey, fig, 65.0, "higher")["status"] == "met"
    assert closed_year(plan, survey, fig, 65.0, "lower")["status"] == "met"
    assert closed_year(plan, survey, fig, 60.0, "lower") == {"status": "missed",
                                                             "beyond_noise": True}
    assert closed_year(plan, survey, fig, 60.0, "higher")["status"] == "met"


def test_no_detections_are_zero_not_missing(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling-detections")
    none = _fig("detection_rate", 0.0, numerator=0.0, denominator=100.0)
    five = _fig("detection_rate", 5.0, numerator=5.0, denominator=100.0)
    ref = compare_counts(0, 5, 100.0, 100.0)
    up = change(plan, measure, five, none)
    assert (up["change_p_value"], up["change_lower"], up["change_upper"]) == \
        (ref.p_value, ref.percent_change_lower, ref.percent_change_upper)
    down = change(plan, measure, none, five)
    back = compare_counts(5, 0, 100.0, 100.0)
    assert (down["change_pct"], down["change_p_value"]) == (-100.0, back.p_value)
    got = projection(plan, measure, _fig("detection_rate", 0.0, numerator=0.0, denominator=50.0),
                     20.0, "higher", [], [])
    p = project_proportion_year_end(0.0, 50.0, 0.2, better="higher", design_effect=1.0)
    assert got["projected"] == 0.0 and got["probability_met"] == round(p.probability_met or 0, 4)


def test_projection_of_a_survey_result_where_lower_is_better(plan: Plan) -> None:
    measure = plan.measure("perceive-crime-increase")
    fig = _fig("survey_proportion", 30.0, responses=300)
    p = project_proportion_year_end(90.0, 300.0, 0.35, better="lower", design_effect=DEFF)
    q = project_proportion_year_end(90.0, 300.0, 0.35, better="higher", design_effect=DEFF)
    assert p.probability_met is not None and q.probability_met is not None
    got = projection(plan, measure, fig, 35.0, "lower", [], [])
    assert got["probability_met"] == round(p.probability_met, 4) > 0.5
    assert round(q.probability_met, 4) < 0.5


def test_overdispersion_of_years_with_one_crime() -> None:
    # shares (1/2, 1/2), every expected count 1/2: chi-squared 4 x (1/2)^2 / (1/2) = 2 on 1 df
    assert overdispersion([[1, 0], [0, 1]]) == pytest.approx(2.0, rel=1e-12)
