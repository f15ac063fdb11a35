"""The measures engine on small, hand-computed fixtures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from paragon.geography.lpus import west_midlands_lsoas
from paragon.ingest.registry import ingest_paths
from paragon.measures.engine import compute
from paragon.measures.periods import financial_year_of, parse_year, year_bounds
from paragon.plan import Plan
from paragon.warehouse import Warehouse

CRIMES = """crime_reference,recorded_date,offence_code,hate_flag,business_flag,domestic_flag,lsoa_code,location,easting,northing,outcome_type,outcome_date
A1,2010-03-20,28E,N,N,N,E01008881,,,,charged_summonsed,2010-04-10
A2,2010-04-01,28E,N,N,N,E01008881,,,,caution,2010-05-01
A3,2010-06-15,28F,N,N,N,E01009946,,,,no_further_action,2010-07-01
A4,2011-03-31,28E,N,N,N,E01009946,,,,charged_summonsed,2011-04-02
A5,2010-12-01,34B,N,N,N,E01008881,,,,community_resolution,2011-01-05
A6,2011-04-01,28E,N,N,N,E01008881,,,,,
A7,2010-08-08,46,N,Y,N,E01008881,,,,penalty_notice,2010-08-09
A8,2010-09-09,8N,Y,N,Y,E01009946,,,,,
"""
SURVEY = """survey,respondent_id,interview_date,lpu_id,lsoa_code,victim_type,question_id,answer,weight
feeling-the-difference,1,2010-05-01,coventry,,,confidence_in_police,strongly_agree,2
feeling-the-difference,2,2010-05-01,coventry,,,confidence_in_police,tend_to_agree,1
feeling-the-difference,3,2010-06-01,dudley,,,confidence_in_police,tend_to_disagree,1
feeling-the-difference,4,2010-06-01,dudley,,,confidence_in_police,dont_know,5
feeling-the-difference,5,2011-06-01,dudley,,,confidence_in_police,strongly_agree,1
"""
YEAR = year_bounds("2010-11")


@pytest.fixture
def loaded(wh: Warehouse, plan: Plan, tmp_path: Path) -> Warehouse:
    (tmp_path / "c.csv").write_text(CRIMES, encoding="utf-8")
    (tmp_path / "s.csv").write_text(SURVEY, encoding="utf-8")
    ingest_paths(wh, [tmp_path / "c.csv", tmp_path / "s.csv"], plan)
    return wh


def test_financial_years() -> None:
    assert year_bounds("2010-11") == (date(2010, 4, 1), date(2011, 4, 1))
    assert financial_year_of(date(2011, 3, 31)) == "2010-11"
    assert financial_year_of(date(2011, 4, 1)) == "2011-12"
    with pytest.raises(Exception, match="not a financial year"):
        parse_year("2010-12")


def test_counts(loaded: Warehouse, plan: Plan) -> None:
    # Recorded 1 April 2010 to 31 March 2011: A2..A5, A7, A8.
    assert compute(loaded, plan, "total-recorded-crime", *YEAR).value == 6
    assert compute(loaded, plan, "burglary-dwelling", *YEAR).value == 3  # A2, A3, A4
    assert compute(loaded, plan, "business-crime", *YEAR).value == 1
    assert compute(loaded, plan, "hate-crime", *YEAR).value == 1
    assert compute(loaded, plan, "domestic-abuse", *YEAR).value == 1


def test_counts_by_lpu(loaded: Warehouse, plan: Plan) -> None:
    # E01008881 is in Birmingham East and E01009946 in Sandwell; A2, A5, A7 are in the first.
    lpus = {x.lsoa_code: x.lpu_id for x in west_midlands_lsoas()}
    assert (lpus["E01008881"], lpus["E01009946"]) == ("birmingham-east", "sandwell")
    assert compute(loaded, plan, "total-recorded-crime", *YEAR, lpu="birmingham-east").value == 3
    assert compute(loaded, plan, "total-recorded-crime", *YEAR, lpu="sandwell").value == 3


def test_detection_rate_is_detected_in_period_over_recorded_in_period(
    loaded: Warehouse, plan: Plan
) -> None:
    fig = compute(loaded, plan, "burglary-dwelling-detections", *YEAR)
    # Detected in the year: A1 (recorded in March 2010, charged in April 2010) and A2 (caution).
    # A3 was not detected; A4's charge came on 2 April 2011, after the year. Recorded: A2, A3, A4.
    assert (fig.numerator, fig.denominator) == (2, 3)
    assert fig.value == pytest.approx(200 / 3)
    # Cohort: of the three recorded in the year, A2 and A4 are detected by now.
    assert fig.cohort_detected == 2


def test_community_resolution_counts_as_resolved(loaded: Warehouse, plan: Plan) -> None:
    fig = compute(loaded, plan, "robbery-detections", *YEAR)
    assert (fig.numerator, fig.denominator) == (1, 1)


def test_weighted_survey_proportion(loaded: Warehouse, plan: Plan) -> None:
    fig = compute(loaded, plan, "confidence", *YEAR)
    # Valid answers (don't know excluded): weights 2 (agree), 1 (agree), 1 (disagree).
    assert fig.value == pytest.approx(75.0)
    assert fig.responses == 3
    assert fig.effective_n == pytest.approx(16 / 6)  # Kish: (sum w)^2 / sum w^2
    coventry = compute(loaded, plan, "confidence", *YEAR, lpu="coventry")
    assert coventry.value == pytest.approx(100.0)


def test_police_uk_only_force_counts_by_month_and_refuses_what_it_cannot_answer(
    wh: Warehouse, plan: Plan
) -> None:
    from paragon.measures.milestones import milestone_table

    street = Path(__file__).parent / "data/policeuk/street/2011-02-west-midlands-street.csv"
    ingest_paths(wh, [street], plan)
    feb = (date(2011, 2, 1), date(2011, 3, 1))
    total = compute(wh, plan, "total-recorded-crime", *feb)
    assert (total.value, total.source) == (25558 - 8728, "policeuk")
    assert compute(wh, plan, "robbery", *feb).value == 807
    assert compute(wh, plan, "vehicle-crime", *feb).value == 2358
    burglary = compute(wh, plan, "burglary-dwelling", *feb)
    assert burglary.value is None and "police.uk" in (burglary.note or "")
    detections = compute(wh, plan, "robbery-detections", *feb)
    assert detections.value is None and "detection" in (detections.note or "")
    rows = {
        r["title"]: r
        for r in milestone_table(wh, plan, "2010-11")
        if r["table"] == "reducing_crime"
    }
    # One month of data cannot say whether a year's milestone was met.
    assert rows["Robbery"]["coverage"] == "incomplete"
    assert rows["Robbery"]["status"] not in ("met", "missed")
    assert rows["Burglary dwelling"]["status"] == "data not available"


def test_year_beyond_the_data_is_no_data_not_zero(loaded: Warehouse, plan: Plan) -> None:
    from paragon.measures.milestones import milestone_table

    for row in milestone_table(loaded, plan, "2013-14"):
        assert row["value"] is None and row["status"] in ("no data", "data not available"), row[
            "title"
        ]


def test_detection_rate_above_100_percent_is_shown_not_crashed(
    wh: Warehouse, plan: Plan, tmp_path: Path
) -> None:
    from paragon.measures.milestones import milestone_table

    header = CRIMES.splitlines()[0]
    lines = [
        "D1,2010-03-20,34B,N,N,N,,,,,charged_summonsed,2010-04-05",
        "D2,2010-03-21,34B,N,N,N,,,,,charged_summonsed,2010-04-06",
        "D3,2010-06-01,34B,N,N,N,,,,,,",
        "D4,2011-03-31,34B,N,N,N,,,,,,",
        # a month is covered only when it has records: April, when the detections are dated
        "D5,2010-04-15,28E,N,N,N,,,,,,",
    ]
    (tmp_path / "d.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    ingest_paths(wh, [tmp_path / "d.csv"], plan)
    row = next(
        r for r in milestone_table(wh, plan, "2010-11") if r["measure"] == "robbery-detections"
    )
    assert (row["detected"], row["recorded"], row["value"]) == (2, 2, 100.0)
    fig = compute(wh, plan, "robbery-detections", date(2010, 4, 1), date(2010, 7, 1))
    assert fig.value == 200.0  # two detected, one recorded: footnote 6 allows it


def test_too_few_responses_are_not_judged(loaded: Warehouse, plan: Plan) -> None:
    from paragon.measures.milestones import milestone_table

    row = next(r for r in milestone_table(loaded, plan, "2010-11") if r["measure"] == "confidence")
    assert row["responses"] == 3
    assert row["status"] == "not enough responses"


def test_overdispersion_is_one_for_poisson_and_finds_extra_variation() -> None:
    import numpy as np

    from paragon.measures.assessment import overdispersion

    rng = np.random.default_rng(1)
    season = np.array([1.0, 1.1, 0.9, 1.2, 1.0, 0.95, 1.05, 1.1, 0.9, 0.85, 0.95, 1.0])
    poisson = [list(rng.poisson(800 * season)) for _ in range(3)]
    assert overdispersion(poisson) == pytest.approx(1.0, abs=0.6)
    # Negative binomial months with variance 5x the mean: phi should come out near 5.
    mean = 800 * season
    p = 1 / 5
    nb = [list(rng.negative_binomial(mean * p / (1 - p), p)) for _ in range(3)]
    assert 3.0 < overdispersion(nb) < 8.0
    assert overdispersion(poisson[:1]) == 1.0  # one year cannot tell


def test_overdispersion_widens_count_intervals(plan: Plan) -> None:
    from paragon.measures.assessment import value_interval
    from paragon.measures.engine import Figure

    fig = Figure("total-recorded-crime", "count", *YEAR, None, 10_000.0, 10_000.0)
    plain = value_interval(plan, plan.measure("total-recorded-crime"), fig)
    wide = value_interval(plan, plan.measure("total-recorded-crime"), fig, dispersion=4.0)
    assert (
        plain[0] is not None
        and plain[1] is not None
        and wide[0] is not None
        and wide[1] is not None
    )
    # Four times the variance: about twice the width.
    assert (wide[1] - wide[0]) / (plain[1] - plain[0]) == pytest.approx(2.0, rel=0.05)
