"""Rare counts: when a count averages fewer events a month than the XmR chart needs, the measure's
chart adds a g chart of the days between events from the force's own records (every number
below counted by hand from the rows written here); on police.uk data, which dates a crime only
to its month, the months' own counts are judged against probability limits instead."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from paragon.ingest.registry import ingest_paths
from paragon.measures.engine import event_dates
from paragon.measures.series import control_chart
from paragon.plan import Plan, default_plan
from paragon.warehouse import Warehouse

HEADER = ("crime_reference,recorded_date,offence_code,hate_flag,business_flag,domestic_flag,"
          "lsoa_code,location,easting,northing,outcome_type,outcome_date\n")
# Domestic burglary (28E) in Birmingham East: 9 crimes over April to September 2011 (1.5 a month)
BURGLARY_DATES = ["2011-04-02", "2011-04-20", "2011-05-11", "2011-05-11", "2011-06-30",
                  "2011-07-04", "2011-08-15", "2011-08-16", "2011-09-10"]


def records(burglaries: list[str], months: range = range(4, 10)) -> str:
    """Domestic burglaries on the dates given, and a robbery (34A: not counted by the burglary
    measure) on the 15th of each month and on 30 September, so that each of those months is in
    the force's records and September is complete."""
    robberies = [f"2011-{m:02d}-15" for m in months] + ["2011-09-30"]
    return HEADER + "".join(
        f"B{i},{d},28E,N,N,N,E01008881,,,,,\n" for i, d in enumerate(burglaries)
    ) + "".join(f"R{i},{d},34A,N,N,N,E01008881,,,,,\n" for i, d in enumerate(robberies))


