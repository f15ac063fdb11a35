"""Milestone rules that small changes would silently break: half-up rounding of a recomputed
milestone, detection-rate changes per offence recorded, whole months of data, and which earlier
years feed the projection."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from paragon.ingest.registry import ingest_paths
from paragon.measures.assessment import change
from paragon.measures.availability import coverage, data_end
from paragon.measures.engine import Figure
from paragon.measures.milestones import _history, covered_period, recompute_milestone, round_half_up
from paragon.plan import Plan
from paragon.plan.schema import Milestone, Rule, YearEntry
from paragon.warehouse import Warehouse

STREET = Path(__file__).parent / "data" / "policeuk" / "street" / "2011-02-west-midlands-street.csv"
HEADER = ("crime_reference,recorded_date,offence_code,hate_flag,business_flag,domestic_flag,"
          "lsoa_code,location,easting,northing,outcome_type,outcome_date")


def test_round_half_up_is_not_bankers_rounding() -> None:
    assert [round_half_up(v) for v in (0.5, 1.5, 2.5, 223_132.5, 2.4999, -0.5)] == [
        1.0, 2.0, 3.0, 223_133.0, 2.0, 0.0]


def test_a_change_rule_on_a_half_rounds_up() -> None:
    # -10% on 247,925 is 223,132.5: the plan's convention prints 223,133 (round() would give
    # 223,132, the even neighbour).
    entry = YearEntry(milestone=Milestone(
        published="223,133", value=223_133, rule=Rule(type="change", pct=-10, against="2007-08")))
    assert recompute_milestone(entry, 247_925) == 223_133
    value = YearEntry(milestone=Milestone(published="7", value=7, rule=Rule(type="value", value=7)))
    assert recompute_milestone(value, None) == 7
    assert recompute_milestone(entry, None) is None and recompute_milestone(None, 5) is None


def _rate(detected: int, recorded: int, year: int) -> Figure:
    return Figure("burglary-dwelling-detections", "detection_rate", date(year, 4, 1),
                  date(year + 1, 4, 1), None, 100 * detected / recorded, detected, recorded)


def test_detection_rate_change_is_per_offence_recorded(plan: Plan) -> None:
    measure = plan.measure("burglary-dwelling-detections")
    # the same 200 detections from half as many offences: the rate doubled
    out = change(plan, measure, _rate(200, 1_000, 2011), _rate(200, 2_000, 2010))
    assert out["change_points"] == pytest.approx(10.0)
    assert out["change_pct"] == pytest.approx(100.0)
    assert out["change_significant"] is True and out["change_unit"] == "% of the rate"
    assert out["change_lower"] > 50
    # the same rate on different volumes: no change
    same = change(plan, measure, _rate(100, 1_000, 2011), _rate(200, 2_000, 2010))
    assert same["change_pct"] == pytest.approx(0.0) and same["change_significant"] is False


def test_police_uk_months_are_whole_months(wh: Warehouse, plan: Plan) -> None:
    # data.police.uk gives only the month (stored as its first day): the month is complete.
    ingest_paths(wh, [STREET], plan)
    cov = coverage(wh, plan, plan.measure("total-recorded-crime"))
    assert cov is not None and cov.source == "policeuk"
    assert sorted(cov.months) == [date(2011, 2, 1)]
    assert (cov.start, cov.end) == (date(2011, 2, 1), date(2011, 3, 1))
    assert data_end(wh, plan, plan.measure("total-recorded-crime")) == date(2011, 3, 1)


def _export(path: Path, last_day: int) -> Path:
    rows = [f"X{m}{d},2010-{m:02d}-{d:02d},28E,N,N,N,E01009946,,,,,"
            for m in (4, 5, 6) for d in (1, 10, 20)]
    rows.append(f"XL,2010-06-{last_day:02d},28E,N,N,N,E01009946,,,,,")
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("last_day", "end"), [(30, date(2010, 7, 1)), (29, date(2010, 6, 1))])
def test_a_force_export_ending_before_the_month_end_leaves_that_month_out(
    wh: Warehouse, plan: Plan, tmp_path: Path, last_day: int, end: date
) -> None:
    ingest_paths(wh, [_export(tmp_path / "crimes.csv", last_day)], plan)
    cov = coverage(wh, plan, plan.measure("total-recorded-crime"))
    assert cov is not None and cov.source != "policeuk"
    assert cov.end == end and cov.covers(date(2010, 6, 1)) == (last_day == 30)
    assert cov.covers(date(2010, 5, 17)) and not cov.covers(date(2010, 3, 1))
    assert cov.covered(date(2010, 5, 1), date(2010, 6, 1)) == [date(2010, 5, 1)]


def _years_file(path: Path, first: date, last: date) -> Path:
    """Two burglaries on the 1st and 28th of every month from ``first`` to ``last`` (inclusive),
    a third in the first month, and one on ``last``'s month end."""
    rows, m = [f"YFIRST,{first:%Y-%m}-15,28E,N,N,N,E01009946,,,,,"], first
    while m <= last:
        for d in (1, 28):
            rows.append(f"Y{m:%Y%m}{d},{m:%Y-%m}-{d:02d},28E,N,N,N,E01009946,,,,,")
        m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    rows.append(f"YEND,{last:%Y-%m}-{31 if last.month in (1, 3, 5, 7, 8, 10, 12) else 30},"
                "28E,N,N,N,E01009946,,,,,")
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_history_takes_the_complete_earlier_years_oldest_first(
    wh: Warehouse, plan: Plan, tmp_path: Path
) -> None:
    # April 2007 to September 2011: four complete years before 2011-12. Sandwell has two crimes a
    # month (three in April 2007), Birmingham East one.
    crimes = _years_file(tmp_path / "c.csv", date(2007, 4, 1), date(2011, 9, 1))
    east = tmp_path / "east.csv"
    east.write_text("\n".join([HEADER] + [
        f"E{y}{m:02d},{y}-{m:02d}-10,28E,N,N,N,E01008881,,,,,"
        for y in range(2007, 2012) for m in range(1, 13) if date(2007, 4, 1) <= date(y, m, 1)
        and date(y, m, 1) <= date(2011, 9, 1)]) + "\n", encoding="utf-8")
    ingest_paths(wh, [crimes, east], plan)
    measure = plan.measure("total-recorded-crime")
    cov = coverage(wh, plan, measure)
    period = covered_period(cov, "2011-12")
    assert period.state == "partial" and period.months == 6
    assert _history(wh, plan, measure, period, cov, None) == [[3.0] * 12] * 3  # the last three
    four = _history(wh, plan, measure, period, cov, None, most=4)
    assert four[0] == [4.0] + [3.0] * 11 and four[1:] == [[3.0] * 12] * 3  # oldest first
    assert _history(wh, plan, measure, period, cov, "sandwell") == [[2.0] * 12] * 3
    assert _history(wh, plan, measure, period, cov, "birmingham-east") == [[1.0] * 12] * 3
    # 2007-08 is the first year with data: for 2010-11 three complete years precede it, for
    # 2008-09 one
    assert len(_history(wh, plan, measure, covered_period(cov, "2010-11"), cov, None)) == 3
    assert len(_history(wh, plan, measure, covered_period(cov, "2008-09"), cov, None)) == 1


