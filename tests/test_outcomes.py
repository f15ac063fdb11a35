"""Detections from the real police.uk outcomes files (City of London, 2016-11..2017-01): counts
equal those taken from the CSVs with the csv module; the lag is measured where street rows match
and honestly reported as unmeasurable where they do not; detection-rate measures compute from
police.uk with a warning, and a month without outcomes is missing, never zero."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.ingest.policeuk.vocab import OUTCOMES, normalise_outcome
from paragon.ingest.registry import ingest_paths
from paragon.measures import outcomes as oc
from paragon.measures.engine import compute
from paragon.plan import Plan, default_plan
from paragon.plan.schema import Measure
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "policeuk" / "outcomes"
FILES = sorted(DATA.glob("*-city-of-london-outcomes.csv"))
STREET_COLUMNS = ("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                  "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
                  "Context")
# Written here from police.uk's words, independently of paragon's vocabulary: the outcome texts
# that are detections under the plan's definition (charge, caution, TIC, penalty notice, drugs
# warning, community resolution).
DETECTED_TEXTS = {"Suspect charged", "Suspect charged as part of another case",
                  "Offender given a caution", "Offender given penalty notice",
                  "Offender given a penalty notice", "Offender given a drugs possession warning",
                  "Offender given a cannabis warning", "Local resolution"}


def outcome_rows() -> list[dict[str, str]]:
    rows = []
    for path in FILES:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def first_detections() -> Counter[str]:
    """Crimes counted once, in the month of their first detected outcome."""
    first: dict[str, str] = {}
    for r in outcome_rows():
        if r["Outcome type"] in DETECTED_TEXTS:
            first[r["Crime ID"]] = min(first.get(r["Crime ID"], r["Month"]), r["Month"])
    return Counter(first.values())


def city_plan() -> Plan:
    """The default plan pointed at City of London, with an all-crime detection measure."""
    plan = default_plan()
    extra = [Measure(id="all-crime", title="All crime", kind="count", better="lower",
                     select={"all": True}),
             Measure(id="all-detections", title="All crime detection rate",
                     kind="detection_rate", better="higher", of="all-crime")]
    return plan.model_copy(update={"force": "city-of-london", "measures": plan.measures + extra})


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outcomes") / "real.duckdb"
    with Warehouse.open(path) as wh:
        ingest_paths(wh, FILES, default_plan())
    return path


@pytest.fixture
def wh(db: Path) -> Iterator[Warehouse]:
    with Warehouse.open(db, read_only=True) as w:
        yield w


def test_every_published_outcome_text_maps_and_detected_follows_the_plan() -> None:
    plan = default_plan()
    texts = {r["Outcome type"] for r in outcome_rows()}
    for text in texts:
        kind = OUTCOMES[normalise_outcome(text)]
        assert (kind in plan.detected_outcomes) == (text in DETECTED_TEXTS), text
    # the mapping of the words the plan's definition turns on
    assert OUTCOMES[normalise_outcome("Local resolution")] == "community_resolution"
    assert OUTCOMES[normalise_outcome("Offender given a caution")] == "caution"
    assert OUTCOMES[normalise_outcome("Suspect charged as part of another case")] == (
        "taken_into_consideration")
    assert OUTCOMES[normalise_outcome("Offender sent to prison")] not in plan.detected_outcomes


def test_detections_by_month_match_the_csv(wh: Warehouse) -> None:
    expected = first_detections()
    rows = oc.detections_by_month(wh, city_plan(), "city-of-london")
    assert [r["month"] for r in rows] == ["2016-11", "2016-12", "2017-01"]
    assert {r["month"]: r["detected"] for r in rows} == dict(expected)
    per_month = Counter(r["Month"] for r in outcome_rows())
    assert {r["month"]: r["outcome_rows"] for r in rows} == dict(per_month)
    assert all(r["recorded_street_rows"] is None and r["detection_rate_pct"] is None
               for r in rows)  # no street rows: a count, not a rate


def test_lag_cannot_be_measured_without_street_rows(wh: Warehouse) -> None:
    report = oc.outcome_lag(wh, city_plan(), "city-of-london")
    rows = outcome_rows()
    assert (report.outcome_rows, report.matched_rows, report.window_months) == (len(rows), 0, None)
    assert report.detected_rows == sum(r["Outcome type"] in DETECTED_TEXTS for r in rows)
    assert "cannot be measured" in report.explanation
    # crimes with outcomes in more than one month, and how far apart, from the CSV
    months = defaultdict(set)
    for r in rows:
        months[r["Crime ID"]].add(r["Month"])
    repeat = {k: sorted(v) for k, v in months.items() if len(v) > 1}
    assert report.repeat_crimes == len(repeat) == 23

    def gap(a: str, b: str) -> int:
        return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:]) - int(a[5:])

    gaps = Counter()
    for r in rows:
        first = min(months[r["Crime ID"]])
        if r["Month"] > first:
            gaps[gap(first, r["Month"])] += 1
    assert {g["gap_months"]: g["outcomes"] for g in report.repeat_gaps} == dict(gaps)
    assert oc.incomplete_from(report) is None


def write_street(folder: Path, lags: dict[str, int]) -> dict[str, str]:
    """Synthetic street files (labelled so in their Context column) listing the real outcome files'
    Crime IDs, each in the month ``lag`` months before its first outcome; returns id -> month."""
    first: dict[str, str] = {}
    for r in outcome_rows():
        first[r["Crime ID"]] = min(first.get(r["Crime ID"], r["Month"]), r["Month"])
    by_month: dict[str, list[str]] = defaultdict(list)
    crime_month = {}
    for i, (crime, month) in enumerate(sorted(first.items())):
        lag = list(lags.values())[i % len(lags)]
        y, m = int(month[:4]), int(month[5:]) - lag
        while m < 1:
            y, m = y - 1, m + 12
        crime_month[crime] = f"{y:04d}-{m:02d}"
        by_month[crime_month[crime]].append(crime)
    for month, crimes in by_month.items():
        with open(folder / f"{month}-city-of-london-street.csv", "w", newline="",
                  encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(STREET_COLUMNS)
            for j, crime in enumerate(crimes):
                category = "Robbery" if j % 4 == 0 else "Other theft"
                w.writerow([crime, month, "City of London Police", "City of London Police",
                            "-0.09", "51.51", "On or near Somewhere", "E01032739",
                            "City of London 001F", category, "", "SYNTHETIC test row"])
    return crime_month


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("street")
    crime_month = write_street(folder, {"a": 0, "b": 1, "c": 1, "d": 2, "e": 3})
    path = folder / "matched.duckdb"
    with Warehouse.open(path) as wh:
        ingest_paths(wh, [*FILES, *sorted(folder.glob("*.csv"))], default_plan())
    return path, crime_month


def _months_apart(a: str, b: str) -> int:
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:]) - int(a[5:])


def test_lag_distribution_from_matched_street_rows(matched: tuple[Path, dict[str, str]]) -> None:
    path, crime_month = matched
    expected: Counter[int] = Counter()
    detected: Counter[int] = Counter()
    for r in outcome_rows():
        lag = _months_apart(crime_month[r["Crime ID"]], r["Month"])
        expected[lag] += 1
        detected[lag] += r["Outcome type"] in DETECTED_TEXTS
    with Warehouse.open(path, read_only=True) as wh:
        report = oc.outcome_lag(wh, city_plan(), "city-of-london")
    assert report.matched_rows == report.outcome_rows
    assert {r["lag_months"]: r["outcomes"] for r in report.distribution} == dict(expected)
    assert {r["lag_months"]: r["detected"] for r in report.distribution} == dict(detected)
    total = sum(detected.values())
    running, window = 0, None
    for lag in sorted(detected):
        running += detected[lag]
        if window is None and running >= 0.9 * total:
            window = lag
    assert report.window_months == window
    start = oc.incomplete_from(report)
    assert start is not None and window is not None
    assert _months_apart(f"{start:%Y-%m}", "2017-01") == window - 1


def test_detection_rate_measures_compute_from_police_uk(
        matched: tuple[Path, dict[str, str]]) -> None:
    path, crime_month = matched
    plan = city_plan()
    # which synthetic crimes are robberies, as written
    by_month: dict[str, list[str]] = defaultdict(list)
    for crime, month in sorted(crime_month.items()):
        by_month[month].append(crime)
    robbery = {c for crimes in by_month.values() for j, c in enumerate(crimes) if j % 4 == 0}
    first: dict[str, str] = {}
    for r in outcome_rows():
        if r["Outcome type"] in DETECTED_TEXTS:
            first[r["Crime ID"]] = min(first.get(r["Crime ID"], r["Month"]), r["Month"])
    with Warehouse.open(path, read_only=True) as wh:
        for month in ("2016-11", "2016-12", "2017-01"):
            start = date(int(month[:4]), int(month[5:]), 1)
            end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
            fig = compute(wh, plan, "robbery-detections", start, end)
            detected = sum(1 for c, m in first.items() if m == month and c in robbery)
            recorded = sum(1 for c in robbery if crime_month[c] == month)
            assert (fig.numerator, fig.denominator) == (detected, recorded), month
            assert fig.source == "policeuk" and fig.note is None
            assert fig.warning is not None and "recent months are incomplete" in fig.warning
            cohort = sum(1 for c in robbery if crime_month[c] == month and c in first)
            assert fig.cohort_detected == cohort
            all_fig = compute(wh, plan, "all-detections", start, end)
            assert all_fig.numerator == sum(1 for m in first.values() if m == month)
        # a month with street rows but no outcomes file is missing, not a rate of zero
        fig = compute(wh, plan, "robbery-detections", date(2016, 9, 1), date(2016, 10, 1))
        assert fig.value is None and fig.numerator is None
        assert fig.note is not None and "missing, not zero" in fig.note
        # burglary of homes has no police.uk category: still unavailable, with the reason
        fig = compute(wh, plan, "burglary-dwelling-detections", date(2016, 11, 1),
                      date(2017, 2, 1))
        assert fig.value is None and fig.note is not None and "offence codes" in fig.note


def test_outcomes_alone_give_detections_as_a_count(wh: Warehouse) -> None:
    plan = city_plan()
    fig = compute(wh, plan, "all-detections", date(2016, 11, 1), date(2017, 2, 1))
    assert fig.numerator == sum(first_detections().values()) and fig.value is None
    fig = compute(wh, plan, "robbery-detections", date(2016, 11, 1), date(2017, 2, 1))
    assert fig.value is None and fig.note is not None and "no crime type" in fig.note


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_outcomes_lag_and_detections(db: Path) -> None:
    code, out, err = run("outcomes", "lag", "--db", str(db), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["force"] == "city-of-london" and data["matched_rows"] == 0
    assert "west-midlands" in err  # the plan's force has no outcomes: says what it shows
    code, out, err = run("outcomes", "detections", "--db", str(db), "--force", "city-of-london",
                         "--format", "csv")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("month,outcome_rows,crimes_with_outcome,detected")
    assert [line.split(",")[3] for line in lines[1:]] == [
        str(first_detections()[m]) for m in ("2016-11", "2016-12", "2017-01")]
    code, out, err = run("outcomes", "lag", "--db", str(db), "--force", "kent")
    assert code == 1 and out == "" and "no outcomes are loaded for force 'kent'" in err
    code, out, err = run("outcomes", "detections", "--db", str(db))
    assert code == 0 and "Recent months are incomplete" in out


def test_a_crime_detected_twice_counts_once_in_its_first_month(tmp_path: Path) -> None:
    # Synthetic outcomes files (no real crime is detected in two months in the real files): one
    # crime charged in November and again in January, one cautioned in December only.
    header = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code," \
             "LSOA name,Outcome type\n"
    rows = {"2016-11": [("SYNTHETIC-A", "Suspect charged")],
            "2016-12": [("SYNTHETIC-B", "Offender given a caution"),
                        ("SYNTHETIC-A", "Offender sent to prison")],
            "2017-01": [("SYNTHETIC-A", "Suspect charged as part of another case")]}
    for month, items in rows.items():
        body = "".join(f"{crime},{month},City of London Police,City of London Police,,,,,,"
                       f"{text}\n" for crime, text in items)
        (tmp_path / f"{month}-city-of-london-outcomes.csv").write_text(header + body)
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, sorted(tmp_path.glob("*.csv")), default_plan())
        got = {r["month"]: r["detected"]
               for r in oc.detections_by_month(wh, city_plan(), "city-of-london")}
        fig = compute(wh, city_plan(), "all-detections", date(2016, 11, 1), date(2017, 2, 1))
    assert got == {"2016-11": 1, "2016-12": 1, "2017-01": 0}
    assert fig.numerator == 2
