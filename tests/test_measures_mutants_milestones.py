"""The parts of paragon.measures.milestones that need no warehouse, value by value: which part of a
year the data covers, the months in words, comparison years, recomputed milestones, rule text,
flags, the status of a row and an unavailable row."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from paragon.errors import NotFoundError, ParagonError
from paragon.measures.assessment import closed_year, projection
from paragon.measures.availability import Coverage
from paragon.measures.engine import Components, Figure
from paragon.measures.milestones import (
    NO_LOCAL_MILESTONE,
    ROW_KEYS,
    Period,
    _against_label,
    _comparison_year,
    _flags,
    _round,
    _rule_text,
    _shifted,
    _status,
    covered_period,
    milestone_table,
    months_text,
    plan_years,
    recompute_milestone,
    round_half_up,
    unavailable_row,
)
from paragon.plan import Plan
from paragon.plan.schema import Milestone, MilestoneRow, Rule, YearEntry
from paragon.warehouse import Warehouse


def _months(first: date, n: int) -> list[date]:
    return [date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
            for i in range(n)]


def _cov(months: list[date]) -> Coverage:
    last = max(months)
    end = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return Coverage(min(months), end, "force", frozenset(months))


APR11 = date(2011, 4, 1)
APR12 = date(2012, 4, 1)


def test_covered_period_states() -> None:
    assert covered_period(None, "2011-12") == Period("2011-12", APR11, APR12, 0, "no data")
    assert covered_period(_cov(_months(date(2009, 1, 1), 6)), "2011-12") == \
        Period("2011-12", APR11, APR12, 0, "no data")
    whole = _months(APR11, 12)
    full = covered_period(_cov(_months(date(2010, 1, 1), 40)), "2011-12")
    assert full == Period("2011-12", APR11, APR12, 12, "complete", tuple(whole))
    assert not full.partial and full.expected == 12
    to_date = covered_period(_cov(_months(date(2010, 1, 1), 18)), "2011-12")
    assert to_date == Period("2011-12", APR11, date(2011, 7, 1), 3, "partial",
                             tuple(_months(APR11, 3)))
    assert to_date.partial and to_date.expected == 12
    one = covered_period(_cov(_months(APR11, 1)), "2011-12")
    assert one == Period("2011-12", APR11, date(2011, 5, 1), 1, "partial", (APR11,))
    # three months from April, then a gap and more data later: incomplete, not the year to date
    later = covered_period(_cov([*_months(APR11, 3), date(2012, 9, 1)]), "2011-12")
    assert later == Period("2011-12", APR11, APR12, 3, "incomplete", tuple(_months(APR11, 3)))
    assert not later.partial
    # data starting in May
    may = covered_period(_cov(_months(date(2011, 5, 1), 11)), "2011-12")
    assert may == Period("2011-12", APR11, APR12, 11, "incomplete",
                         tuple(_months(date(2011, 5, 1), 11)))
    # a month missing in the middle of the year
    gap = [m for m in _months(APR11, 12) if m != date(2011, 8, 1)]
    assert covered_period(_cov(gap), "2011-12").state == "incomplete"
    assert covered_period(_cov(gap), "2011-12").months == 11


def test_months_text() -> None:
    assert months_text([]) == ""
    assert months_text([date(2011, 2, 1)]) == "February 2011"
    assert months_text(tuple(_months(APR11, 3))) == "April to June 2011"
    assert months_text(_months(date(2011, 11, 1), 4)) == "November 2011 to February 2012"
    assert months_text([date(2011, 4, 1), date(2011, 5, 1), date(2011, 7, 1)]) == \
        "April to May 2011, July 2011"
    assert months_text([date(2011, 1, 1), date(2011, 12, 1)]) == "January 2011, December 2011"
    assert months_text([date(2011, 12, 1), date(2012, 1, 1)]) == \
        "December 2011 to January 2012"


def test_round_half_up_and_round() -> None:
    assert round_half_up(112.5) == 113.0 and round_half_up(-2.5) == -2.0
    assert round_half_up(0.49999) == 0.0 and isinstance(round_half_up(3), float)
    assert _round(None) is None
    assert _round(2.34567) == 2.346 and _round(2.3444) == 2.344
    five = _round(5)
    assert five == 5.0 and isinstance(five, float)
    assert _round(7.0) == 7.0 and _round(0.0) == 0.0


def test_shifted() -> None:
    period = Period("2011-12", APR11, date(2011, 7, 1), 3, "partial", tuple(_months(APR11, 3)))
    assert _shifted(period, 1) == Period("2010-11", date(2010, 4, 1), date(2010, 7, 1), 3,
                                         "partial", tuple(_months(date(2010, 4, 1), 3)))
    assert _shifted(period, 3) == Period("2008-09", date(2008, 4, 1), date(2008, 7, 1), 3,
                                         "partial", tuple(_months(date(2008, 4, 1), 3)))


def test_comparison_year_and_its_label(plan: Plan) -> None:
    rows = {r.measure: r for r in plan.milestones}
    total = rows["total-recorded-crime"]
    assert _comparison_year(total, "2010-11", total.years["2010-11"]) == "baseline"
    assert _comparison_year(total, "2011-12", total.years["2011-12"]) == "2010-11"
    burglary = rows["burglary-dwelling"]  # no change rule in 2010-11, but a published figure
    assert _comparison_year(burglary, "2010-11", burglary.years["2010-11"]) == "baseline"
    assert _comparison_year(burglary, "2013-14", None) == "2012-13"
    assert _comparison_year(burglary, "2013-14", YearEntry()) == "2012-13"
    no_base = burglary.model_copy(update={"baseline": None})
    assert _comparison_year(no_base, "2010-11", burglary.years["2010-11"]) == "2009-10"
    confidence = rows["confidence"]
    assert _comparison_year(confidence, "2010-11", confidence.years["2010-11"]) == "2009-10"
    value_rule = rows["burglary-dwelling-detections"]
    assert _comparison_year(value_rule, "2011-12", value_rule.years["2011-12"]) == "2010-11"
    assert _against_label(total, "baseline") == "2007-08"
    assert _against_label(confidence, "baseline") == "baseline"
    assert _against_label(total, "2010-11") == "2010-11"


def _entry(rule: Rule, value: float | None = None) -> YearEntry:
    return YearEntry(milestone=Milestone(published="x", value=value, rule=rule))


def test_recompute_milestone() -> None:
    assert recompute_milestone(None, 100) is None
    assert recompute_milestone(YearEntry(), 100) is None
    assert recompute_milestone(_entry(Rule(type="value", value=88), 88), 5) == 88
    change = _entry(Rule(type="change", pct=-10, against="2010-11"), 1)
    assert recompute_milestone(change, 125) == 113.0  # 112.5 rounds half up
    assert recompute_milestone(change, 18_030) == 16_227.0
    plus = _entry(Rule(type="change", pct=7, against="baseline"), 1)
    assert recompute_milestone(plus, 1_000) == 1_070.0
    assert recompute_milestone(change, None) is None
    assert recompute_milestone(_entry(Rule(type="benchmark")), 100) is None
    assert recompute_milestone(_entry(Rule(type="not_available")), 100) is None


def test_rule_text() -> None:
    assert _rule_text(None) is None
    assert _rule_text(YearEntry()) is None
    assert _rule_text(_entry(Rule(type="change", pct=-7, against="2010-11"), 1)) == \
        "-7% on 2010-11"
    assert _rule_text(_entry(Rule(type="change", pct=2.5, against="baseline"), 1)) == \
        "+2.5% on baseline"
    assert _rule_text(_entry(Rule(type="value", value=88), 88)) == "88"
    assert _rule_text(_entry(Rule(type="value", value=12.5), 12.5)) == "12.5"
    assert _rule_text(_entry(Rule(type="benchmark"))) == "benchmark"
    assert _rule_text(_entry(Rule(type="not_available"))) == "not available"


def test_plan_years(plan: Plan) -> None:
    assert plan_years(plan) == ["2010-11", "2011-12", "2012-13", "2013-14", "2014-15"]
    short = plan.model_copy(update={"first_year": "2012-13", "last_year": "2013-14"})
    assert plan_years(short) == ["2010-11", "2011-12", "2012-13", "2013-14"]
    row = plan.milestones[0]
    extra = row.model_copy(update={"years": {**row.years, "2016-17": YearEntry(),
                                              "2017-18": _entry(Rule(type="value", value=1), 1)}})
    wider = short.model_copy(update={"milestones": [extra, *plan.milestones[1:]]})
    assert plan_years(wider) == ["2010-11", "2011-12", "2012-13", "2013-14", "2017-18"]


def _perf(value: float, count: int | None = None,
          change_pct: float | None = None) -> SimpleNamespace:
    return SimpleNamespace(value=value, published=f"{value:g}", count=count,
                           change_pct=change_pct)


def _out(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"value": None, "change_pct": None, "baseline": None,
                            "baseline_computed": None, "milestone": None,
                            "milestone_recomputed": None, "partial_year": False}
    return {**base, **kw}


def test_flags_on_the_published_figures(plan: Plan) -> None:
    count = plan.measure("burglary-dwelling")
    rate = plan.measure("burglary-dwelling-detections")
    assert _flags(_out(value=1000.0), None, count) == \
        {"performance_matches": None, "milestone_matches_rule": None, "flags": []}
    assert _flags(_out(value=1000.0), _perf(1000), count)["performance_matches"] is True
    assert _flags(_out(value=None), _perf(1000), count) == \
        {"performance_matches": True, "milestone_matches_rule": None, "flags": []}
    assert _flags(_out(value=1001.0), _perf(1000), count) == {
        "performance_matches": False, "milestone_matches_rule": None,
        "flags": ["computed 1,001.0 but the plan published 1000"]}
    # a rate is compared at the plan's one decimal place, rounded half up
    assert _flags(_out(value=45.25), _perf(45.3), rate)["flags"] == []
    assert _flags(_out(value=45.24), _perf(45.3), rate)["flags"] == \
        ["computed 45.24 but the plan published 45.3"]
    assert _flags(_out(value=45.25), _perf(45.25), rate)["performance_matches"] is False
    assert _flags(_out(value=45.0, detected=10), _perf(45.0, count=11), rate)["flags"] == \
        ["computed 10 detections, the plan published 11"]
    assert _flags(_out(value=45.0, detected=11), _perf(45.0, count=11), rate)["flags"] == []
    assert _flags(_out(value=45.0), _perf(45.0, count=11), rate)["flags"] == \
        ["computed None detections, the plan published 11"]
    # the change, at one decimal place rounded half up
    assert _flags(_out(value=1.0, change_pct=-7.05), _perf(1, change_pct=-7.0),
                  count)["flags"] == []
    assert _flags(_out(value=1.0, change_pct=-7.06), _perf(1, change_pct=-7.0),
                  count)["flags"] == ["computed change -7.1%, the plan published -7.0%"]
    assert _flags(_out(value=1.0, change_pct=2.0), _perf(1, change_pct=1.5), count)["flags"] \
        == ["computed change +2.0%, the plan published +1.5%"]
    assert _flags(_out(value=1.0, change_pct=None), _perf(1, change_pct=1.5),
                  count)["flags"] == []
    assert _flags(_out(value=1.0, change_pct=9.0), _perf(1), count)["flags"] == []


def test_flags_on_the_baseline_and_the_rules(plan: Plan) -> None:
    count = plan.measure("burglary-dwelling")
    rate = plan.measure("burglary-dwelling-detections")
    assert _flags(_out(baseline=18030.0, baseline_computed=18031.0), None, count)["flags"] == \
        ["baseline computed 18,031, published 18,030"]
    assert _flags(_out(baseline=18030.0, baseline_computed=18030.0), None, count)["flags"] == []
    assert _flags(_out(baseline=18030.0), None, count)["flags"] == []
    assert _flags(_out(baseline_computed=5.0), None, count)["flags"] == []
    assert _flags(_out(milestone=930.0, milestone_recomputed=931.0), None, count) == {
        "performance_matches": None, "milestone_matches_rule": False,
        "flags": ["the milestone's rule gives 931; the plan printed 930"]}
    assert _flags(_out(milestone=930.0, milestone_recomputed=930.0), None,
                  count)["milestone_matches_rule"] is True
    assert _flags(_out(milestone=930.0), None, count)["milestone_matches_rule"] is None
    assert _flags(_out(milestone_recomputed=930.0), None, count)["milestone_matches_rule"] is None
    # 17% of 1,000 offences is 170 detections
    implied = _out(milestone=17.0, milestone_count_published=171, recorded=1000.0)
    assert _flags(implied, None, rate)["flags"] == \
        ["17% of the 1,000 offences recorded is 170; the plan printed 171"]
    assert _flags({**implied, "milestone_count_published": 170}, None, rate)["flags"] == []
    assert _flags({**implied, "partial_year": True}, None, rate)["flags"] == []
    assert _flags({**implied, "recorded": 0.0}, None, rate)["flags"] == []
    assert _flags({**implied, "milestone": None}, None, rate)["flags"] == []
    half = _out(milestone=17.5, milestone_count_published=176, recorded=1002.0)  # 175.35
    assert _flags(half, None, rate)["flags"] == \
        ["17.5% of the 1,002 offences recorded is 175; the plan printed 176"]
    up = _out(milestone=10.0, milestone_count_published=101, recorded=1005.0)  # 100.5 -> 101
    assert _flags(up, None, rate)["flags"] == []
    both = _flags(_out(value=2.0, milestone=1.0, milestone_recomputed=2.0), _perf(1), count)
    assert both["flags"] == ["computed 2.0 but the plan published 1",
                             "the milestone's rule gives 2; the plan printed 1"]


def _fig(kind: str, value: float | None, note: str | None = None, **kw: Any) -> Figure:
    return Figure("m", kind, APR11, APR12, None, value, note=note, **kw)


def test_status(plan: Plan) -> None:
    count = plan.measure("burglary-dwelling")
    survey = plan.measure("confidence")
    complete = Period("2011-12", APR11, APR12, 12, "complete", tuple(_months(APR11, 12)))
    args: tuple[Any, ...] = ({}, [], 1.0)
    assert _status(plan, count, _fig("count", None, "no police.uk category"), complete, 10.0,
                   *args) == {"status": "data not available"}
    assert _status(plan, count, _fig("count", None), complete, 10.0, *args) == \
        {"status": "no data"}
    assert _status(plan, survey, _fig("survey_proportion", 70.0, responses=60), complete, 65.0,
                   *args) == {"status": "not enough responses"}
    incomplete = Period("2011-12", APR11, APR12, 11, "incomplete", tuple(_months(APR11, 11)))
    assert _status(plan, count, _fig("count", 100.0), incomplete, 10.0, *args) == \
        {"status": "incomplete data"}
    assert _status(plan, count, _fig("count", 100.0), complete, None, *args) == {"status": None}
    neutral = plan.measure("hate-crime")
    assert _status(plan, neutral, _fig("count", 100.0), complete, 90.0, *args) == \
        {"status": "no direction set"}
    fig = _fig("count", 130.0)
    assert _status(plan, count, fig, complete, 100.0, {}, [], 2.0) == \
        closed_year(plan, count, fig, 100.0, "lower", 2.0)
    assert _status(plan, count, fig, complete, 100.0, {}, [], 2.0)["status"] == "missed"
    partial = Period("2011-12", APR11, date(2011, 7, 1), 3, "partial", tuple(_months(APR11, 3)))
    months = {APR11: Components(numerator=30.0), date(2011, 6, 1): Components(numerator=20.0)}
    history = [[30.0] * 12, [28.0] * 12]
    got = _status(plan, count, _fig("count", 50.0), partial, 300.0, months, history, 1.0)
    assert got == projection(plan, count, _fig("count", 50.0), 300.0, "lower", [30.0, 0.0, 20.0],
                             history, 1.0)
    assert got["status"] == "in progress" and got["projected"] is not None
    higher = plan.measure("burglary-dwelling-detections")
    rate = _fig("detection_rate", 30.0, numerator=30.0, denominator=100.0)
    assert _status(plan, higher, rate, complete, 25.0, *args) == \
        closed_year(plan, higher, rate, 25.0, "higher", 1.0)


def test_unavailable_row(plan: Plan) -> None:
    rows = {r.measure: r for r in plan.milestones}
    row = rows["total-recorded-crime"]
    out = unavailable_row(plan, row, "2011-12", None, "no data for it")
    assert list(out) == list(ROW_KEYS)
    entry = row.years["2011-12"]
    assert entry.milestone is not None
    set_keys = {
        "table": "reducing_crime", "title": row.title, "measure": "total-recorded-crime",
        "kind": "count", "better": "lower", "year": "2011-12", "lpu": None,
        "period_start": "2011-04-01", "period_end": "2012-04-01", "months": 0,
        "months_covered": 0, "months_expected": 12, "partial_year": False,
        "coverage": "no data", "note": "no data for it", "unit": "count",
        "baseline_year": "2007-08", "baseline": 247927.0,
        "milestone_published": entry.milestone.published, "milestone_rule": "-7% on 2010-11",
        "milestone": entry.milestone.value, "footnotes": row.footnotes, "flags": [],
        "status": "data not available",
    }
    assert out == {**dict.fromkeys(ROW_KEYS), **set_keys}
    local = unavailable_row(plan, row, "2011-12", "dudley", "why")
    assert local["baseline"] is None and local["baseline_year"] == "2007-08"
    assert local["milestone"] is None and local["milestone_rule"] is None
    assert local["milestone_published"] is None and local["lpu"] == "dudley"
    lpu_ms = Milestone(published="5%", value=5.0, rule=Rule(type="value", value=5.0))
    with_lpu = row.model_copy(update={"years": {
        "2011-12": entry.model_copy(update={"lpus": {"dudley": lpu_ms}})}})
    mine = unavailable_row(plan, with_lpu, "2011-12", "dudley", "why")
    assert (mine["milestone"], mine["milestone_rule"], mine["milestone_published"]) == \
        (5.0, "5", "5%")
    rate = unavailable_row(plan, rows["confidence"], "2013-14", None, "r")
    assert rate["unit"] == "percent" and rate["baseline_year"] is None
    assert rate["milestone"] is None and rate["milestone_rule"] is None
    assert rate["period_start"] == "2013-04-01" and rate["period_end"] == "2014-04-01"


def test_milestone_table_refuses_a_year_or_lpu_the_plan_lacks(wh: Warehouse,
                                                               plan: Plan) -> None:
    with pytest.raises(ParagonError) as err:
        milestone_table(wh, plan, "2020-21")
    assert str(err.value) == ("the plan has no year 2020-21: its years are 2010-11, 2011-12, "
                              "2012-13, 2013-14, 2014-15")
    with pytest.raises(ParagonError, match="not a financial year"):
        milestone_table(wh, plan, "2020-22")
    with pytest.raises(NotFoundError):
        milestone_table(wh, plan, "2011-12", "nowhere")
    empty = plan.model_copy(update={"milestones": [], "first_year": "2011-12",
                                    "last_year": "2010-11"})
    with pytest.raises(ParagonError) as none:
        milestone_table(wh, empty, "2011-12")
    assert str(none.value) == "the plan has no year 2011-12: its years are none"
    rows = milestone_table(wh, plan, "2011-12")
    assert [r["measure"] for r in rows] == [r.measure for r in plan.milestones]
    assert all(r["coverage"] == "no data" for r in rows)
    assert NO_LOCAL_MILESTONE == "no local milestone"


def test_milestone_row_keys_match_the_unavailable_row(wh: Warehouse, plan: Plan) -> None:
    row: MilestoneRow = plan.milestones[0]
    out = milestone_table(wh, plan, "2011-12", "dudley")
    # no projection for a year without data: no projection_note
    assert set(out[0]) == (set(ROW_KEYS) - {"projection_note"}) | {"responses", "effective_n"}
    assert out[0]["measure"] == row.measure and out[0]["lpu"] == "dudley"
