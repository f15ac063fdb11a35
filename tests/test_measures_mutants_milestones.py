"""The parts of paragon.measures.milestones that need no warehouse, value by value: which part of a
year the data covers, the months in words, comparison years, recomputed milestones, rule text,
flags, the status of a row and an unavailable row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scipy.stats import chi2

from paragon.errors import NotFoundError, ParagonError
from paragon.ingest.registry import ingest_paths
from paragon.measures import milestones
from paragon.measures.assessment import closed_year, overdispersion, projection
from paragon.measures.availability import Coverage, coverage
from paragon.measures.engine import Components, Figure, MeasureUnavailable
from paragon.measures.milestones import (
    NO_LOCAL_MILESTONE,
    ROW_KEYS,
    Period,
    _against_label,
    _comparison_year,
    _flags,
    _history,
    _round,
    _rule_text,
    _shifted,
    _status,
    covered_period,
    milestone_row,
    milestone_table,
    months_text,
    plan_years,
    recompute_milestone,
    round_half_up,
    unavailable_row,
)
from paragon.plan import Plan, default_plan
from paragon.plan.schema import CrimeSelect, Milestone, MilestoneRow, Rule, YearEntry
from paragon.stats.counts import compare_counts
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


def test_comparison_year_follows_a_change_rule_of_any_table(plan: Plan) -> None:
    confidence = next(r for r in plan.milestones if r.measure == "confidence")
    rule = _entry(Rule(type="change", pct=5, against="2008-09"), 1)
    assert _comparison_year(confidence, "2011-12", rule) == "2008-09"
    # a value rule names no year: the year before
    assert _comparison_year(confidence, "2011-12", _entry(Rule(type="value", value=88), 88)) == \
        "2010-11"


def test_status_of_a_survey_and_with_overdispersed_counts(plan: Plan) -> None:
    survey = plan.measure("confidence")
    count = plan.measure("burglary-dwelling")
    complete = Period("2011-12", APR11, APR12, 12, "complete", tuple(_months(APR11, 12)))
    partial = Period("2011-12", APR11, date(2011, 7, 1), 3, "partial", tuple(_months(APR11, 3)))
    fig = _fig("survey_proportion", 80.0, numerator=160.0, denominator=200.0, responses=200)
    # a survey is judged on its responses divided by the survey's design effect (1.5)
    assert _status(plan, survey, fig, complete, 70.0, {}, [], 1.0) == \
        closed_year(plan, survey, fig, 70.0, "higher")
    assert _status(plan, survey, fig, complete, 70.0, {}, [], 1.0)["status"] == "met"
    assert _status(plan, survey, fig, partial, 70.0, {}, [], 1.0) == \
        projection(plan, survey, fig, 70.0, "higher", [0.0, 0.0, 0.0], [], 1.0)
    # 125 against a milestone of 100 is beyond noise for Poisson counts, not when the months vary
    # twice as much (about 62 against 50)
    over = _fig("count", 125.0)
    assert _status(plan, count, over, complete, 100.0, {}, [], 1.0)["beyond_noise"] is True
    assert _status(plan, count, over, complete, 100.0, {}, [], 2.0) == \
        {"status": "missed", "beyond_noise": False}
    months = {m: Components(numerator=v) for m, v in zip(_months(APR11, 3), (30.0, 0.0, 20.0),
                                                         strict=True)}
    history = [[30.0] * 12, [28.0] * 12]
    wide = _status(plan, count, _fig("count", 50.0), partial, 300.0, months, history, 3.0)
    narrow = _status(plan, count, _fig("count", 50.0), partial, 300.0, months, history, 1.0)
    assert wide == projection(plan, count, _fig("count", 50.0), 300.0, "lower",
                              [30.0, 0.0, 20.0], history, 3.0)
    assert wide["projected_95"][1] > narrow["projected_95"][1]


def test_unavailable_row_of_an_lpu_in_a_year_the_plan_gives_nothing(plan: Plan) -> None:
    row = next(r for r in plan.milestones if r.measure == "total-recorded-crime")
    out = unavailable_row(plan, row, "2013-14", "dudley", "why")
    assert (out["milestone"], out["milestone_published"], out["milestone_rule"]) == \
        (None, None, None)
    assert out["year"] == "2013-14" and out["status"] == "data not available"


# --- whole rows on a small warehouse --------------------------------------------------------------
# Domestic burglaries (28E, also in total recorded crime), April 2007 to June 2011: in a Sandwell
# LSOA 3, 3, 2, 1 and 1 a month in 2007-08 .. 2011-12, the first of every other month (April,
# June, ...) charged that month; in a Birmingham East LSOA 1 and 5 a month by turns, the turn
# changing every year; one in Coventry in October 2008. The last crime is on 30 June 2011.
# Survey: 80 answers to the confidence question in May and June 2009 and 2010, weights 1 and 2 by
# turns; 40 (2009) and 60 (2010) of the 80 agree: 60 and 90 of the weight of 120, 50% and 75%.

SANDWELL_A_MONTH = (3, 3, 2, 1, 1)
CRIME_HEADER = ("crime_reference,recorded_date,offence_code,hate_flag,business_flag,"
                "domestic_flag,lsoa_code,location,easting,northing,outcome_type,outcome_date")
SURVEY_HEADER = ("survey,respondent_id,interview_date,lpu_id,lsoa_code,victim_type,question_id,"
                 "answer,weight")


def _east(year: int, month: int) -> int:
    """Birmingham East's crimes in month ``month`` (0 = April) of year ``year`` (0 = 2007-08)."""
    return 1 if (month + year) % 2 == 0 else 5