def signed_in_page(db: Path, path: str) -> tuple[str, dict[str, object]]:
    """The measure page at ``path`` as a signed-in analyst sees it (whitespace collapsed), and
    its control chart's rare events from the JSON."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from paragon.cli import app
    from paragon.settings import Settings
    from paragon.web.app import create_app
    from paragon.web.fixtures import sign_in

    password = "quiet harbour lantern"
    added = CliRunner().invoke(app, ["users", "add", "ana", "--db", str(db)],
                               env={"PARAGON_NEW_USER_PASSWORD": password})
    assert added.exit_code == 0, added.output
    with TestClient(create_app(Settings(db=db, secret_key="s" * 32))) as client:
        assert sign_in(client, "ana", password).status_code == 200
        rare = client.get(path + "&format=json").json()["control_chart"]["rare_events"]
        return " ".join(client.get(path).text.split()), rare


CRIMES = records(BURGLARY_DATES)
STREET = ("Month,Reported by,Falls within,Easting,Northing,Location,Crime type,Context\n"
          "{month},West Midlands Police,West Midlands Police,408811.0,284398.0,"
          "On or near Alfred Road,Robbery,\n")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return default_plan()


@pytest.fixture(scope="module")
def force(tmp_path_factory: pytest.TempPathFactory, plan: Plan) -> Iterator[Warehouse]:
    folder = tmp_path_factory.mktemp("rare")
    (folder / "c.csv").write_text(CRIMES, encoding="utf-8")
    wh = Warehouse.open(folder / "w.duckdb")
    ingest_paths(wh, [folder / "c.csv"], plan)
    yield wh
    wh.close()


def test_event_dates_are_the_measure_s_crimes_in_date_order(force: Warehouse, plan: Plan) -> None:
    dates = event_dates(force, plan, "burglary-dwelling", date(2011, 4, 1), date(2011, 10, 1))
    assert dates == [date.fromisoformat(d) for d in BURGLARY_DATES]
    assert event_dates(force, plan, "burglary-dwelling", date(2011, 5, 1),
                       date(2011, 6, 1)) == [date(2011, 5, 11)] * 2
    assert event_dates(force, plan, "burglary-dwelling", date(2011, 4, 1), date(2011, 10, 1),
                       "birmingham-east") == dates
    assert event_dates(force, plan, "burglary-dwelling", date(2011, 4, 1), date(2011, 10, 1),
                       "dudley") == []
    # not a count, or no crimes of the force's own in the period: no dates to count
    assert event_dates(force, plan, "burglary-dwelling-detections", date(2011, 4, 1),
                       date(2011, 10, 1)) is None
    assert event_dates(force, plan, "burglary-dwelling", date(2012, 4, 1),
                       date(2012, 10, 1)) is None


def test_a_rare_count_gets_a_g_chart_of_the_days_between_events(
        force: Warehouse, plan: Plan) -> None:
    chart = control_chart(force, plan, "burglary-dwelling", months=6)
    assert chart["method"] == "none"
    assert chart["points"][-1]["suppressed"].startswith("too few events for a control chart")
    rare = chart["rare_events"]
    gaps = [18, 21, 0, 50, 4, 42, 1, 25]  # days from each crime to the next
    g = sum(gaps) / 8
    assert rare["method"] == "g" and rare["events"] == 9
    assert (rare["from"], rare["to"], rare["unit"]) == ("2011-04", "2011-09",
                                                        "days between events")
    assert [x["days"] for x in rare["gaps"]] == gaps
    assert rare["gaps"][0] == {"after": "2011-04-02", "until": "2011-04-20", "days": 18,
                               "variation": "common"}
    assert rare["centre"] == pytest.approx(g)
    assert rare["upper_limit"] == pytest.approx(g + 3 * math.sqrt(g * (g + 1)))
    # 20 whole days from 10 September to the end of the month
    assert rare["since_last"] == {"after": "2011-09-10", "days": 20, "variation": "common"}


def test_a_long_quiet_spell_is_an_improvement_for_a_crime(tmp_path: Path, plan: Plan) -> None:
    dates = ["2011-04-01", "2011-04-02", "2011-04-03", "2011-04-04", "2011-04-05",
             "2011-04-06", "2011-09-28"]
    path = tmp_path / "c.csv"
    path.write_text(records(dates), encoding="utf-8")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, [path], plan)
        rare = control_chart(wh, plan, "burglary-dwelling", months=6)["rare_events"]
    # gaps 1,1,1,1,1 and 175: mean 30, upper limit 30 + 3√(30·31) = 121.5
    assert [x["days"] for x in rare["gaps"]] == [1, 1, 1, 1, 1, 175]
    assert rare["upper_limit"] == pytest.approx(30 + 3 * math.sqrt(930))
    assert [x["variation"] for x in rare["gaps"]] == ["common"] * 5 + ["improvement"]
    assert rare["since_last"]["days"] == 2 and rare["since_last"]["variation"] == "common"


def test_too_few_events_for_a_g_chart_say_so(tmp_path: Path, plan: Plan) -> None:
    path = tmp_path / "c.csv"
    path.write_text(records(["2011-04-02", "2011-09-02"]), encoding="utf-8")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, [path], plan)
        rare = control_chart(wh, plan, "burglary-dwelling", months=6)["rare_events"]
    assert rare["method"] == "none" and rare["events"] == 2
    assert rare["reason"] == ("2 events in these months: the days between events need at "
                              "least 3 events")


def street_months(folder: Path, robberies: dict[str, int]) -> list[Path]:
    """One police.uk street file a month with that many robberies, and a burglary each month so
    that a month without robbery is still in the data."""
    paths = []
    burglary = STREET.splitlines()[1].replace("Robbery", "Burglary")
    for month, n in robberies.items():
        paths.append(folder / f"{month}-west-midlands-street.csv")
        rows = [STREET.splitlines()[0], burglary.format(month=month)]
        rows += [STREET.splitlines()[1].format(month=month)] * n
        paths[-1].write_text("\n".join(rows) + "\n", encoding="utf-8")
    return paths


def test_police_uk_data_too_short_for_rare_months_says_why(tmp_path: Path, plan: Plan) -> None:
    paths = street_months(tmp_path, {"2011-02": 1, "2011-03": 1, "2011-04": 1})
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, paths, plan)
        chart = control_chart(wh, plan, "robbery", months=3)
    assert chart["points"][-1]["suppressed"].startswith("too few events")
    assert chart["rare_events"] == {
        "from": "2011-02", "to": "2011-04", "unit": "events a month", "method": "none",
        "events": 3,
        "reason": "the data gives the month of each crime, not the day, so the days between "
                  "events cannot be counted; and 3 months in a row: rare counts need at least 6 "
                  "to be charted month by month"}


# 13 months of police.uk data, 13 robberies: 3, 2, 2, 3, 1, 2 and then seven months with none
ROBBERIES = dict(zip([f"2011-{m:02d}" for m in range(1, 13)] + ["2012-01"],
                     [3, 2, 2, 3, 1, 2, 0, 0, 0, 0, 0, 0, 0], strict=True))


def test_police_uk_rare_counts_are_judged_month_by_month(tmp_path: Path, plan: Plan) -> None:
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, street_months(tmp_path, ROBBERIES), plan)
        rare = control_chart(wh, plan, "robbery", months=13)["rare_events"]
    # 1 a month on average; neighbouring months differ by 1, 0, 1, 2, 1, 2 then 0: half their
    # mean square is 11 / 24, under the mean, so the counts are taken as Poisson(1).
    # P(X >= 5) = 0.0037 and P(X >= 6) = 0.0006: six or more in a month is more than chance.
    # P(X = 0) = e^-1: seven empty months in a row have chance e^-7 = 0.0009 <= 0.00135, six
    # have e^-6 = 0.0025: seven or more in a row are fewer than chance.
    assert rare["method"] == "months" and rare["unit"] == "events a month"
    assert (rare["from"], rare["to"], rare["events"]) == ("2011-01", "2012-01", 13)
    assert rare["centre"] == 1.0 and rare["dispersion"] == 1.0
    assert rare["upper_count"] == 6 and rare["empty_run"] == 7
    assert [r["events"] for r in rare["months"]] == list(ROBBERIES.values())
    assert [r["variation"] for r in rare["months"]] == ["common"] * 6 + ["improvement"] * 7
    assert rare["since_last"] == {"after": "2011-06", "months": 7, "variation": "improvement"}


def test_police_uk_rare_months_on_the_page_and_in_spc(tmp_path: Path, plan: Plan) -> None:
    from typer.testing import CliRunner

    from paragon.cli import app

    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as wh:
        ingest_paths(wh, street_months(tmp_path, ROBBERIES), plan)
    result = CliRunner().invoke(app, ["spc", "--measure", "robbery", "--months", "13",
                                      "--db", str(db)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert ("Rare events month by month, 2011-01 to 2012-01 (probability limits): 13 events in "
            "13 months, 1.00 a month; 6 or more in a month would be more than chance, 7 or more "
            "months in a row with none would be fewer. 7 month(s) with none since the last event "
            "(2011-06), as long as that limit.") in out
    assert "2011-07: 0 events (improvement)" in out
    html, _ = signed_in_page(db, "/measures/robbery?from=2011-01&to=2012-01")
    assert "Rare events month by month, January 2011 to January 2012" in html
    assert ("13 events in 13 months, 1.00 a month on average. A month with 6 or more events "
            "would be more than chance makes likely (a concern); 7 or more months in a row with "
            "none would be fewer (an improvement).") in html
    assert ("There have been 7 months with none since the last event (June 2011), as long as "
            "that limit.") in html
    assert '<th scope="row">July 2011</th><td class="num">0</td><td>improvement</td>' in html
    assert ("Months not judged here for too few events are judged <a href=\"#rare\">below</a>, "
            "month by month against the chances of such small counts.") in html


def test_a_count_charted_as_usual_has_no_rare_events(tmp_path: Path, plan: Plan) -> None:
    dates = [f"2011-{m:02d}-{i + 1:02d}" for m in range(4, 10) for i in range(6 + m % 3)]
    path = tmp_path / "c.csv"
    path.write_text(records(dates), encoding="utf-8")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, [path], plan)
        chart = control_chart(wh, plan, "burglary-dwelling", months=6)
    assert chart["method"] != "none" and chart["rare_events"] is None


def test_only_the_last_unbroken_run_of_months_is_read(tmp_path: Path, plan: Plan) -> None:
    # nothing at all is recorded in June: the months before it are left out of the g chart
    dates = ["2011-04-03", "2011-05-03", "2011-07-02", "2011-07-20", "2011-08-09",
             "2011-09-01"]
    path = tmp_path / "c.csv"
    path.write_text(records(dates, months=range(4, 10)).replace(
        "R2,2011-06-15", "R2,2011-07-15"), encoding="utf-8")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, [path], plan)
        chart = control_chart(wh, plan, "burglary-dwelling", months=6)
    assert "2011-06" not in [p["period"] for p in chart["points"]]
    rare = chart["rare_events"]
    assert (rare["from"], rare["to"], rare["events"]) == ("2011-07", "2011-09", 4)
    assert [x["days"] for x in rare["gaps"]] == [18, 20, 23]


def test_spc_prints_the_days_between_events(tmp_path: Path, plan: Plan) -> None:
    from typer.testing import CliRunner

    from paragon.cli import app

    (tmp_path / "c.csv").write_text(CRIMES, encoding="utf-8")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, [tmp_path / "c.csv"], plan)
    result = CliRunner().invoke(app, ["spc", "--measure", "burglary-dwelling", "--months", "6",
                                      "--db", str(tmp_path / "w.duckdb")],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    g = 161 / 8
    assert (f"Days between events, 2011-04 to 2011-09 (g chart): 9 events, on average {g:.1f} "
            f"days apart; a gap over {g + 3 * math.sqrt(g * (g + 1)):.1f} days would mean they "
            "have become rarer. Longest gap 50 days; 20 days since the last event "
            "(2011-09-10).") in " ".join(result.output.split())


def test_the_measure_page_shows_the_days_between_events(tmp_path: Path, plan: Plan) -> None:


    db = tmp_path / "w.duckdb"
    (tmp_path / "c.csv").write_text(CRIMES, encoding="utf-8")
    with Warehouse.open(db) as wh:
        ingest_paths(wh, [tmp_path / "c.csv"], plan)
    html, rare = signed_in_page(db, "/measures/burglary-dwelling?from=2011-04&to=2011-09")
    assert rare["method"] == "g" and rare["events"] == 9
    assert "Days between events, April 2011 to September 2011" in html
    assert "(a g chart): 9 events, on average 20.1 days apart" in html
    assert "It has been 20 days since the last event (2011-09-10)." in html
    assert "<td>2011-05-11</td><td>2011-06-30</td><td class=\"num\">50</td>" in html
    assert ("Months not judged here for too few events are judged <a href=\"#rare\">below</a>, by "
            "the days between events.") in html


RARE = "too few events for a control chart (average 1.5 a month, below 4)"


def chart_of(months: list[str], segments: list[int] | None = None,
             rare_from: int = 0) -> dict[str, object]:
    """A chart as chart_from_series returns it, as far as rare_events reads it."""
    segs = segments or [0] * len(months)
    return {"points": [{"period": m, "segment": s, "suppressed": RARE if i >= rare_from else None}
                       for i, (m, s) in enumerate(zip(months, segs, strict=True))]}


def test_rare_events_reads_the_last_rare_segment_s_last_unbroken_months(
        force: Warehouse, plan: Plan) -> None:
    from paragon.measures.charts import rare_events

    measure = plan.measure("burglary-dwelling")
    all_six = ["2011-04", "2011-05", "2011-06", "2011-07", "2011-08", "2011-09"]
    # segment 0 (April, May) judged, segment 1 (June to September) too rare
    rare = rare_events(force, plan, measure, chart_of(all_six, [0, 0, 1, 1, 1, 1], 2))
    assert rare is not None and (rare["from"], rare["to"], rare["events"]) == (
        "2011-06", "2011-09", 5)
    assert rare_events(force, plan, measure, chart_of(all_six, rare_from=6)) is None  # judged
    assert rare_events(force, plan, measure, chart_of(all_six, rare_from=5)) is not None
    assert rare_events(force, plan, measure, {"points": []}) is None
    assert rare_events(force, plan, plan.measure("burglary-dwelling-detections"),
                       chart_of(all_six)) is None  # only counts
    # a month missing after the first: the run starts after it; one before the last: the last
    # month alone
    gap_after_first = ["2011-04", "2011-06", "2011-07", "2011-08", "2011-09"]
    assert rare_events(force, plan, measure, chart_of(gap_after_first))["from"] == "2011-06"
    last_alone = ["2011-04", "2011-05", "2011-06", "2011-07", "2011-09"]
    assert rare_events(force, plan, measure, chart_of(last_alone))["reason"] == (
        "1 event in these months: the days between events need at least 3 events")
    two_gaps = ["2011-04", "2011-06", "2011-08", "2011-09"]
    assert rare_events(force, plan, measure, chart_of(two_gaps))["from"] == "2011-08"


def test_three_events_are_enough_and_an_area_counts_its_own(tmp_path: Path, plan: Plan) -> None:
    from paragon.measures.charts import rare_events

    path = tmp_path / "c.csv"
    # three burglaries in Birmingham East, and two in Sandwell (E01009946) on the 1st of months
    # just outside and inside the window, which the force-wide figure counts and the LPU's not
    text = records(["2011-10-03", "2011-11-20", "2011-12-24"], months=range(10, 13))
    text += ("S1,2011-10-01,28E,N,N,N,E01009946,,,,,\nS2,2012-01-01,28E,N,N,N,E01009946,,,,,\n"
             "S3,2011-09-30,28E,N,N,N,E01009946,,,,,\n")
    path.write_text(text.replace("2011-09-30,34A", "2011-12-31,34A"), encoding="utf-8")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, [path], plan)
        measure = plan.measure("burglary-dwelling")
        chart = chart_of(["2011-10", "2011-11", "2011-12"])
        east = rare_events(wh, plan, measure, chart, "birmingham-east")
        whole = rare_events(wh, plan, measure, chart)
    assert east is not None and east["method"] == "g" and east["events"] == 3
    assert [g["days"] for g in east["gaps"]] == [48, 34]
    assert east["since_last"]["days"] == 7  # 24 December to the end of the year
    assert whole is not None and whole["events"] == 4  # 1 October counted; 30 Sep, 1 Jan not
    assert [g["days"] for g in whole["gaps"]] == [2, 48, 34]


@pytest.mark.parametrize(("better", "verdict"), [("lower", "improvement"), ("higher", "concern"),
                                                 ("neutral", "neither")])
def test_a_long_silence_since_the_last_event_is_judged_by_the_measure_s_direction(
        tmp_path: Path, plan: Plan, better: str, verdict: str) -> None:
    from paragon.measures.charts import rare_events

    path = tmp_path / "c.csv"
    path.write_text(records(["2011-04-01", "2011-04-02", "2011-04-03", "2011-04-04"]),
                    encoding="utf-8")
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, [path], plan)
        measure = plan.measure("burglary-dwelling").model_copy(update={"better": better})
        months = ["2011-04", "2011-05", "2011-06", "2011-07", "2011-08", "2011-09"]
        rare = rare_events(wh, plan, measure, chart_of(months))
    assert rare is not None and rare["upper_limit"] == pytest.approx(1 + 3 * math.sqrt(2))
    assert rare["since_last"] == {"after": "2011-04-04", "days": 179, "variation": verdict}
    assert [g["variation"] for g in rare["gaps"]] == ["common"] * 3


def test_six_police_uk_months_are_enough_and_fewer_say_why(tmp_path: Path, plan: Plan) -> None:
    six = dict(list(ROBBERIES.items())[:6])  # 3, 2, 2, 3, 1, 2
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, street_months(tmp_path, six), plan)
        rare = control_chart(wh, plan, "robbery", months=6)["rare_events"]
    assert rare["method"] == "months" and rare["events"] == 13 and len(rare["months"]) == 6
    # April missing from the data: the last unbroken run is May alone
    gap = {"2011-01": 2, "2011-02": 1, "2011-03": 2, "2011-05": 1}
    (tmp_path / "gap").mkdir()
    with Warehouse.open(tmp_path / "gap" / "w.duckdb") as wh:
        ingest_paths(wh, street_months(tmp_path / "gap", gap), plan)
        one = control_chart(wh, plan, "robbery", months=5)["rare_events"]
    assert (one["from"], one["to"], one["events"]) == ("2011-05", "2011-05", 1)
    assert one["method"] == "none" and one["reason"].endswith(
        "; and 1 month in a row: rare counts need at least 6 to be charted month by month")


def test_police_uk_months_with_no_events_say_so(tmp_path: Path, plan: Plan) -> None:
    none = {f"2011-{m:02d}": 0 for m in range(1, 8)}
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, street_months(tmp_path, none), plan)
        rare = control_chart(wh, plan, "robbery", months=7)["rare_events"]
    assert rare["method"] == "none" and rare["events"] == 0
    assert rare["reason"] == ("the data gives the month of each crime, not the day, so the days "
                              "between events cannot be counted; and no events in these months")
