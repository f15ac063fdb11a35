"""police.uk sources and formats: zip archives as data.police.uk serves them, folders, header
detection and its errors, encodings, West Midlands geography and outcomes updating crimes."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.errors import IngestError
from paragon.geography.lpus import west_midlands_lsoas
from paragon.ingest.registry import ingest_paths
from paragon.plan import Plan
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "policeuk"
CAMBS = DATA / "street" / "2021-01-cambridgeshire-street.csv"
LONDON = DATA / "street" / "2021-01-city-of-london-street.csv"
OUTCOMES = sorted((DATA / "outcomes").glob("*.csv"))


def build_archive(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def totals(wh: Warehouse) -> tuple[int, int, int, int]:
    return (wh.scalar("SELECT count(*) FROM crimes"), wh.scalar("SELECT count(*) FROM asb_incidents"),
            wh.scalar("SELECT count(*) FROM stop_search"), wh.scalar("SELECT count(*) FROM outcomes"))


def test_monthly_archive_is_read_in_place(wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    stop = DATA / "stop-and-search" / "2020-01-durham-stop-and-search.csv"
    archive = build_archive(tmp_path / "2021-01.zip", {
        "2021-01/2021-01-city-of-london-street.csv": LONDON.read_bytes(),
        "2021-01/2021-01-cambridgeshire-street.csv": CAMBS.read_bytes(),
        "2020-01/2020-01-durham-stop-and-search.csv": stop.read_bytes(),
    })
    before = sorted(p.name for p in tmp_path.iterdir() if ".duckdb" not in p.name)
    reports = ingest_paths(wh, [archive], plan)
    assert [r.path.split("!")[1] for r in reports] == [
        "2020-01/2020-01-durham-stop-and-search.csv",
        "2021-01/2021-01-cambridgeshire-street.csv",
        "2021-01/2021-01-city-of-london-street.csv",
    ]
    assert sum(r.rows_loaded for r in reports) == 5252 + 247 + 161
    after = sorted(p.name for p in tmp_path.iterdir() if ".duckdb" not in p.name)
    assert after == before == ["2021-01.zip"]  # nothing unpacked
    assert wh.scalar("SELECT count(*) FROM ingests WHERE path LIKE '%2021-01.zip!%'") == 3
    assert sum(r.rows_loaded for r in ingest_paths(wh, [tmp_path], plan)) == 0  # folder of zips


def test_a_damaged_archive_member_is_refused_naming_it(wh: Warehouse, plan: Plan,
                                                       tmp_path: Path) -> None:
    archive = build_archive(tmp_path / "a.zip", {"2021-01/2021-01-city-of-london-street.csv":
                                                 LONDON.read_bytes()})
    data = bytearray(archive.read_bytes())
    at = data.index(b"2021-01-city-of-london-street.csv") + 60  # inside the compressed data
    data[at:at + 40] = bytes(40)
    archive.write_bytes(bytes(data))
    with pytest.raises(IngestError, match=r"city-of-london-street\.csv"):
        ingest_paths(wh, [archive], plan)
    assert totals(wh) == (0, 0, 0, 0)


def header_error(wh: Warehouse, plan: Plan, path: Path, text: str) -> str:
    path.write_text(text)
    with pytest.raises(IngestError) as info:
        ingest_paths(wh, [path], plan)
    return info.value.message


def test_header_errors_name_the_columns(wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    header = LONDON.read_text().splitlines()[0]
    message = header_error(wh, plan, tmp_path / "a.csv", header.replace("LSOA code", "LSOA kode"))
    assert "missing column(s) LSOA code" in message and "unexpected column(s): LSOA kode" in message
    message = header_error(wh, plan, tmp_path / "b.csv", "Type,Date,Legislation\n")
    assert "not a stop-search file: missing column(s) Part of a policing operation" in message
    message = header_error(wh, plan, tmp_path / "c.csv", "foo,bar\n1,2\n")
    assert "cannot tell what kind of file" in message
    message = header_error(wh, plan, tmp_path / "d.csv", "")
    assert "empty" in message
    assert totals(wh) == (0, 0, 0, 0)


def test_stop_and_search_needs_the_force_in_its_name(wh: Warehouse, plan: Plan,
                                                     tmp_path: Path) -> None:
    source = DATA / "stop-and-search" / "2019-12-durham-stop-and-search.csv"
    renamed = tmp_path / "searches.csv"
    renamed.write_bytes(source.read_bytes())
    with pytest.raises(IngestError, match="cannot tell the force from the file name"):
        ingest_paths(wh, [renamed], plan)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_encodings(wh: Warehouse, plan: Plan, tmp_path: Path, encoding: str) -> None:
    text = LONDON.read_text().replace("On or near Fann Street", "On or near Café Street")
    path = tmp_path / "2021-01-city-of-london-street.csv"
    path.write_bytes(text.encode(encoding))
    [report] = ingest_paths(wh, [path], plan)
    assert report.rows_loaded == 247
    cafe = ("SELECT count(*) FROM (SELECT location FROM crimes UNION ALL SELECT location "
            "FROM asb_incidents) WHERE location = 'On or near Café Street'")
    assert wh.scalar(cafe) == text.count("Café") > 0
    assert ("decoded as cp1252" in report.message) == (encoding == "cp1252")


def west_midlands_file(path: Path) -> tuple[Path, dict[str, str]]:
    """The City of London file made a West Midlands one (synthetic): its force name changed and
    its LSOA codes replaced by West Midlands LSOAs, except on the first located row, which keeps
    its London LSOA. Returns the file and the LPU of each West Midlands LSOA."""
    lsoas = west_midlands_lsoas()
    rows = list(csv.reader(io.StringIO(LONDON.read_text())))
    out_rows = [rows[0]]
    for i, r in enumerate(rows[1:]):
        lsoa = r[7] if not r[7] or i == 0 else lsoas[(i * 37) % len(lsoas)].lsoa_code
        out_rows.append(r[:2] + ["West Midlands Police"] * 2 + r[4:7] + [lsoa] + r[8:])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(out_rows)
    path.write_text(out.getvalue())
    return path, {x.lsoa_code: x.lpu_id for x in lsoas}


def test_west_midlands_lsoas_get_their_lpu(wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    path, lpu_of = west_midlands_file(tmp_path / "2021-01-west-midlands-street.csv")
    ingest_paths(wh, [path], plan)
    rows = wh.query("SELECT lsoa_code, lpu_id, neighbourhood_id FROM crimes UNION ALL "
                    "SELECT lsoa_code, lpu_id, neighbourhood_id FROM asb_incidents")
    located = [r for r in rows if r["lsoa_code"] in lpu_of]
    assert len(located) > 200
    assert all(r["lpu_id"] == lpu_of[r["lsoa_code"]] and r["neighbourhood_id"] for r in located)
    assert all(r["lpu_id"] is None for r in rows if r["lsoa_code"] not in lpu_of)
    assert sum(1 for r in rows if r["lsoa_code"] == "E01000001") == 1
    # Cambridgeshire's crimes get Cambridgeshire's starter LPUs (its districts), none of West
    # Midlands'; rows with no location or an LSOA outside the force (43 real crimes) have none
    ingest_paths(wh, [CAMBS], plan)
    got = wh.query("SELECT lpu_id, count(*) AS n, count(longitude) AS located FROM crimes "
                   "WHERE force = 'cambridgeshire' GROUP BY ALL")
    assert {r["lpu_id"] for r in got} == {
        "cambridge", "east-cambridgeshire", "fenland", "huntingdonshire", "peterborough",
        "south-cambridgeshire", None}
    assert sum(r["located"] for r in got if r["lpu_id"] is None) == 43


def street_for_outcomes(path: Path) -> Path:
    """A street file (synthetic) listing the crimes of the real outcomes files, 'Under
    investigation', so that the outcomes have crimes to update."""
    ids = sorted({r["Crime ID"] for p in OUTCOMES for r in csv.DictReader(io.StringIO(p.read_text()))})
    header = LONDON.read_text().splitlines()[0]
    lines = [f"{i},2016-10,City of London Police,City of London Police,,,No Location,,,"
             f"Other theft,Under investigation," for i in ids]
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def last_outcomes(wh: Warehouse) -> dict[str, tuple]:
    return {r["crime_reference"]: (r["last_outcome"], r["outcome_type"], r["outcome_date"])
            for r in wh.query("SELECT crime_reference, last_outcome, outcome_type, outcome_date "
                              "FROM crimes")}