def _force_months(year: int) -> list[float]:
    """The force's crimes by month of year ``year`` (0 = 2007-08), as worked out from the data."""
    return [float(SANDWELL_A_MONTH[year] + _east(year, m) + ((year, m) == (1, 6)))
            for m in range(12)]


def _data(folder: Path) -> list[Path]:
    crimes = [CRIME_HEADER]
    for year in range(5):
        for m, month in enumerate(_months(date(2007 + year, 4, 1), 12 if year < 4 else 3)):
            for i in range(SANDWELL_A_MONTH[year]):
                out = f"charged_summonsed,{month:%Y-%m}-20" if i == 0 and m % 2 == 0 else ","
                crimes.append(f"S{month:%Y%m}{i},{month:%Y-%m}-15,28E,N,N,N,E01009946,,,,{out}")
            for i in range(_east(year, m)):
                day = 30 if month == date(2011, 6, 1) else 15
                crimes.append(f"B{month:%Y%m}{i},{month:%Y-%m}-{day},28E,N,N,N,E01008881,,,,,")
    crimes.append("C1,2008-10-15,28E,N,N,N,E01009522,,,,,")
    survey = [SURVEY_HEADER]
    for year, agree in ((2009, 40), (2010, 60)):
        for r in range(80):
            answer = "tend_to_agree" if r < agree else "tend_to_disagree"
            survey.append(f"feeling-the-difference,{year}{r},{year}-{5 + r % 2:02d}-10,coventry,"
                          f",,confidence_in_police,{answer},{1 + r % 2}")
    (folder / "crimes.csv").write_text("\n".join(crimes) + "\n", encoding="utf-8")
    (folder / "survey.csv").write_text("\n".join(survey) + "\n", encoding="utf-8")
    return [folder / "crimes.csv", folder / "survey.csv"]


@pytest.fixture(scope="module")
def burglaries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    folder = tmp_path_factory.mktemp("milestone-rows")
    warehouse = Warehouse.open(folder / "rows.duckdb")
    ingest_paths(warehouse, _data(folder), default_plan())
    yield warehouse
    warehouse.close()


def _row(plan: Plan, of: str, **update: Any) -> MilestoneRow:
    row = next(r for r in plan.milestones if r.measure == of)
    return row.model_copy(update=update)


