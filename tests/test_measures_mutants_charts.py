"""paragon.measures.charts on hand-made monthly series: which chart each kind of measure gets, on
which months, with which breaks and reasons (each expected value written out or taken from the
statistics function called directly with the arguments the chart should pass)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from paragon.errors import ParagonError
from paragon.measures import charts
from paragon.plan import Plan
from paragon.plan.schema import Break
from paragon.stats.control import count_chart, proportion_chart


def _periods(first_year: int, n: int) -> list[str]:
    return [f"{first_year + i // 12:04d}-{i % 12 + 1:02d}" for i in range(n)]


def _with_breaks(plan: Plan, measure_id: str, plan_wide: list[Break], own: list[Break]) -> Plan:
    measures = [m.model_copy(update={"breaks": own}) if m.id == measure_id else m
                for m in plan.measures]
    return plan.model_copy(update={"breaks": plan_wide, "measures": measures})


def test_constants_and_method_words() -> None:
    assert charts.HISTORY_MONTHS == 60
    assert charts.MIN_RECORDED == 30
    assert charts.ANALYST_REASON == "set by the analyst"
    assert charts.CHART_METHODS == {
        "xmr_seasonal": "XmR chart of seasonally adjusted counts",
        "xmr": "XmR chart",
        "u_prime": "Laney u′ chart",
        "p_prime": "Laney p′ chart",
        "none": "no control chart",
    }


def test_parse_baseline() -> None:
    assert charts.parse_baseline(None) is None
    assert charts.parse_baseline("") is None
    assert charts.parse_baseline("2016-10:2017-09") == ("2016-10", "2017-09")
    assert charts.parse_baseline("2016-10:2016-10") == ("2016-10", "2016-10")
    for bad in ["2016-10", "2016-10:2017-09:2018-01", "2016-10:2017-13", "2016-1:2017-09",
                "2017-09:2016-10", "16-10:2017-09"]:
        with pytest.raises(ParagonError) as err:
            charts.parse_baseline(bad)
        assert str(err.value) == f"a baseline is two months like 2016-10:2017-09, not '{bad}'"
    long = "x" * 50
    with pytest.raises(ParagonError) as err:
        charts.parse_baseline(long)
    assert str(err.value).endswith(f"not '{'x' * 40}'")


def test_check_breaks() -> None:
    assert charts.check_breaks([]) == []
    assert charts.check_breaks(["2017-03", "2016-10", "2017-03"]) == ["2016-10", "2017-03"]
    assert charts.check_breaks(["2016-01", "2016-12"]) == ["2016-01", "2016-12"]
    for bad in ["2016-00", "2016-13", "2016-1", "201-10", "2016-1a", "abcd-10", "2016-101",
                "2016", "20161-10"]:
        with pytest.raises(ParagonError) as err:
            charts.check_breaks(["2016-10", bad])
        assert str(err.value) == f"a break is a month like 2016-10, not '{bad}'"
    with pytest.raises(ParagonError) as err:
        charts.check_breaks(["y" * 60])
    assert str(err.value) == f"a break is a month like 2016-10, not '{'y' * 40}'"


def test_counts_label() -> None:
    assert charts.counts_label({"numerator": 11, "denominator": 6}) == "11 of 6"
    assert charts.counts_label({"numerator": 1234.4, "denominator": 56789}) == "1,234 of 56,789"
    assert charts.counts_label({"numerator": None, "denominator": 6}) is None
    assert charts.counts_label({"numerator": 3, "denominator": None}) is None
    assert charts.counts_label({"denominator": 6}) is None
    assert charts.counts_label({"numerator": 3}) is None
    assert charts.counts_label({"numerator": 0, "denominator": 0}) == "0 of 0"


def test_history_start_and_show_from() -> None:
    assert charts.history_start(date(2015, 1, 1), date(2016, 1, 1)) == date(2011, 1, 1)
    assert charts.history_start(date(2010, 1, 1), date(2016, 1, 1)) == date(2010, 1, 1)
    assert charts.history_start(date(2011, 1, 1), date(2016, 1, 1)) == date(2011, 1, 1)
    assert charts.show_from("2016-12", 12) == "2016-01"
    assert charts.show_from("2016-03", 1) == "2016-03"
    assert charts.show_from("2016-03", 36) == "2013-04"
    assert charts.show_from("2019-11", 2) == "2019-10"


def _count_rows(n: int) -> list[dict[str, Any]]:
    values = [20 + (i * 7) % 11 + (5 if i % 12 in (6, 7) else 0) for i in range(n)]
    return [{"period": p, "value": float(v), "numerator": v, "denominator": None,
             "responses": None} for p, v in zip(_periods(2012, n), values, strict=True)]


def test_count_chart_uses_the_whole_history_and_shows_the_window(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling")
    rows = _count_rows(48)
    plan2 = _with_breaks(plan, measure.id, [Break(month="2014-07", reason="new system")],
                         [Break(month="2015-03", reason="counting rule")])
    measure2 = plan2.measure(measure.id)
    got = charts.chart_from_series(plan2, measure2, rows, show_from="2014-01",
                                   breaks=["2015-06", ("2013-05", "recorded earlier")],
                                   baseline=("2014-07", "2015-02"))
    expected = count_chart([float(r["numerator"]) for r in rows], [r["period"] for r in rows],
                           better="lower",
                           breaks=["2013-05", "2014-07", "2015-03", "2015-06"],
                           baseline=("2014-07", "2015-02"), show_from="2014-01").to_dict()
    assert got["measure"] == "burglary-dwelling"
    assert got["title"] == measure.title
    assert got["kind"] == "count" and got["better"] == "lower"
    assert got["unit"] == "count per month"
    for key in ["method", "centre", "lower_limit", "upper_limit", "trial_limits", "baseline",
                "seasonal", "caveats"]:
        assert got[key] == expected[key], key
    assert got["method"] == "xmr_seasonal"
    assert got["baseline"] == ["2014-07", "2015-02"]
    # 2013-05 splits the history but starts no segment on the chart (before 2014-01)
    assert got["breaks"] == [{"month": "2014-07", "reason": "new system"},
                             {"month": "2015-03", "reason": "counting rule"},
                             {"month": "2015-06", "reason": "set by the analyst"}]
    assert [p["period"] for p in got["points"]] == _periods(2012, 48)[24:]
    assert len(got["points"]) == len(expected["points"]) == 24
    for point, want, raw in zip(got["points"], expected["points"], rows[24:], strict=True):
        assert point == {**want, "numerator": raw["numerator"], "denominator": None,
                         "responses": None}
        assert "counts" not in point


def test_without_show_from_every_row_is_charted(plan: Plan) -> None:
    measure = plan.measure("robbery")
    rows = _count_rows(30)
    got = charts.chart_from_series(plan, measure, rows)
    expected = count_chart([float(r["numerator"]) for r in rows], [r["period"] for r in rows],
                           better="lower", show_from="2012-01").to_dict()
    assert len(got["points"]) == 30 and got["centre"] == expected["centre"]
    assert got["breaks"] == [] and got["baseline"] is None
    assert got["upper_limit"] == expected["upper_limit"]


def test_a_break_at_the_first_month_shown_starts_no_segment(plan: Plan) -> None:
    measure = plan.measure("robbery")
    rows = _count_rows(30)
    got = charts.chart_from_series(plan, measure, rows, show_from="2013-01",
                                   breaks=["2013-01", "2013-02"])
    assert got["breaks"] == [{"month": "2013-02", "reason": "set by the analyst"}]


def test_plan_reasons_win_over_the_analysts_and_recorded_over_given(plan: Plan) -> None:
    measure_id = "robbery"
    plan2 = _with_breaks(plan, measure_id, [], [Break(month="2013-06", reason="plan reason")])
    rows = _count_rows(30)
    got = charts.chart_from_series(
        plan2, plan2.measure(measure_id), rows,
        breaks=["2013-06", "2013-09", ("2013-09", "recorded reason"), ("2013-06", "other")])
    assert got["breaks"] == [{"month": "2013-06", "reason": "plan reason"},
                             {"month": "2013-09", "reason": "recorded reason"}]


def test_fewer_than_two_months_shown_is_refused(plan: Plan) -> None:
    measure = plan.measure("robbery")
    rows = _count_rows(30)
    with pytest.raises(ParagonError) as err:
        charts.chart_from_series(plan, measure, rows, show_from="2014-06")
    assert str(err.value) == "measure 'robbery' has fewer than 2 months of data to chart"
    two = charts.chart_from_series(plan, measure, rows, show_from="2014-05")
    assert [p["period"] for p in two["points"]] == ["2014-05", "2014-06"]


def test_detection_rate_is_a_u_prime_chart_on_the_window_with_counts(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling-detections")
    periods = _periods(2014, 20)
    detected = [5 + (i * 3) % 7 for i in range(20)]
    recorded = [40 + (i * 5) % 13 for i in range(20)]
    recorded[15] = 29  # below MIN_RECORDED: suppressed
    recorded[16] = 30  # exactly MIN_RECORDED: judged
    rows = [{"period": p, "value": 100 * d / r, "numerator": d, "denominator": r,
             "responses": None} for p, d, r in zip(periods, detected, recorded, strict=True)]
    got = charts.chart_from_series(plan, measure, rows, show_from="2014-03", breaks=["2014-09"],
                                   baseline=("2014-03", "2014-08"))
    shown = rows[2:]
    expected = proportion_chart(
        [float(r["numerator"]) for r in shown], [float(r["denominator"]) for r in shown],
        [r["period"] for r in shown], better="higher", kind="rate", min_size=30,
        breaks=["2014-09"], baseline=("2014-03", "2014-08"),
        size_name="offences recorded").to_dict()
    assert got["method"] == "u_prime" and got["unit"] == "percent"
    assert got["kind"] == "detection_rate" and got["better"] == "higher"
    for key in ["centre", "lower_limit", "upper_limit", "trial_limits", "caveats", "baseline"]:
        assert got[key] == expected[key], key
    assert got["breaks"] == [{"month": "2014-09", "reason": "set by the analyst"}]
    for point, want, raw in zip(got["points"], expected["points"], shown, strict=True):
        assert point == {**want, "numerator": raw["numerator"], "denominator": raw["denominator"],
                         "responses": None,
                         "counts": f"{raw['numerator']} of {raw['denominator']}"}
    assert got["points"][13]["suppressed"] is not None
    assert "offences recorded" in got["points"][13]["suppressed"]
    assert got["points"][14]["suppressed"] is None


def test_survey_proportion_is_a_p_prime_chart_on_effective_responses(plan: Plan) -> None:
    measure = plan.measure("confidence")
    assert plan.survey("feeling-the-difference").design_effect == 1.5
    periods = _periods(2014, 14)
    responses: list[int | None] = [150 + (i * 17) % 40 for i in range(14)]
    responses[5] = None  # no responses: no effective responses
    values = [60.0 + (i * 3) % 9 for i in range(14)]
    rows = [{"period": p, "value": v, "numerator": None, "denominator": None, "responses": n}
            for p, v, n in zip(periods, values, responses, strict=True)]
    got = charts.chart_from_series(plan, measure, rows)
    sizes = [(n or 0) / 1.5 for n in responses]
    expected = proportion_chart(
        [v / 100 * n for v, n in zip(values, sizes, strict=True)], sizes, periods,
        better="higher", kind="proportion", min_size=50, breaks=[], baseline=None,
        size_name="effective responses").to_dict()
    assert got["method"] == "p_prime" and got["unit"] == "percent"
    for key in ["centre", "lower_limit", "upper_limit", "trial_limits", "caveats"]:
        assert got[key] == expected[key], key
    for point, want, raw in zip(got["points"], expected["points"], rows, strict=True):
        assert point == {**want, "numerator": None, "denominator": None,
                         "responses": raw["responses"]}
    assert "effective responses" in got["points"][5]["suppressed"]


def test_survey_without_a_survey_uses_no_design_effect(plan: Plan) -> None:
    measure = plan.measure("confidence").model_copy(update={"survey": None})
    periods = _periods(2014, 12)
    rows = [{"period": p, "value": 50.0 + i, "numerator": None, "denominator": None,
             "responses": 100 + i} for i, p in enumerate(periods)]
    got = charts.chart_from_series(plan, measure, rows)
    sizes = [float(100 + i) for i in range(12)]
    expected = proportion_chart([(50.0 + i) / 100 * n for i, n in enumerate(sizes)], sizes,
                                periods, better="higher", kind="proportion", min_size=50,
                                size_name="effective responses").to_dict()
    assert got["centre"] == expected["centre"]
    assert [p["lower_limit"] for p in got["points"]] == \
        [p["lower_limit"] for p in expected["points"]]


def _variations(chart: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["period"], p["variation"]) for p in chart["points"] if p["signal"] != "none"]


def test_signals_take_the_measures_direction(plan: Plan) -> None:
    # a neutral count: an unusual month is neither good nor bad
    rows = _count_rows(30)
    rows[25] = {**rows[25], "numerator": 90, "value": 90.0}
    neutral = charts.chart_from_series(plan, plan.measure("hate-crime"), rows)
    assert ("2014-02", "neither") in _variations(neutral)
    assert all(v == "neither" for _, v in _variations(neutral))
    # a detection rate, higher is better: an unusually high month is an improvement
    periods = _periods(2014, 16)
    detected = [10 + i % 3 for i in range(16)]
    detected[12] = 35
    rate_rows = [{"period": p, "value": 100 * d / 50, "numerator": d, "denominator": 50,
                  "responses": None} for p, d in zip(periods, detected, strict=True)]
    rate = charts.chart_from_series(plan, plan.measure("robbery-detections"), rate_rows)
    assert ("2015-01", "improvement") in _variations(rate)
    # a survey result, higher is better, with breaks and a baseline passed on
    values = [60.0 + (i % 3) for i in range(16)]
    values[13] = 90.0
    survey_rows = [{"period": p, "value": v, "numerator": None, "denominator": None,
                    "responses": 600} for p, v in zip(periods, values, strict=True)]
    survey = charts.chart_from_series(plan, plan.measure("confidence"), survey_rows,
                                      breaks=["2014-07"], baseline=("2014-01", "2014-04"))
    assert ("2015-02", "improvement") in _variations(survey)
    assert survey["breaks"] == [{"month": "2014-07", "reason": "set by the analyst"}]
    assert survey["baseline"] == ["2014-01", "2014-04"]
    sizes = [400.0] * 16
    expected = proportion_chart([v / 100 * 400 for v in values], sizes, periods,
                                better="higher", kind="proportion", min_size=50,
                                breaks=["2014-07"], baseline=("2014-01", "2014-04"),
                                size_name="effective responses").to_dict()
    assert [p["upper_limit"] for p in survey["points"]] == \
        [p["upper_limit"] for p in expected["points"]]
    unfixed = proportion_chart([v / 100 * 400 for v in values], sizes, periods,
                               better="higher", kind="proportion", min_size=50,
                               breaks=["2014-07"], size_name="effective responses").to_dict()
    assert [p["upper_limit"] for p in unfixed["points"]] != \
        [p["upper_limit"] for p in expected["points"]]