def expected_last_outcomes() -> dict[str, tuple[str, str]]:
    """Computed from the files: each crime's outcome of its latest month."""
    latest: dict[str, tuple[str, str]] = {}
    for path in OUTCOMES:  # in month order
        for row in csv.DictReader(io.StringIO(path.read_text())):
            latest.setdefault(row["Crime ID"], ("", ""))
            if row["Month"] >= latest[row["Crime ID"]][0]:
                latest[row["Crime ID"]] = (row["Month"], row["Outcome type"])
    return latest


@pytest.mark.parametrize("street_first", [True, False])
def test_outcomes_update_crimes_latest_month_wins(plan: Plan, tmp_path: Path,
                                                  street_first: bool) -> None:
    street = street_for_outcomes(tmp_path / "2016-10-city-of-london-street.csv")
    order = [street, *OUTCOMES] if street_first else [*reversed(OUTCOMES), street]
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest_paths(wh, order, plan)
        got = last_outcomes(wh)
    expected = expected_last_outcomes()
    assert set(got) == set(expected)
    single = {k for k, (month, _) in expected.items()
              if sum(1 for p in OUTCOMES for r in csv.DictReader(io.StringIO(p.read_text()))
                     if r["Crime ID"] == k and r["Month"] == month) == 1}
    months = {(r["Crime ID"], r["Month"]) for p in OUTCOMES
              for r in csv.DictReader(io.StringIO(p.read_text()))}
    assert sum(1 for c in single if sum(1 for k, _ in months if k == c) > 1) >= 10
    for crime in single:  # one outcome in the latest month: that one is the last
        month, text = expected[crime]
        assert got[crime][0] == text and str(got[crime][2])[:7] == month
    assert all(t is not None for _, t, _ in got.values())


