"""paragon.measures.outcomes value by value, on small Greater Manchester warehouses written here
(every expected number counted by hand from the rows below): the force chosen, detections by
month, type and LPU, the lag from crime to outcome and its explanation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from paragon.errors import NotFoundError
from paragon.ingest.registry import ingest_paths
from paragon.measures import outcomes as oc
from paragon.measures.engine import Components, MeasureUnavailable
from paragon.plan import Plan, parse_plan
from paragon.plan.init import starter_plan_text
from paragon.warehouse import Warehouse

HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,{}\n")
GMP = "Greater Manchester Police"
# a point in Bolton (LSOA E01004771) and one in Manchester (LSOA E01033658)
PLACES = {"bolton": ("-2.438828,53.612133", "E01004771"),
          "manchester": ("-2.2426,53.4808", "E01033658")}
CHARGED, CAUTION = "Suspect charged", "Offender given a caution"
NO_SUSPECT, PRISON = "Investigation complete; no suspect identified", "Offender sent to prison"
JAN, FEB, MAR, APR = (date(2016, m, 1) for m in (1, 2, 3, 4))


def _street(crime: str, month: str, lpu: str, crime_type: str) -> str:
    where, _ = PLACES[lpu]
    return f"{crime},{month},{GMP},{GMP},{where},On or near X,,,{crime_type},,\n"


def _outcome(crime: str, month: str, lpu: str, text: str, force: str = GMP) -> str:
    _, lsoa = PLACES[lpu]
    return f"{crime},{month},{force},{force},,,On or near X,{lsoa},,{text}\n"


def _lpu(i: int) -> str:
    return "bolton" if i <= 10 else "manchester"


@pytest.fixture(scope="module")
def gm() -> Plan:
    return parse_plan(starter_plan_text("greater-manchester", "2016-17"), "gm starter")


@pytest.fixture(scope="module")
def lagged(tmp_path_factory: pytest.TempPathFactory, gm: Plan) -> Iterator[Warehouse]:
    """Street files: January, C01-C20 robberies and C21-C30 burglaries (C01-C10 in Bolton, the
    rest in Manchester) and N1, a vehicle crime in Bolton; February, D1, a robbery in Bolton.
    Outcomes: January, C01-C27 charged; February, N1 no suspect, Z1 (no street row, Bolton)
    cautioned; March, C28-C30 cautioned and C01 sent to prison (a court result, not a
    detection)."""
    folder = tmp_path_factory.mktemp("lagged")
    jan = "".join(_street(f"C{i:02d}", "2016-01", _lpu(i), "Robbery" if i <= 20 else "Burglary")
                  for i in range(1, 31)) + _street("N1", "2016-01", "bolton", "Vehicle crime")
    files = {
        "2016-01-greater-manchester-street.csv": HEAD.format(
            "Crime type,Last outcome category,Context") + jan,
        "2016-02-greater-manchester-street.csv": HEAD.format(
            "Crime type,Last outcome category,Context") + _street("D1", "2016-02", "bolton",
                                                                   "Robbery"),
        "2016-01-greater-manchester-outcomes.csv": HEAD.format("Outcome type") + "".join(
            _outcome(f"C{i:02d}", "2016-01", _lpu(i), CHARGED) for i in range(1, 28)),
        "2016-02-greater-manchester-outcomes.csv": HEAD.format("Outcome type")
        + _outcome("N1", "2016-02", "bolton", NO_SUSPECT)
        + _outcome("Z1", "2016-02", "bolton", CAUTION),
        "2016-03-greater-manchester-outcomes.csv": HEAD.format("Outcome type") + "".join(
            _outcome(f"C{i:02d}", "2016-03", "manchester", CAUTION) for i in (28, 29, 30))
        + _outcome("C01", "2016-03", "bolton", PRISON),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    wh = Warehouse.open(folder / "w.duckdb")
    ingest_paths(wh, sorted(folder / name for name in files), gm)
    yield wh
    wh.close()


@pytest.fixture(scope="module")
def outcomes_only(tmp_path_factory: pytest.TempPathFactory, gm: Plan) -> Iterator[Warehouse]:
    """Outcomes files alone (no street file) for Kent and the City of London, January 2016."""
    folder = tmp_path_factory.mktemp("only")
    paths = []
    for force, name in (("kent", "Kent Police"), ("city-of-london", "City of London Police")):
        path = folder / f"2016-01-{force}-outcomes.csv"
        path.write_text(HEAD.format("Outcome type")
                        + _outcome("K1", "2016-01", "bolton", CHARGED, name), encoding="utf-8")
        paths.append(path)
    wh = Warehouse.open(folder / "w.duckdb")
    ingest_paths(wh, paths, gm)
    yield wh
    wh.close()


def test_forces_with_outcomes_and_the_force_chosen(lagged: Warehouse, outcomes_only: Warehouse,
                                                   wh: Warehouse) -> None:
    assert oc.outcome_forces(outcomes_only) == ["city-of-london", "kent"]
    assert oc.has_outcomes(outcomes_only, "kent") and not oc.has_outcomes(outcomes_only, "dorset")
    assert oc.choose_force(lagged, None, "greater-manchester") == ("greater-manchester", None)
    assert oc.choose_force(outcomes_only, "kent", "dorset") == ("kent", None)
    assert oc.choose_force(outcomes_only, None, "dorset") == (
        "city-of-london", "The plan's force (dorset) has no outcomes loaded; showing "
        "city-of-london (outcomes are loaded for: city-of-london, kent).")
    with pytest.raises(NotFoundError) as err:
        oc.choose_force(outcomes_only, "dorset", "kent")
    assert str(err.value) == ("no outcomes are loaded for force 'dorset' (loaded for: "
                              "city-of-london, kent)")
    with pytest.raises(NotFoundError) as err:
        oc.choose_force(wh, None, "kent")
    assert str(err.value) == "no police.uk outcomes files are loaded (paragon ingest FOLDER)"


def test_detection_months_of_one_crime_type(lagged: Warehouse, gm: Plan) -> None:
    robbery = gm.measure("robbery-detections")
    # January: 20 robberies recorded, all charged that month; February: D1 recorded, Z1's
    # caution is no robbery's; March has outcomes but no street file
    assert oc.detection_months(lagged, gm, robbery, JAN, APR) == {
        JAN: Components(20.0, 20.0, cohort_detected=20),
        FEB: Components(0.0, 1.0, cohort_detected=0)}
    # Bolton: C01-C10 in January, D1 in February
    assert oc.detection_months(lagged, gm, robbery, JAN, APR, "bolton") == {
        JAN: Components(10.0, 10.0, cohort_detected=10),
        FEB: Components(0.0, 1.0, cohort_detected=0)}


def test_detection_months_of_all_crime(lagged: Warehouse, gm: Plan) -> None:
    every = gm.measure("total-crime-detections")
    # first detections: C01-C27 January, Z1 February, C28-C30 March; recorded: 31 in January
    # (C01-C30, N1), 1 in February; of January's, C01-C30 are detected by now
    assert oc.detection_months(lagged, gm, every, JAN, APR) == {
        JAN: Components(27.0, 31.0, cohort_detected=30),
        FEB: Components(1.0, 1.0, cohort_detected=0),
        MAR: Components(3.0, 0.0, cohort_detected=0)}
    # Bolton, by the LSOA on the outcome row: C01-C10 in January and Z1 in February; recorded
    # C01-C10 and N1 in January, D1 in February
    assert oc.detection_months(lagged, gm, every, JAN, APR, "bolton") == {
        JAN: Components(10.0, 11.0, cohort_detected=10),
        FEB: Components(1.0, 1.0, cohort_detected=0),
        MAR: Components(0.0, 0.0, cohort_detected=0)}


def test_detection_months_refusals(lagged: Warehouse, outcomes_only: Warehouse, wh: Warehouse,
                                   gm: Plan) -> None:
    robbery, every = gm.measure("robbery-detections"), gm.measure("total-crime-detections")
    with pytest.raises(MeasureUnavailable) as err:
        oc.detection_months(wh, gm, robbery, JAN, APR)
    assert str(err.value) == (
        "no police.uk outcomes files are loaded for this force: detections need them (street "
        "files give each crime's latest outcome, not when it was detected)")
    kent = gm.model_copy(update={"force": "kent"})
    with pytest.raises(MeasureUnavailable) as err:
        oc.detection_months(outcomes_only, kent, robbery, JAN, APR)
    assert str(err.value) == (
        "police.uk outcomes files carry no crime type: detections of one type need the street "
        "files of the months the crimes were recorded")
    may, jul = date(2016, 5, 1), date(2016, 7, 1)
    with pytest.raises(MeasureUnavailable) as err:
        oc.detection_months(lagged, gm, robbery, may, jul)
    assert str(err.value) == (
        "no police.uk outcomes with the street file of the same month are loaded for 2016-05 to "
        "2016-06 (outcomes are loaded for 2016-01 to 2016-03): a month without its outcomes file "
        "is missing, not zero")
    with pytest.raises(MeasureUnavailable) as err:
        oc.detection_months(lagged, gm, every, may, jul)
    assert str(err.value) == (
        "no police.uk outcomes are loaded for 2016-05 to 2016-06 (outcomes are loaded for 2016-01 "
        "to 2016-03): a month without its outcomes file is missing, not zero")


def test_detections_by_month_and_type(lagged: Warehouse, gm: Plan) -> None:
    assert oc.detections_by_month(lagged, gm, "greater-manchester") == [
        {"month": "2016-01", "outcome_rows": 27, "crimes_with_outcome": 27, "detected": 27,
         "recorded_street_rows": 31, "detection_rate_pct": 87.1},  # 2700 / 31 = 87.096...
        {"month": "2016-02", "outcome_rows": 2, "crimes_with_outcome": 2, "detected": 1,
         "recorded_street_rows": 1, "detection_rate_pct": 100.0},
        {"month": "2016-03", "outcome_rows": 4, "crimes_with_outcome": 4, "detected": 3,
         "recorded_street_rows": None, "detection_rate_pct": None},
    ]
    assert oc.detections_by_type(lagged, gm, "greater-manchester") == [
        {"outcome_type": "charged_summonsed", "rows": 27, "crimes": 27,
         "published_as": CHARGED, "detected": True},
        {"outcome_type": "caution", "rows": 4, "crimes": 4, "published_as": CAUTION,
         "detected": True},
        {"outcome_type": "court_disposal", "rows": 1, "crimes": 1, "published_as": PRISON,
         "detected": False},
        {"outcome_type": "no_further_action", "rows": 1, "crimes": 1, "published_as": NO_SUSPECT,
         "detected": False},
    ]


def test_outcome_lag(lagged: Warehouse, gm: Plan) -> None:
    report = oc.outcome_lag(lagged, gm, "greater-manchester")
    # matched (street row loaded): lag 0, C01-C27 charged; lag 1, N1; lag 2, C28-C30 cautioned
    # and C01's prison; Z1 has no street row. 27 of the 30 matched detections (90%) at lag 0.
    assert report.distribution == [
        {"lag_months": 0, "outcomes": 27, "detected": 27, "cumulative_detected_share": 0.9},
        {"lag_months": 1, "outcomes": 1, "detected": 0, "cumulative_detected_share": 0.9},
        {"lag_months": 2, "outcomes": 4, "detected": 3, "cumulative_detected_share": 1.0},
    ]
    assert report.repeat_gaps == [{"gap_months": 2, "outcomes": 1, "crimes": 1}]
    assert (report.force, report.first_outcome_month, report.last_outcome_month) == \
        ("greater-manchester", "2016-01", "2016-03")
    assert (report.outcome_rows, report.matched_rows, report.detected_rows,
            report.detected_matched, report.window_months, report.repeat_crimes) == \
        (33, 32, 31, 30, 0, 1)
    assert report.explanation == (
        "32 of 33 outcome rows match a loaded street row; 90% of their 30 detected outcomes "
        "arrived within 0 months of the crime's month, so crimes of the last 0 months up to the "
        "latest outcomes file are not yet fully resolved. 1 crimes have outcomes in more than "
        "one month, up to 2 months after their first: outcomes keep arriving after a crime's "
        "first outcome.")
    out = report.as_dict()
    assert (out["complete_share"], out["min_matched"]) == (0.9, 30)
    assert oc.incomplete_from(report) == APR
    assert oc.detection_note(lagged, gm) == (
        "Detections from police.uk outcomes files, counted in the month of each crime's first "
        "detected outcome. Outcomes arrive for months after the crime: crimes recorded from "
        "2016-04 on are not yet fully resolved (paragon outcomes lag). Outcomes files carry no "
        "crime type, so a measure of one type counts only crimes whose street row is loaded.")
    with pytest.raises(NotFoundError) as err:
        oc.outcome_lag(lagged, gm, "kent")
    assert str(err.value) == "no outcomes are loaded for force 'kent'"


def test_outcome_lag_without_street_rows(outcomes_only: Warehouse, gm: Plan) -> None:
    kent = gm.model_copy(update={"force": "kent"})
    report = oc.outcome_lag(outcomes_only, kent, "kent")
    assert (report.matched_rows, report.detected_matched, report.window_months) == (0, 0, None)
    assert oc.incomplete_from(report) is None
    assert oc.detection_note(outcomes_only, kent).endswith(
        "Outcomes arrive for months after the crime: the lag could not be measured, so any "
        "month may be incomplete (paragon outcomes lag). Outcomes files carry no crime type, so "
        "a measure of one type counts only crimes whose street row is loaded.")


def test_explain() -> None:
    assert oc._explain(40, 35, 31, 1, 0, []) == (
        "35 of 40 outcome rows match a loaded street row; 90% of their 31 detected outcomes "
        "arrived within 1 month of the crime's month, so crimes of the last 1 month up to the "
        "latest outcomes file are not yet fully resolved.")
    assert oc._explain(40, 35, 31, 2, 0, []).count("2 months") == 2
    assert oc._explain(1234, 0, 0, None, 0, []) == (
        "None of the 1,234 outcome rows matches a loaded street row, so the lag from crime to "
        "outcome cannot be measured: outcomes files give the outcome's month, not the crime's. "
        "Load the street files of the months the crimes were recorded.")
    gaps = [{"gap_months": 1, "outcomes": 2, "crimes": 2}]
    assert oc._explain(1234, 2000, 29, None, 2, gaps) == (
        "Only 29 detected outcomes (of 2,000 outcome rows matching a street row) are too few "
        "(under 30) to estimate the lag. 2 crimes have outcomes in more than one month, up to 1 "
        "month after their first: outcomes keep arriving after a crime's first outcome.")
    two = [{"gap_months": 1, "outcomes": 1, "crimes": 1}, {"gap_months": 3, "outcomes": 1,
                                                            "crimes": 1}]
    assert "up to 3 months after" in oc._explain(10, 5, 2, None, 2, two)
