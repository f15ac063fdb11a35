"""paragon.measures.engine value by value: selections as SQL, areas, figures from their
components, and monthly components of each kind of measure on a small warehouse built once for
the module (every expected number counted by hand from the rows below)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from paragon.errors import NotFoundError, ParagonError
from paragon.ingest.registry import ingest_paths
from paragon.measures.engine import (
    POLICEUK_DETECTIONS,
    Components,
    Figure,
    MeasureUnavailable,
    _area,
    _crime_area,
    compute,
    compute_months,
    compute_with_months,
    crime_source,
    figure_from,
    monthly_components,
    select_clause,
)
from paragon.plan import Plan, default_plan
from paragon.plan.schema import CrimeSelect
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data"
EAST, SANDWELL = "E01008881", "E01009946"  # Birmingham East and Sandwell LSOAs
CRIMES = """crime_reference,recorded_date,offence_code,hate_flag,business_flag,domestic_flag,lsoa_code,location,easting,northing,outcome_type,outcome_date
B1,2011-04-03,28E,N,N,N,E01008881,,,,charged_summonsed,2011-04-20
B2,2011-04-10,28E,N,N,N,E01008881,,,,caution,2011-06-02
B3,2011-04-11,28F,N,N,N,E01009946,,,,no_further_action,2011-04-30
B4,2011-05-01,28E,Y,N,N,E01009946,,,,,
B5,2011-03-15,28E,N,N,N,E01008881,,,,community_resolution,2011-05-05
V1,2011-05-20,45,N,Y,N,E01008881,,,,penalty_notice,2011-05-21
V2,2011-06-30,45,N,N,Y,E01009946,,,,,
"""
SURVEY = """survey,respondent_id,interview_date,lpu_id,lsoa_code,victim_type,question_id,answer,weight
contact-counts,1,2011-04-05,dudley,,crime,satisfaction_actions,very_satisfied,2
contact-counts,2,2011-04-06,dudley,,crime,satisfaction_actions,fairly_dissatisfied,1
contact-counts,3,2011-04-07,coventry,,asb,satisfaction_actions,very_satisfied,4
contact-counts,4,2011-05-07,coventry,,crime,satisfaction_actions,completely_satisfied,3
contact-counts,5,2011-05-08,coventry,,crime,satisfaction_actions,dont_know,5
contact-counts,6,2011-05-09,coventry,,crime,satisfaction_service,very_satisfied,1
"""
APR, MAY, JUN = date(2011, 4, 1), date(2011, 5, 1), date(2011, 6, 1)
JUL = date(2011, 7, 1)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return default_plan()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> Iterator[Warehouse]:
    folder = tmp_path_factory.mktemp("engine")
    (folder / "c.csv").write_text(CRIMES, encoding="utf-8")
    (folder / "s.csv").write_text(SURVEY, encoding="utf-8")
    wh = Warehouse.open(folder / "w.duckdb")
    ingest_paths(wh, [folder / "c.csv", folder / "s.csv"], plan)
    yield wh
    wh.close()


def test_select_clause() -> None:
    assert select_clause(CrimeSelect(all=True), "force") == ("TRUE", [])
    assert select_clause(CrimeSelect(all=True), "policeuk") == ("TRUE", [])
    both = CrimeSelect(offence_groups=["Robbery"], policeuk_categories=["Robbery"])
    assert select_clause(both, "policeuk") == ("category IN (SELECT unnest(?))", [["Robbery"]])
    assert select_clause(both, "force") == ("(offence_group IN (SELECT unnest(?)))", [["Robbery"]])
    every = CrimeSelect(offence_codes=["28E"], offence_subgroups=["Domestic burglary"],
                        offence_groups=["Robbery"], flags=["hate", "domestic"])
    assert select_clause(every, "force") == (
        "(offence_code IN (SELECT unnest(?)) OR offence_subgroup IN (SELECT unnest(?)) OR "
        "offence_group IN (SELECT unnest(?)) OR is_hate OR is_domestic)",
        [["28E"], ["Domestic burglary"], ["Robbery"]])
    assert select_clause(CrimeSelect(flags=["business"]), None) == ("(is_business)", [])
    # no crimes loaded for the period: a police.uk-only measure matches nothing, not refused
    # with a message about the force's own records
    assert select_clause(CrimeSelect(policeuk_categories=["Robbery"]), None) == (
        "category IN (SELECT unnest(?))", [["Robbery"]])
    with pytest.raises(MeasureUnavailable) as err:
        select_clause(CrimeSelect(offence_codes=["28E"]), "policeuk")
    assert str(err.value) == \
        "police.uk data has no offence codes or flags for this measure's selection"
    with pytest.raises(MeasureUnavailable) as err:
        select_clause(CrimeSelect(policeuk_categories=["Robbery"]), "force")
    assert str(err.value) == ("this measure selects police.uk categories only, and the force's "
                              "own records are loaded")


def test_areas(plan: Plan) -> None:
    assert _area(None) == ("TRUE", [])
    assert _area("") == ("TRUE", [])
    assert _area("dudley") == ("lpu_id = ?", ["dudley"])
    assert _crime_area(plan, None) == ("TRUE", [])
    where, params = _crime_area(plan, "birmingham-east")
    assert where == "(lsoa_code IN (SELECT unnest(?)) OR (lsoa_code IS NULL AND lpu_id = ?))"
    assert params[1] == "birmingham-east" and EAST in params[0] and SANDWELL not in params[0]
    other = plan.model_copy(update={"force": "british-transport-police"})
    assert _crime_area(other, "dudley") == ("lpu_id = ?", ["dudley"])


def test_components_add() -> None:
    total = Components(1.0, 2.0, 3, 4.0, 5) + Components(10.0, 20.0, 30, 40.0, 50)
    assert total == Components(11.0, 22.0, 33, 44.0, 55)
    assert Components() == Components(0.0, 0.0, 0, 0.0, 0)


def test_figure_as_dict() -> None:
    fig = Figure("m", "count", APR, MAY, "dudley", 3.0, 3.0, source="force")
    assert fig.as_dict() == {
        "measure": "m", "kind": "count", "start": "2011-04-01", "end": "2011-05-01",
        "lpu": "dudley", "value": 3.0, "numerator": 3.0, "denominator": None, "responses": None,
        "effective_n": None, "cohort_detected": None, "source": "force", "note": None,
        "warning": None}


def test_figure_from(plan: Plan) -> None:
    count = figure_from(plan.measure("robbery"), APR, MAY, None, Components(7.0, 7.0), "force")
    assert count == Figure("robbery", "count", APR, MAY, None, 7.0, 7.0, None, source="force")
    parts = Components(3.0, 12.0, cohort_detected=2)
    rate = figure_from(plan.measure("robbery-detections"), APR, MAY, "dudley", parts, "force")
    assert rate == Figure("robbery-detections", "detection_rate", APR, MAY, "dudley", 25.0, 3.0,
                          12.0, cohort_detected=2, source="force")
    uk = figure_from(plan.measure("robbery-detections"), APR, MAY, None, parts, "policeuk")
    assert uk.warning == POLICEUK_DETECTIONS and uk.value == 25.0
    none = figure_from(plan.measure("robbery-detections"), APR, MAY, None, Components(3.0),
                       "force")
    assert none.value is None and none.denominator == 0.0
    survey = figure_from(plan.measure("confidence"), APR, MAY, None,
                         Components(6.0, 8.0, 3, 24.0), "survey")
    assert survey == Figure("confidence", "survey_proportion", APR, MAY, None, 75.0, 6.0, 8.0,
                            responses=3, effective_n=64 / 24, source="survey")
    empty = figure_from(plan.measure("confidence"), APR, MAY, None, Components(), "survey")
    assert empty.value is None and empty.effective_n == 0.0 and empty.responses == 0


def test_crime_source(warehouse: Warehouse, plan: Plan) -> None:
    assert crime_source(warehouse, "west-midlands") == "force"
    assert crime_source(warehouse, "west-midlands", APR, MAY) == "force"
    assert crime_source(warehouse, "west-midlands", date(2011, 3, 31), APR) is None
    assert crime_source(warehouse, "west-midlands", date(2011, 3, 15), date(2011, 3, 16)) == \
        "force"
    assert crime_source(warehouse, "west-midlands", JUL, date(2011, 8, 1)) is None
    assert crime_source(warehouse, "dorset") is None


def test_count_months(warehouse: Warehouse, plan: Plan) -> None:
    months, source = monthly_components(warehouse, plan, "burglary-dwelling", APR, JUL)
    assert source == "force"
    assert months == {APR: Components(3.0, 3.0), MAY: Components(1.0, 1.0)}
    east, _ = monthly_components(warehouse, plan, "burglary-dwelling", APR, JUL,
                                 "birmingham-east")
    assert east == {APR: Components(2.0, 2.0)}
    hate, _ = monthly_components(warehouse, plan, "hate-crime", APR, JUL)
    assert hate == {MAY: Components(1.0, 1.0)}
    every, _ = monthly_components(warehouse, plan, "total-recorded-crime", date(2011, 3, 1), JUL)
    assert every == {date(2011, 3, 1): Components(1.0, 1.0), APR: Components(3.0, 3.0),
                     MAY: Components(2.0, 2.0), JUN: Components(1.0, 1.0)}
    # the end is excluded: 30 June is in June
    assert monthly_components(warehouse, plan, "total-recorded-crime", APR, JUN)[0] == \
        {APR: Components(3.0, 3.0), MAY: Components(2.0, 2.0)}
    with pytest.raises(NotFoundError):
        monthly_components(warehouse, plan, "burglary-dwelling", APR, JUL, "nowhere")


def test_detection_months(warehouse: Warehouse, plan: Plan) -> None:
    months, source = monthly_components(warehouse, plan, "burglary-dwelling-detections", APR,
                                        JUL)
    assert source == "force"
    # recorded: April B1-B3, May B4; detected: B1 in April, B5 (recorded March) in May, B2 in
    # June; of April's cohort, B1 and B2 are detected
    assert months == {
        APR: Components(1.0, 3.0, cohort_detected=2),
        MAY: Components(1.0, 1.0, cohort_detected=0),
        JUN: Components(1.0, 0.0, cohort_detected=0),
    }
    fig = compute(warehouse, plan, "burglary-dwelling-detections", APR, JUL)
    assert (fig.value, fig.numerator, fig.denominator, fig.cohort_detected) == \
        (75.0, 3.0, 4.0, 2)
    local = compute(warehouse, plan, "burglary-dwelling-detections", APR, JUL, "sandwell")
    assert (local.value, local.numerator, local.denominator) == (0.0, 0.0, 2.0)


def test_survey_months(warehouse: Warehouse, plan: Plan) -> None:
    months, source = monthly_components(warehouse, plan, "satisfaction-actions-crime", APR, JUL)
    assert source == "survey"
    # victims of crime only; "don't know" is no response; weights 2 + 1 in April, 3 in May
    assert months == {APR: Components(2.0, 3.0, 2, 5.0), MAY: Components(3.0, 3.0, 1, 9.0)}
    asb, _ = monthly_components(warehouse, plan, "satisfaction-actions-asb", APR, JUL)
    assert asb == {APR: Components(4.0, 4.0, 1, 16.0)}
    dudley, _ = monthly_components(warehouse, plan, "satisfaction-actions-crime", APR, JUL,
                                   "dudley")
    assert dudley == {APR: Components(2.0, 3.0, 2, 5.0)}
    fig = compute(warehouse, plan, "satisfaction-actions-crime", APR, JUL)
    assert fig.value == pytest.approx(500 / 6) and fig.responses == 3
    assert fig.effective_n == pytest.approx(36 / 14)
    assert monthly_components(warehouse, plan, "satisfaction-actions-crime", APR, MAY)[0] == \
        {APR: Components(2.0, 3.0, 2, 5.0)}


def test_compute_months_sums_exactly_the_months_given(warehouse: Warehouse, plan: Plan) -> None:
    fig, kept = compute_months(warehouse, plan, "total-recorded-crime", [APR, JUN])
    assert kept == {APR: Components(3.0, 3.0), JUN: Components(1.0, 1.0)}
    assert fig == Figure("total-recorded-crime", "count", APR, JUL, None, 4.0, 4.0,
                         source="force")
    with pytest.raises(ParagonError) as err:
        compute_months(warehouse, plan, "total-recorded-crime", [])
    assert str(err.value) == "no months given for measure 'total-recorded-crime'"
    fig2, parts = compute_with_months(warehouse, plan, "total-recorded-crime", APR, JUL)
    assert fig2.value == 6.0 and parts == {APR: Components(3.0, 3.0), MAY: Components(2.0, 2.0),
                                           JUN: Components(1.0, 1.0)}
    # the force's records have no police.uk category to fall back on: unavailable, with a note
    uk_only = plan.measure("robbery").model_copy(update={"select": CrimeSelect(
        policeuk_categories=["Robbery"])})
    plan2 = plan.model_copy(update={"measures": [uk_only if m.id == "robbery" else m
                                                 for m in plan.measures]})
    none, months = compute_with_months(warehouse, plan2, "robbery", APR, JUL)
    assert months == {} and none.value is None and none.note is not None
    assert none == Figure("robbery", "count", APR, JUL, None, None, note=none.note)
    assert none.note.startswith("this measure selects police.uk categories only")
    same, kept2 = compute_months(warehouse, plan2, "robbery", [APR, JUN])
    assert same.note == none.note and kept2 == {}


STREET = ("Month,Reported by,Falls within,Easting,Northing,Location,Crime type,Context\n"
          + "2011-02,West Midlands Police,West Midlands Police,408811.0,284398.0,"
            "On or near Alfred Road,Robbery,\n" * 3
          + "2011-02,West Midlands Police,West Midlands Police,408811.0,284398.0,"
            "On or near Alfred Road,Anti-social behaviour,\n" * 2
          + "2011-02,West Midlands Police,West Midlands Police,408811.0,284398.0,"
            "On or near Alfred Road,Burglary,\n")
STREET_MARCH = ("Month,Reported by,Falls within,Easting,Northing,Location,Crime type,Context\n"
                "2011-03,West Midlands Police,West Midlands Police,408811.0,284398.0,"
                "On or near Alfred Road,Robbery,\n")
FEB, MAR = date(2011, 2, 1), date(2011, 3, 1)


@pytest.fixture(scope="module")
def policeuk(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> Iterator[Warehouse]:
    folder = tmp_path_factory.mktemp("policeuk")
    (folder / "2011-02-west-midlands-street.csv").write_text(STREET, encoding="utf-8")
    (folder / "2011-03-west-midlands-street.csv").write_text(STREET_MARCH, encoding="utf-8")
    wh = Warehouse.open(folder / "w.duckdb")
    ingest_paths(wh, [folder / "2011-02-west-midlands-street.csv",
                      folder / "2011-03-west-midlands-street.csv"], plan)
    yield wh
    wh.close()


def test_police_uk_counts_by_category(policeuk: Warehouse, plan: Plan) -> None:
    assert crime_source(policeuk, "west-midlands") == "policeuk"
    assert crime_source(policeuk, "west-midlands", FEB, MAR) == "policeuk"
    months, source = monthly_components(policeuk, plan, "robbery", FEB, APR)
    assert source == "policeuk"
    assert months == {FEB: Components(3.0, 3.0), MAR: Components(1.0, 1.0)}
    every, _ = monthly_components(policeuk, plan, "total-recorded-crime", FEB, APR)
    assert every == {FEB: Components(4.0, 4.0), MAR: Components(1.0, 1.0)}  # no ASB
    asb_measure = plan.measure("robbery").model_copy(update={"select": CrimeSelect(
        policeuk_categories=["Anti-social behaviour"])})
    asb_plan = plan.model_copy(update={"measures": [asb_measure if m.id == "robbery" else m
                                                    for m in plan.measures]})
    asb, _ = monthly_components(policeuk, asb_plan, "robbery", FEB, APR)
    assert asb == {FEB: Components(2.0, 2.0)}
    burglary = compute(policeuk, plan, "burglary-dwelling", FEB, APR)
    assert burglary.value is None and burglary.note == \
        "police.uk data has no offence codes or flags for this measure's selection"
    rate = compute(policeuk, plan, "robbery-detections", FEB, APR)
    assert rate.value is None and rate.note is not None
    assert rate.note.startswith("no police.uk outcomes files are loaded for this force")


def _gm_points(folder: Path) -> tuple[Path, Plan]:
    """Four February and three March rows of the real Greater Manchester burglary points file."""
    from paragon.plan import parse_plan
    from paragon.plan.init import starter_plan_text

    lines = gzip.decompress((DATA / "policeuk" / "derived" / "gmp_bur.csv.gz").read_bytes()
                            ).decode().splitlines()
    feb = [x for x in lines[1:] if x.startswith("2016-02,")][:4]
    mar = [x for x in lines[1:] if x.startswith("2016-03,")][:3]
    path = folder / "points.csv"
    path.write_text("\n".join([lines[0], *feb, *mar]) + "\n", encoding="utf-8")
    return path, parse_plan(starter_plan_text("greater-manchester", "2016-17"), "gm starter")


def test_points_files_cover_only_their_crime_types(tmp_path: Path, wh: Warehouse) -> None:
    path, gm = _gm_points(tmp_path)
    ingest_paths(wh, [path], gm, kind="points")
    feb16, mar16, apr16 = (date(2016, m, 1) for m in (2, 3, 4))
    months, source = monthly_components(wh, gm, "burglary", feb16, apr16)
    assert source == "policeuk"
    assert months == {feb16: Components(4.0, 4.0), mar16: Components(3.0, 3.0)}
    robbery = compute(wh, gm, "robbery", feb16, apr16)
    assert robbery.value is None
    assert robbery.note == ("the data loaded for this force holds only Burglary; this measure "
                            "counts Robbery")
    every = compute(wh, gm, "total-crime", feb16, apr16)
    assert every.value is None
    assert every.note == ("the data loaded for this force holds only Burglary; all recorded "
                          "crime needs police.uk street files (every crime type)")


def test_crime_source_needs_both_ends_for_a_period(warehouse: Warehouse) -> None:
    # one end alone is no period: the source over all time
    assert crime_source(warehouse, "west-midlands", APR, None) == "force"
    assert crime_source(warehouse, "west-midlands", None, APR) == "force"


def test_figures_keep_their_period_and_lpu(warehouse: Warehouse, plan: Plan) -> None:
    count = figure_from(plan.measure("robbery"), APR, MAY, "dudley", Components(2.0, 2.0),
                        "force")
    assert count.lpu == "dudley"
    survey = figure_from(plan.measure("confidence"), APR, MAY, "dudley",
                         Components(1.0, 2.0, 2, 2.0), "survey")
    assert survey.lpu == "dudley"
    # Sandwell's crimes (LSOA E01009946): B3 in April, B4 in May, V2 in June
    fig = compute(warehouse, plan, "total-recorded-crime", APR, JUL, "sandwell")
    assert (fig.start, fig.end, fig.lpu, fig.value) == (APR, JUL, "sandwell", 3.0)
    local, kept = compute_months(warehouse, plan, "total-recorded-crime", [APR, JUN], "sandwell")
    assert kept == {APR: Components(1.0, 1.0), JUN: Components(1.0, 1.0)}
    assert (local.start, local.end, local.lpu, local.value) == (APR, JUL, "sandwell", 2.0)
    uk_only = plan.measure("robbery").model_copy(update={"select": CrimeSelect(
        policeuk_categories=["Robbery"])})
    plan2 = plan.model_copy(update={"measures": [uk_only if m.id == "robbery" else m
                                                 for m in plan.measures]})
    none = compute(warehouse, plan2, "robbery", APR, JUL, "sandwell")
    assert none.value is None and none.note is not None and none.lpu == "sandwell"


def test_a_count_with_an_of_field_counts_its_own_selection(warehouse: Warehouse,
                                                           plan: Plan) -> None:
    # `of` names the count a detection rate divides; on a count measure it is ignored
    odd = plan.measure("total-recorded-crime").model_copy(update={"of": "hate-crime"})
    plan2 = plan.model_copy(update={"measures": [odd if m.id == odd.id else m
                                                 for m in plan.measures]})
    months, _ = monthly_components(warehouse, plan2, "total-recorded-crime", APR, JUL)
    assert months == {APR: Components(3.0, 3.0), MAY: Components(2.0, 2.0),
                      JUN: Components(1.0, 1.0)}


def test_force_records_are_read_for_detections_even_with_outcomes_loaded(
        tmp_path: Path, plan: Plan) -> None:
    (tmp_path / "c.csv").write_text(CRIMES, encoding="utf-8")
    outcomes = tmp_path / "2011-04-west-midlands-outcomes.csv"
    outcomes.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Outcome type\nX1,2011-04,West Midlands Police,West Midlands Police,,,,,,"
        "Suspect charged\n", encoding="utf-8")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, [tmp_path / "c.csv", outcomes], plan)
        months, source = monthly_components(wh, plan, "burglary-dwelling-detections", APR, JUL)
    assert source == "force"
    assert months == {  # as in test_detection_months: the outcomes file is not read
        APR: Components(1.0, 3.0, cohort_detected=2),
        MAY: Components(1.0, 1.0, cohort_detected=0),
        JUN: Components(1.0, 0.0, cohort_detected=0),
    }


def test_the_source_is_chosen_for_the_period_asked(tmp_path: Path, plan: Plan) -> None:
    # police.uk street rows in February 2011, the force's own records from March 2011
    street = tmp_path / "2011-02-west-midlands-street.csv"
    street.write_text(STREET, encoding="utf-8")
    (tmp_path / "c.csv").write_text(CRIMES, encoding="utf-8")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, [street, tmp_path / "c.csv"], plan)
        uk = monthly_components(wh, plan, "robbery", FEB, MAR)
        force = monthly_components(wh, plan, "total-recorded-crime", APR, MAY)
    assert uk == ({FEB: Components(3.0, 3.0)}, "policeuk")
    assert force == ({APR: Components(3.0, 3.0)}, "force")


GM_HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
           "LSOA name,{}\n")
BOLTON, MANCHESTER = "-2.438828,53.612133", "-2.2426,53.4808"


def _gm_row(crime: str, month: str, where: str, last: str) -> str:
    return (f"{crime},{month},Greater Manchester Police,Greater Manchester Police,{where},"
            f"On or near X,,,{last}\n")


@pytest.fixture(scope="module")
def gm_mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Warehouse, Plan]]:
    """Greater Manchester: a street file for January 2016 (robbery R1 in Bolton, robbery R2 and
    burglary B1 in Manchester), a points file of 2 burglaries in February, 3 burglaries and a
    vehicle crime in March and a robbery in April, and outcomes files for January (R1 charged)
    and February (B1 cautioned)."""
    folder = tmp_path_factory.mktemp("gm")
    street = folder / "2016-01-greater-manchester-street.csv"
    street.write_text(GM_HEAD.format("Crime type,Last outcome category,Context")
                      + _gm_row("R1", "2016-01", BOLTON, "Robbery,,")
                      + _gm_row("R2", "2016-01", MANCHESTER, "Robbery,,")
                      + _gm_row("B1", "2016-01", MANCHESTER, "Burglary,,"), encoding="utf-8")
    jan = folder / "2016-01-greater-manchester-outcomes.csv"
    jan.write_text(GM_HEAD.format("Outcome type")
                   + _gm_row("R1", "2016-01", ",", "Suspect charged"), encoding="utf-8")
    feb = folder / "2016-02-greater-manchester-outcomes.csv"
    feb.write_text(GM_HEAD.format("Outcome type")
                   + _gm_row("B1", "2016-02", ",", "Offender given a caution"), encoding="utf-8")
    lines = gzip.decompress((DATA / "policeuk" / "derived" / "gmp_bur.csv.gz").read_bytes()
                            ).decode().splitlines()
    febs = [x for x in lines[1:] if x.startswith("2016-02,")][:2]
    mars = [x for x in lines[1:] if x.startswith("2016-03,")][:3]
    points = folder / "points.csv"
    points.write_text("\n".join([
        lines[0], *febs, *mars, mars[0].replace("Burglary", "Vehicle crime"),
        mars[0].replace("2016-03", "2016-04").replace("Burglary", "Robbery")]) + "\n",
        encoding="utf-8")
    from paragon.plan import parse_plan
    from paragon.plan.init import starter_plan_text

    gm = parse_plan(starter_plan_text("greater-manchester", "2016-17"), "gm starter")
    wh = Warehouse.open(folder / "w.duckdb")
    ingest_paths(wh, [street, jan, feb], gm)
    ingest_paths(wh, [points], gm, kind="points")
    yield wh, gm
    wh.close()


def test_points_months_bound_what_a_measure_covers(gm_mixed: tuple[Warehouse, Plan]) -> None:
    wh, gm = gm_mixed
    jan16, feb16, mar16, apr16 = (date(2016, m, 1) for m in (1, 2, 3, 4))
    # burglary is covered in January (street file), February and March (points)
    assert monthly_components(wh, gm, "burglary", mar16, apr16) == \
        ({mar16: Components(3.0, 3.0)}, "policeuk")
    # robbery is covered in January and April only: February to March holds other types
    with pytest.raises(MeasureUnavailable) as err:
        monthly_components(wh, gm, "robbery", feb16, apr16)
    assert str(err.value) == ("no data loaded covers this measure from 2016-02 to 2016-03 (the "
                              "data loaded for those months holds only Burglary, Vehicle crime)")
    with pytest.raises(MeasureUnavailable) as err:
        monthly_components(wh, gm, "robbery", mar16, apr16)
    assert str(err.value) == ("no data loaded covers this measure from 2016-03 to 2016-03 (the "
                              "data loaded for those months holds only Burglary, Vehicle crime)")
    # all crime is covered by the street file's month only, though points rows follow it
    assert monthly_components(wh, gm, "total-crime", jan16, date(2016, 5, 1)) == \
        ({jan16: Components(3.0, 3.0)}, "policeuk")


def test_police_uk_detections_by_lpu_and_covered_month(gm_mixed: tuple[Warehouse, Plan]) -> None:
    wh, gm = gm_mixed
    jan16, mar16 = date(2016, 1, 1), date(2016, 3, 1)
    # January: robberies R1 (Bolton, charged in January) and R2 (Manchester, no outcome);
    # February has an outcomes file but no robbery coverage (points of burglary only)
    assert monthly_components(wh, gm, "robbery-detections", jan16, mar16) == \
        ({jan16: Components(1.0, 2.0, cohort_detected=1)}, "policeuk")
    assert monthly_components(wh, gm, "robbery-detections", jan16, mar16, "bolton")[0] == \
        {jan16: Components(1.0, 1.0, cohort_detected=1)}
    assert monthly_components(wh, gm, "robbery-detections", jan16, mar16, "manchester")[0] == \
        {jan16: Components(0.0, 1.0, cohort_detected=0)}