def test_kind_option_and_json_contract(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    result = CliRunner().invoke(app, ["ingest", str(DATA / "street"), "--kind", "street",
                                      "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert [f["kind"] for f in files] == ["street-2011", "street", "street"]
    assert set(files[0]) >= {"path", "kind", "rows_read", "rows_loaded", "rows_quarantined",
                             "rows_duplicate", "reasons"}
    wrong = CliRunner().invoke(app, ["ingest", str(CAMBS), "--kind", "stop-search",
                                     "--db", str(db)])
    assert wrong.exit_code == 1 and "missing column(s)" in wrong.output


def test_a_republished_force_month_counts_known_crime_ids_as_duplicates(
        wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    """A force's month published again, changed (here: one crime given a new Crime ID): its known
    Crime IDs and anti-social behaviour rows are duplicates, checked against that force-month."""
    ingest_paths(wh, [LONDON], plan)
    lines = LONDON.read_text().splitlines(keepends=True)
    first_crime = next(i for i, line in enumerate(lines) if i and not line.startswith(","))
    again = tmp_path / "2021-01-city-of-london-street.csv"
    lines[first_crime] = "f" * 64 + lines[first_crime][64:]
    again.write_text("".join(lines))
    [report] = ingest_paths(wh, [again], plan)
    assert report.rows_read == report.rows_loaded + report.rows_duplicate == 247
    assert report.rows_loaded == 1
    assert wh.scalar("SELECT crime_key FROM crimes WHERE ingest_id = ?",
                     [report.ingest_id]) == "policeuk:" + "f" * 64
    assert wh.scalar("SELECT count(*) FROM crimes") == 187


def test_a_force_month_is_the_unit_of_duplicates(wh: Warehouse, plan: Plan,
                                                  tmp_path: Path) -> None:
    """police.uk lists a crime in its month's file only: a month the warehouse lacks is loaded
    without a key check, so the same Crime IDs under another month are that month's rows."""
    ingest_paths(wh, [LONDON], plan)
    moved = tmp_path / "2021-02-city-of-london-street.csv"
    moved.write_text(LONDON.read_text().replace(",2021-01,", ",2021-02,"))
    [report] = ingest_paths(wh, [moved], plan)
    assert report.rows_loaded == report.rows_read == 247
    assert wh.scalar("SELECT count(*) FROM loaded_months WHERE table_name = 'crimes'") == 2


def test_quoted_fields_and_exact_line_numbers(wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    lines = LONDON.read_text().splitlines()
    lines[5] = lines[5].replace("On or near ", '"On or near Bank, ').replace(",E01", '",E01', 1)
    lines[7] = lines[7].replace("On or near ", '"On or near ')  # a quote left open
    path = tmp_path / "2021-01-city-of-london-street.csv"
    path.write_text("\r\n".join([*lines[:5], "", "", *lines[5:]]) + "\r\n")
    [report] = ingest_paths(wh, [path], plan)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (247, 246, 1)
    assert wh.query("SELECT line_number, reason FROM quarantine") == [
        {"line_number": 10, "reason": "quote left open"}]  # line 8 of the file, after 2 blanks
    assert wh.scalar("SELECT count(*) FROM (SELECT location FROM crimes UNION ALL SELECT location "
                     "FROM asb_incidents) WHERE location LIKE 'On or near Bank, %'") == 1


def test_a_character_cut_by_the_header_sniff_does_not_refuse_the_file(
        wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    """Detection reads the first 64 KB; a UTF-8 character cut there ('⁄' is E2 81 84, and 0x81 is
    not Windows-1252 either) must not make a good file unreadable."""
    data = CAMBS.read_bytes()
    at = data.rindex(b"On or near ", 0, 65_000) + len(b"On or near ")
    cut = "x" * (65_534 - at) + "\u2044"  # E2 81 | 84: the sniff ends between 81 and 84
    path = tmp_path / CAMBS.name
    path.write_bytes(data[:at] + cut.encode() + data[at:])
    [report] = ingest_paths(wh, [path], plan)
    assert (report.rows_read, report.rows_loaded) == (5252, 5252)
    assert "decoded as" not in report.message
    assert wh.scalar("SELECT count(*) FROM (SELECT location FROM crimes UNION ALL SELECT location "
                     "FROM asb_incidents) WHERE location LIKE '%\u2044%'") == 1


def test_every_outcome_type_has_a_stage() -> None:
    """A type without a stage would leave the within-month tie-break of last outcomes NULL."""
    from paragon.ingest.policeuk.vocab import OUTCOME_STAGE, OUTCOMES

    assert set(OUTCOMES.values()) <= set(OUTCOME_STAGE)