def _poisson_exact(count: int) -> tuple[float, float]:
    """Garwood's 95% interval from chi-squared quantiles (an independent reference)."""
    return chi2.ppf(0.025, 2 * count) / 2, chi2.ppf(0.975, 2 * count + 2) / 2


def test_a_closed_year_force_wide_row_value_by_value(burglaries: Warehouse, plan: Plan) -> None:
    out = milestone_row(burglaries, plan, _row(plan, "total-recorded-crime"), "2010-11")
    assert {k: out[k] for k in ("period_start", "period_end", "months", "months_text",
                                "partial_year", "coverage", "source", "note", "unit")} == {
        "period_start": "2010-04-01", "period_end": "2011-04-01", "months": 12,
        "months_text": "April 2010 to March 2011", "partial_year": False,
        "coverage": "complete", "source": "force", "note": None, "unit": "count"}
    assert out["value"] == 48.0  # Sandwell 12 + Birmingham East 6 x 1 + 6 x 5
    # the three earlier years' months vary more than Poisson counts: the interval is widened
    dispersion = overdispersion([_force_months(0), _force_months(1), _force_months(2)])
    assert dispersion == pytest.approx(1.0958, abs=1e-4)
    assert out["dispersion"] == 1.1
    lower, upper = _poisson_exact(44)  # 48 / 1.0958 = 43.8
    assert out["value_lower"] == pytest.approx(lower * dispersion, abs=1e-3)
    assert out["value_upper"] == pytest.approx(upper * dispersion, abs=1e-3)
    # the plan's published performance, baseline and milestone for the year
    assert (out["published_value"], out["published_text"], out["published_change_pct"]) == \
        (215368.0, "215,368 (-13.1%)", -13.1)
    assert (out["baseline_year"], out["baseline"], out["baseline_computed"]) == \
        ("2007-08", 247927.0, 72.0)
    assert (out["milestone_published"], out["milestone_rule"], out["milestone"]) == \
        ("223,135 (-10%)", "-10% on baseline", 223135.0)
    assert out["milestone_recomputed"] == 223134.0  # 247,927 less 10% is 223,134.3
    # the change is against the baseline year the milestone's rule names, quasi-Poisson
    assert (out["compared_with"], out["comparison_value"]) == ("2007-08", 72.0)
    ref = compare_counts(72, 48, dispersion=dispersion)
    assert out["change_pct"] == pytest.approx(-100 / 3)
    assert (out["change_lower"], out["change_upper"], out["change_p_value"]) == \
        (ref.percent_change_lower, ref.percent_change_upper, ref.p_value)
    assert out["change_dispersion"] == pytest.approx(dispersion)
    assert out["change_significant"] is True
    assert out["performance_matches"] is False and out["milestone_matches_rule"] is False
    assert out["flags"] == [
        "computed 48.0 but the plan published 215,368 (-13.1%)",
        "computed change -33.3%, the plan published -13.1%",
        "baseline computed 72, published 247,927",
        "the milestone's rule gives 223,134; the plan printed 223,135",
    ]
    assert (out["status"], out["beyond_noise"]) == ("met", True)


def test_a_year_to_date_row(burglaries: Warehouse, plan: Plan) -> None:
    out = milestone_row(burglaries, plan, _row(plan, "burglary-dwelling"), "2011-12")
    assert (out["coverage"], out["partial_year"], out["months_text"]) == \
        ("partial", True, "April to June 2011")
    assert out["value"] == 10.0  # Sandwell 3, Birmingham East 1 + 5 + 1
    assert out["compared_with"] == "2010-11 (same months: April to June 2010)"
    assert out["comparison_value"] == 14.0  # Sandwell 3, Birmingham East 5 + 1 + 5
    assert out["change_significant"] is False
    # no published performance for the year; its milestone is 10% below 2010-11's published
    # 19,139: 17,225.1
    assert (out["published_value"], out["published_text"]) == (None, None)
    assert (out["milestone"], out["milestone_recomputed"]) == (17225.0, 17225.0)
    assert out["milestone_matches_rule"] is True
    dispersion = overdispersion([_force_months(1), _force_months(2), _force_months(3)])
    assert out["dispersion"] == round(dispersion, 2) == 1.24
    assert out["status"] == "in progress"