SURVEY = """survey,respondent_id,interview_date,lpu_id,lsoa_code,victim_type,question_id,answer,weight
feeling-the-difference,1,2010-05-03,coventry,,,confidence_in_police,strongly_agree,1
feeling-the-difference,2,2010-06-12,dudley,,,confidence_in_police,tend_to_agree,1
"""


def test_survey_months_are_whole_months_and_no_data_has_no_end(
    wh: Warehouse, plan: Plan, tmp_path: Path
) -> None:
    measure = plan.measure("confidence")
    assert coverage(wh, plan, measure) is None and data_end(wh, plan, measure) is None
    (tmp_path / "s.csv").write_text(SURVEY, encoding="utf-8")
    ingest_paths(wh, [tmp_path / "s.csv"], plan)
    cov = coverage(wh, plan, measure)
    assert cov is not None and cov.source == "survey"
    # the last interview on 12 June: June still counts (surveys are judged by whole months)
    assert sorted(cov.months) == [date(2010, 5, 1), date(2010, 6, 1)]
    assert data_end(wh, plan, measure) == date(2010, 7, 1)
    assert coverage(wh, plan, plan.measure("total-recorded-crime")) is None


def _count(value: int, year: int) -> Figure:
    return Figure("burglary-dwelling", "count", date(year, 4, 1), date(year + 1, 4, 1), None,
                  float(value))


def test_count_change_is_quasi_poisson_with_the_measures_dispersion(plan: Plan) -> None:
    from paragon.stats.counts import compare_counts

    measure = plan.measure("burglary-dwelling")
    now, then = _count(1_120, 2011), _count(1_000, 2010)
    plain = change(plan, measure, now, then)
    wide = change(plan, measure, now, then, dispersion=4.0)
    ref = compare_counts(1_000, 1_120, dispersion=4.0)
    assert (wide["change_p_value"], wide["change_lower"], wide["change_upper"]) == (
        ref.p_value, ref.percent_change_lower, ref.percent_change_upper)
    assert wide["change_test"] == ref.test_method and wide["change_dispersion"] == 4.0
    assert wide["change_unit"] == "%" and wide["change_points"] is None
    assert plain["change_significant"] is True and wide["change_significant"] is False
    assert plain["change_dispersion"] == 1.0 and plain["change_p_value"] < 0.05
    # a dispersion below 1 is never used to narrow the interval
    assert change(plan, measure, now, then, dispersion=0.5) == plain
    assert change(plan, measure, now, None)["change_pct"] is None
    assert change(plan, measure, now, Figure(
        "burglary-dwelling", "count", date(2010, 4, 1), date(2011, 4, 1), None, None)
    )["change_pct"] is None


def _survey(value: float, responses: int, year: int) -> Figure:
    return Figure("confidence", "survey_proportion", date(year, 4, 1), date(year + 1, 4, 1), None,
                  value, responses=responses)


def test_survey_change_is_newcombes_interval_on_effective_responses(plan: Plan) -> None:
    from paragon.stats.proportions import newcombe_difference

    measure = plan.measure("confidence")
    deff = plan.survey("feeling-the-difference").design_effect
    assert deff > 1
    out = change(plan, measure, _survey(80.0, 900, 2011), _survey(75.0, 800, 2010))
    ref = newcombe_difference(0.80, 900 / deff, 0.75, 800 / deff)
    assert ref.lower is not None and ref.upper is not None and ref.difference is not None
    assert out == {
        "change_pct": pytest.approx(100 * ref.difference),
        "change_lower": pytest.approx(100 * ref.lower),
        "change_upper": pytest.approx(100 * ref.upper),
        "change_unit": "percentage points",
        "change_significant": ref.significant,
        "change_p_value": None,
        "change_test": "Newcombe hybrid score interval",
        "change_dispersion": None,
        "change_points": pytest.approx(100 * ref.difference),
    }
    few = change(plan, measure, _survey(80.0, 20, 2011), _survey(75.0, 800, 2010))
    assert few["change_test"] == "not enough responses" and few["change_pct"] is None
