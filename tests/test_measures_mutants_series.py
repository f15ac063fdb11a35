"""paragon.measures.series on a small warehouse built once for the module: which months a series
holds (window, gaps, LPU, end), what each row says, and how the control chart is asked for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from paragon.errors import ParagonError
from paragon.ingest.registry import ingest_paths
from paragon.measures import charts
from paragon.measures.series import DEFAULT_MONTHS, control_chart, monthly_series
from paragon.plan import Plan, default_plan
from paragon.warehouse import Warehouse

HEADER = ("crime_reference,recorded_date,offence_code,hate_flag,business_flag,domestic_flag,"
          "lsoa_code,location,easting,northing,outcome_type,outcome_date\n")
EAST, SANDWELL = "E01008881", "E01009946"  # Birmingham East and Sandwell LSOAs
MONTHS = [date(2010 + (i + 6) // 12, (i + 6) % 12 + 1, 1) for i in range(42)]  # 2010-07 ..
GAP = date(2012, 6, 1)  # no crime at all: not covered
OTHER_ONLY = date(2012, 9, 1)  # a vehicle crime only: burglary 0, its detection rate undefined


def _east_burglaries(i: int) -> int:
    return i % 5 + 1


def _crimes() -> str:
    lines, n = [], 0
    for i, month in enumerate(MONTHS):
        if month == GAP:
            continue
        day = f"{month:%Y-%m}-10"
        if month == OTHER_ONLY:
            n += 1
            lines.append(f"C{n},{day},45,N,N,N,{EAST},,,,,")
            continue
        for k in range(_east_burglaries(i)):
            n += 1
            outcome = f"charged_summonsed,{day}" if k == 0 else ","
            lines.append(f"C{n},{day},28E,N,N,N,{EAST},,,,{outcome}")
        n += 1
        lines.append(f"C{n},{day},28F,N,N,N,{SANDWELL},,,,,")
    n += 1
    lines.append(f"C{n},2013-12-31,28E,N,N,N,{SANDWELL},,,,,")  # December 2013 is complete
    return HEADER + "\n".join(lines) + "\n"


SURVEY = ("survey,respondent_id,interview_date,lpu_id,lsoa_code,victim_type,question_id,answer,"
          "weight\n"
          "feeling-the-difference,1,2013-01-05,coventry,,,confidence_in_police,strongly_agree,2\n"
          "feeling-the-difference,2,2013-01-06,coventry,,,confidence_in_police,tend_to_disagree,1\n"
          "feeling-the-difference,3,2013-02-05,dudley,,,confidence_in_police,tend_to_agree,1\n"
          "feeling-the-difference,4,2013-02-28,dudley,,,confidence_in_police,dont_know,1\n")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return default_plan()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> Iterator[Warehouse]:
    folder = tmp_path_factory.mktemp("series")
    (folder / "c.csv").write_text(_crimes(), encoding="utf-8")
    (folder / "s.csv").write_text(SURVEY, encoding="utf-8")
    wh = Warehouse.open(folder / "w.duckdb")
    ingest_paths(wh, [folder / "c.csv", folder / "s.csv"], plan)
    yield wh
    wh.close()


def _label(month: date) -> str:
    return f"{month:%Y-%m}"


def _burglary_rows(lpu: str | None = None) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i, month in enumerate(MONTHS):
        if month == GAP:
            continue
        if month == OTHER_ONLY:
            count = 0
        else:
            count = {None: _east_burglaries(i) + 1, "birmingham-east": _east_burglaries(i),
                     "sandwell": 1}[lpu]
        if month == MONTHS[-1] and lpu != "birmingham-east":
            count += 1
        out.append({"period": _label(month), "value": count, "numerator": count,
                    "denominator": None, "responses": None})
    return out


def test_default_window_is_three_years_and_leaves_the_gap_out(
        warehouse: Warehouse, plan: Plan) -> None:
    assert DEFAULT_MONTHS == 36
    rows = monthly_series(warehouse, plan, "burglary-dwelling")
    assert rows == [r for r in _burglary_rows() if str(r["period"]) >= "2011-01"]
    assert len(rows) == 35 and "2012-06" not in [r["period"] for r in rows]
    assert rows == monthly_series(warehouse, plan, "burglary-dwelling", None, 36)


def test_the_window_ends_with_the_data_or_at_end(warehouse: Warehouse, plan: Plan) -> None:
    assert monthly_series(warehouse, plan, "burglary-dwelling", months=6) == \
        _burglary_rows()[-6:]
    assert monthly_series(warehouse, plan, "burglary-dwelling", months=1) == \
        _burglary_rows()[-1:]
    # [2012-04, 2012-07): April, May; June is a gap
    got = monthly_series(warehouse, plan, "burglary-dwelling", months=3, end=date(2012, 7, 1))
    assert [r["period"] for r in got] == ["2012-04", "2012-05"]
    assert monthly_series(warehouse, plan, "burglary-dwelling", end=date(2010, 7, 1)) == []
    assert [r["period"] for r in monthly_series(warehouse, plan, "burglary-dwelling", months=60)]\
        == [r["period"] for r in _burglary_rows()]  # never before the first month of data
    assert monthly_series(warehouse, plan, "burglary-dwelling", months=0) == []


def test_by_lpu(warehouse: Warehouse, plan: Plan) -> None:
    east = monthly_series(warehouse, plan, "burglary-dwelling", "birmingham-east", 60)
    assert east == _burglary_rows("birmingham-east")
    assert monthly_series(warehouse, plan, "burglary-dwelling", "sandwell", 60) == \
        _burglary_rows("sandwell")


def test_detection_rate_rows_round_to_three_places_and_skip_undefined_months(
        warehouse: Warehouse, plan: Plan) -> None:
    rows = monthly_series(warehouse, plan, "burglary-dwelling-detections", months=12)
    want = []
    for i, month in enumerate(MONTHS[-12:], start=len(MONTHS) - 12):
        recorded = _east_burglaries(i) + 1 + (month == MONTHS[-1])
        want.append({"period": _label(month), "value": round(100 / recorded, 3),
                     "numerator": 1, "denominator": recorded, "responses": None})
    assert rows == want
    assert rows[1]["value"] == 33.333  # 1 of 3
    every = monthly_series(warehouse, plan, "burglary-dwelling-detections", months=60)
    assert [r["period"] for r in every] == \
        [_label(m) for m in MONTHS if m not in (GAP, OTHER_ONLY)]


def test_survey_rows_carry_their_responses(warehouse: Warehouse, plan: Plan) -> None:
    rows = monthly_series(warehouse, plan, "confidence")
    assert rows == [
        {"period": "2013-01", "value": 66.667, "numerator": 2.0, "denominator": 3.0,
         "responses": 2},  # weighted: 2 of 2 + 1
        {"period": "2013-02", "value": 100.0, "numerator": 1.0, "denominator": 1.0,
         "responses": 1},  # "don't know" is no response
    ]


def test_no_data_is_refused_with_the_reason(warehouse: Warehouse, plan: Plan) -> None:
    with pytest.raises(ParagonError) as err:
        monthly_series(warehouse, plan, "satisfaction-actions-crime")
    assert str(err.value) == \
        "no data for measure 'satisfaction-actions-crime': ingest some first"


def test_count_chart_reads_five_years_of_history(warehouse: Warehouse, plan: Plan) -> None:
    got = control_chart(warehouse, plan, "burglary-dwelling", months=12)
    history = monthly_series(warehouse, plan, "burglary-dwelling", None, 60)
    measure = plan.measure("burglary-dwelling")
    want = charts.chart_from_series(plan, measure, history, show_from="2013-01")
    assert got == {**want, "lpu": None,
                   "rare_events": charts.rare_events(warehouse, plan, measure, want)}
    assert got["rare_events"]["method"] == "g"  # a few burglaries a month: days between them
    assert got["points"][0]["period"] == "2013-01"
    short = charts.chart_from_series(
        plan, measure, monthly_series(warehouse, plan, "burglary-dwelling", None, 12),
        show_from="2013-01")
    assert got["seasonal"] != short["seasonal"]


def test_rate_chart_reads_only_its_window_with_breaks_and_baseline(
        warehouse: Warehouse, plan: Plan) -> None:
    got = control_chart(warehouse, plan, "burglary-dwelling-detections", "birmingham-east", 12,
                        breaks=["2013-07", "2013-04"], recorded=[("2013-05", "new system")],
                        baseline=("2013-01", "2013-03"))
    rows = monthly_series(warehouse, plan, "burglary-dwelling-detections", "birmingham-east", 12)
    want = charts.chart_from_series(plan, plan.measure("burglary-dwelling-detections"), rows,
                                    show_from="2013-01",
                                    breaks=[("2013-05", "new system"), "2013-04", "2013-07"],
                                    baseline=("2013-01", "2013-03"))
    assert got == {**want, "lpu": "birmingham-east", "rare_events": None}
    assert got["breaks"] == [{"month": "2013-04", "reason": "set by the analyst"},
                             {"month": "2013-05", "reason": "new system"},
                             {"month": "2013-07", "reason": "set by the analyst"}]
    assert got["baseline"] == ["2013-01", "2013-03"]
    with pytest.raises(ParagonError, match="a break is a month like 2016-10, not '2013-13'"):
        control_chart(warehouse, plan, "burglary-dwelling-detections", breaks=["2013-13"])


def test_a_chart_needs_two_months(warehouse: Warehouse, plan: Plan) -> None:
    two = control_chart(warehouse, plan, "confidence")
    assert [p["period"] for p in two["points"]] == ["2013-01", "2013-02"]
    assert two["lpu"] is None and two["method"] == "none"  # too few responses to judge
    with pytest.raises(ParagonError) as err:
        control_chart(warehouse, plan, "confidence", months=1)
    assert str(err.value) == "measure 'confidence' has fewer than 2 months of data"


def test_a_crime_measure_without_crimes_says_to_ingest(wh: Warehouse, plan: Plan) -> None:
    with pytest.raises(ParagonError) as err:
        monthly_series(wh, plan, "burglary-dwelling")
    assert str(err.value) == "no data for measure 'burglary-dwelling': ingest some first"