def test_an_lpu_row_uses_the_lpus_own_figures(burglaries: Warehouse, plan: Plan) -> None:
    out = milestone_row(burglaries, plan, _row(plan, "total-recorded-crime"), "2010-11",
                        "sandwell")
    assert out["value"] == 12.0
    # Sandwell's months are the same all year: no overdispersion, the plain Poisson interval
    assert out["dispersion"] == 1.0
    assert (out["value_lower"], out["value_upper"]) == (6.201, 20.962)
    assert (out["baseline_year"], out["baseline"], out["baseline_computed"]) == \
        ("2007-08", None, 36.0)
    assert (out["compared_with"], out["comparison_value"]) == ("2007-08", 36.0)
    assert out["change_pct"] == pytest.approx(-200 / 3)
    assert out["change_dispersion"] == 1.0
    # the force's published figures are not the LPU's
    assert (out["published_value"], out["published_text"], out["published_change_pct"]) == \
        (None, None, None)
    assert out["performance_matches"] is None and out["flags"] == []
    assert (out["milestone"], out["status"]) == (None, NO_LOCAL_MILESTONE)
    # a year the plan gives nothing for, beyond the data
    later = milestone_row(burglaries, plan, _row(plan, "total-recorded-crime"), "2013-14",
                          "sandwell")
    assert (later["value"], later["months_text"], later["coverage"]) == (None, None, "no data")
    assert later["status"] == "no data"


def test_a_year_beyond_the_data(burglaries: Warehouse, plan: Plan) -> None:
    out = milestone_row(burglaries, plan, _row(plan, "total-recorded-crime"), "2012-13")
    assert (out["value"], out["source"], out["note"], out["months_text"]) == \
        (None, None, None, None)
    assert (out["coverage"], out["status"], out["comparison_value"]) == ("no data", "no data", None)
    # no earlier years are read for a year without data
    assert out["dispersion"] == 1.0


def test_a_detection_rate_row(burglaries: Warehouse, plan: Plan) -> None:
    out = milestone_row(burglaries, plan, _row(plan, "burglary-dwelling-detections"), "2010-11")
    # six detections (Sandwell, every other month) of 48 crimes recorded
    assert (out["detected"], out["recorded"], out["cohort_detected"]) == (6.0, 48.0, 6)
    assert (out["value"], out["unit"], out["dispersion"]) == (12.5, "percent", None)
    assert (out["published_count"], out["milestone_count_published"]) == (1688, 3254)
    # 2009-10: 6 of 60
    assert (out["compared_with"], out["comparison_value"]) == ("2009-10", 10.0)
    assert out["change_points"] == pytest.approx(2.5)
    assert out["flags"] == [
        "computed 12.5 but the plan published 1,688 (8.8%)",
        "computed 6.0 detections, the plan published 1688",
        "17% of the 48 offences recorded is 8; the plan printed 3,254",
    ]
    assert (out["status"], out["beyond_noise"]) == ("missed", False)


def test_a_survey_row_on_part_of_the_year(burglaries: Warehouse, plan: Plan) -> None:
    out = milestone_row(burglaries, plan, _row(plan, "confidence"), "2010-11")
    assert (out["coverage"], out["months_text"], out["unit"]) == \
        ("incomplete", "May to June 2010", "percent")
    assert (out["value"], out["responses"]) == (75.0, 80)
    assert out["effective_n"] == 72.0  # Kish: 120 squared over 40 x 1 + 40 x 4
    assert out["compared_with"] == "2009-10 (same months: May to June 2009)"
    assert out["comparison_value"] == 50.0
    assert out["change_pct"] == pytest.approx(25.0)
    assert out["change_test"] == "Newcombe hybrid score interval"
    # nothing on part of a year is called significant, or compared with the whole year's 84.5%
    assert out["change_significant"] is None
    assert (out["published_value"], out["dispersion"]) == (None, None)
    assert out["status"] == "incomplete data"


def test_a_milestone_without_a_target_is_named(burglaries: Warehouse, plan: Plan) -> None:
    burglary = _row(plan, "burglary-dwelling")  # 2010-11: N/A, with a published 19,139
    out = milestone_row(burglaries, plan, burglary, "2010-11")
    assert out["status"] == "not_available" and out["milestone"] is None
    assert out["published_value"] == 19139.0
    benchmark = burglary.model_copy(update={"years": {
        "2010-11": _entry(Rule(type="benchmark"))}})
    assert milestone_row(burglaries, plan, benchmark, "2010-11")["status"] == "benchmark"
    # no data: said, not hidden behind the kind of milestone
    rows = {r["measure"]: r for r in milestone_table(burglaries, plan, "2011-12")}
    assert rows["work-with-community"]["status"] == "no data"
    assert rows["total-recorded-crime"]["coverage"] == "partial"
    assert rows["confidence"]["coverage"] == "no data"


def test_comparisons_with_a_baseline_and_earlier_years(burglaries: Warehouse, plan: Plan) -> None:
    total = _row(plan, "total-recorded-crime")
    # a baseline year before the data: a closed year is compared with the published baseline
    early = total.model_copy(update={"baseline": total.baseline.model_copy(  # type: ignore[union-attr]
        update={"year": "2006-07", "value": 100.0})})
    out = milestone_row(burglaries, plan, early, "2010-11")
    assert (out["compared_with"], out["comparison_value"]) == ("2006-07 (published baseline)", 100.0)
    assert out["change_pct"] == pytest.approx(-52.0)
    assert out["milestone_recomputed"] == 90.0
    # ... never an LPU's figure or part of a year
    local = milestone_row(burglaries, plan, early, "2010-11", "sandwell")
    assert (local["compared_with"], local["comparison_value"], local["change_pct"]) == \
        ("2006-07", None, None)
    ytd = early.model_copy(update={"years": {
        "2011-12": _entry(Rule(type="change", pct=-10, against="baseline"), 90)}})
    part = milestone_row(burglaries, plan, ytd, "2011-12")
    assert (part["compared_with"], part["comparison_value"]) == ("2006-07", None)
    # a year is not compared with itself
    same = total.model_copy(update={"baseline": total.baseline.model_copy(  # type: ignore[union-attr]
        update={"year": "2010-11"})})
    itself = milestone_row(burglaries, plan, same, "2010-11")
    assert (itself["compared_with"], itself["comparison_value"], itself["change_pct"]) == \
        ("2010-11", None, None)
    assert itself["baseline_computed"] == 48.0
    # the year before the data: no comparison
    first = milestone_row(burglaries, plan, total, "2007-08")
    assert (first["compared_with"], first["comparison_value"]) == ("2006-07", None)
    assert first["value"] == 72.0


def test_a_rule_against_a_baseline_the_row_does_not_give(burglaries: Warehouse,
                                                         plan: Plan) -> None:
    # the plan's schema accepts it: the row is shown without a comparison or a recomputed
    # milestone, not refused (the whole table with it)
    total = _row(plan, "total-recorded-crime", baseline=None)
    out = milestone_row(burglaries, plan, total, "2010-11")
    assert (out["compared_with"], out["comparison_value"]) == ("baseline", None)
    assert (out["milestone"], out["milestone_recomputed"]) == (223135.0, None)
    assert out["milestone_matches_rule"] is None and out["status"] == "met"
    ms = Milestone(published="10", value=10.0, rule=Rule(type="change", pct=-10,
                                                         against="baseline"))
    entry = total.years["2010-11"].model_copy(update={"lpus": {"sandwell": ms}})
    mine = total.model_copy(update={"years": {"2010-11": entry}})
    local = milestone_row(burglaries, plan, mine, "2010-11", "sandwell")
    assert (local["milestone"], local["milestone_recomputed"], local["status"]) == \
        (10.0, None, "missed")
    # an LPU's milestone on a year is recomputed from the LPU's own figure for it: Sandwell's 24
    # in 2009-10, less 10%, is 21.6
    on_year = ms.model_copy(update={"rule": Rule(type="change", pct=-10, against="2009-10")})
    entry = total.years["2010-11"].model_copy(update={"lpus": {"sandwell": on_year}})
    year_rule = total.model_copy(update={"years": {"2010-11": entry}})
    on_2009 = milestone_row(burglaries, plan, year_rule, "2010-11", "sandwell")
    assert (on_2009["milestone_recomputed"], on_2009["milestone_matches_rule"]) == (22.0, False)
    assert (on_2009["compared_with"], on_2009["comparison_value"]) == ("2009-10", 24.0)
    # the force's row keeps its own rule's year
    assert milestone_row(burglaries, plan, year_rule, "2010-11")["compared_with"] == "baseline"
    # and on the row's baseline from the LPU's own baseline year: Sandwell's 36 in 2007-08, less
    # 10%, is 32.4
    with_base = mine.model_copy(update={"baseline": _row(plan, "total-recorded-crime").baseline})
    assert milestone_row(burglaries, plan, with_base, "2010-11", "sandwell")[
        "milestone_recomputed"] == 32.0


def test_a_measure_the_force_records_cannot_answer(burglaries: Warehouse, plan: Plan) -> None:
    # a measure of police.uk categories only, with the force's own records loaded: no value, the
    # reason, and no earlier years read for it
    measure = plan.measure("burglary-dwelling").model_copy(update={
        "id": "burglary-policeuk", "select": CrimeSelect(policeuk_categories=["Burglary"])})
    wider = plan.model_copy(update={"measures": [*plan.measures, measure]})
    row = _row(plan, "burglary-dwelling", measure="burglary-policeuk")
    out = milestone_row(burglaries, wider, row, "2010-11")
    assert (out["value"], out["coverage"], out["status"]) == \
        (None, "complete", "data not available")
    assert out["note"] == ("this measure selects police.uk categories only, and the force's own "
                           "records are loaded")
    assert out["dispersion"] == 1.0


def test_history_keeps_a_year_with_a_single_crime(burglaries: Warehouse, plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling")
    cov = coverage(burglaries, plan, measure)
    period = covered_period(cov, "2011-12")
    # Coventry: one crime in October 2008, none in 2009-10 or 2010-11
    assert _history(burglaries, plan, measure, period, cov, "coventry") == \
        [[0.0] * 6 + [1.0] + [0.0] * 5]


def test_milestone_table_shows_an_unavailable_measure_and_goes_on(
    wh: Warehouse, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_wh: Warehouse, _plan: Plan, row: MilestoneRow, *_: Any) -> dict[str, Any]:
        raise MeasureUnavailable(f"no {row.measure} here")

    monkeypatch.setattr(milestones, "milestone_row", refuse)
    ms = Milestone(published="5%", value=5.0, rule=Rule(type="value", value=5.0))
    total = _row(plan, "total-recorded-crime")
    local = total.model_copy(update={"years": {
        "2011-12": total.years["2011-12"].model_copy(update={"lpus": {"dudley": ms}})}})
    with_local = plan.model_copy(update={"milestones": [local, *plan.milestones[1:3]]})
    rows = milestone_table(wh, with_local, "2011-12", "dudley")
    assert [r["note"] for r in rows] == [
        "no total-recorded-crime here", "no deal-with-things-that-matter here",
        "no understand-issues here"]
    assert rows == [unavailable_row(with_local, r, "2011-12", "dudley", f"no {r.measure} here")
                    for r in with_local.milestones]
    assert (rows[0]["lpu"], rows[0]["milestone"], rows[0]["baseline"]) == ("dudley", 5.0, None)
