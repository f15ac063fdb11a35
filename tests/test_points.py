"""`paragon ingest --kind points`: analysts' point files (Month, a crime type, Longitude and
Latitude under whatever spelling R or pandas gave them), on real police.uk derived files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.errors import IngestError, NotFoundError
from paragon.geography.lpus import force_lsoas
from paragon.ingest.points import header_fields, normalise, points_format
from paragon.ingest.registry import ingest_paths
from paragon.plan import Plan, parse_plan
from paragon.plan.init import starter_plan_text
from paragon.warehouse import Warehouse

DERIVED = Path(__file__).parent / "data" / "policeuk" / "derived"
GM_LINES = gzip.decompress((DERIVED / "gmp_bur.csv.gz").read_bytes()).decode().splitlines()
runner = CliRunner()


def gm_plan() -> Plan:
    return parse_plan(starter_plan_text("greater-manchester", "2016-17"), "gm starter")


def gm_slice(path: Path, header: str, n: int = 300, extra: list[str] | None = None) -> Path:
    """The first ``n`` rows of the real GM burglary file under another header."""
    lines = [header, *GM_LINES[1:n + 1], *(extra or [])]
    path.write_text("\n".join(lines) + "\n")
    return path


def rows(wh: Warehouse, sql: str) -> list[tuple[object, ...]]:
    return [tuple(r.values()) for r in wh.query(sql)]


def test_normalised_names() -> None:
    assert {normalise(c) for c in ("Crime.type", "crime_type", "Crime type", " CRIME TYPE ")} == {
        "crime_type"}
    assert header_fields(["", "...1", "crime_id", "month", "Longitude", "LSOA.code"]) == {
        "crime_id": "crime_id", "month_txt": "month", "lon_txt": "Longitude",
        "lsoa_code": "LSOA.code"}
    with pytest.raises(IngestError, match="same field"):
        header_fields(["Crime.type", "crime_type"])


@pytest.mark.parametrize("header", [
    "Month,Crime.type,Longitude,Latitude",  # R's read.csv
    "month,crime_type,longitude,latitude",  # janitor::clean_names / pandas snake_case
    "Month,Crime type,Longitude,Latitude",  # police.uk's own spelling
    '"",Month,Crime.type,Longitude,Latitude',  # write.csv with row names
])
def test_every_spelling_loads_the_same_crimes(tmp_path: Path, wh: Warehouse,
                                              header: str) -> None:
    path = tmp_path / "points.csv"
    if header.startswith('""'):
        lines = [header, *(f'"{i}",{line}' for i, line in enumerate(GM_LINES[1:301], 1))]
        path.write_text("\n".join(lines) + "\n")
    else:
        gm_slice(path, header)
    [report] = ingest_paths(wh, [path], gm_plan(), kind="points")
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (300, 300, 0)
    got = rows(wh, "SELECT strftime(month, '%Y-%m'), category, source, force, count(*), "
                   "count(lsoa_code) FROM crimes GROUP BY ALL")
    assert got == [("2016-02", "Burglary", "policeuk", "greater-manchester", 300, 300)]


def test_points_without_lsoa_are_placed_in_the_forces_lsoas_and_lpus(tmp_path: Path,
                                                                     wh: Warehouse) -> None:
    path = gm_slice(tmp_path / "gm.csv", "Month,Crime.type,Longitude,Latitude", n=2000)
    ingest_paths(wh, [path], gm_plan(), kind="points", force="greater-manchester")
    gm = set(force_lsoas("greater-manchester")["lsoa_code"].to_pylist())
    placed = rows(wh, "SELECT lsoa_code, lpu_id, neighbourhood_id FROM crimes")
    assert len(placed) == 2000
    inside = [r for r in placed if r[0] in gm]
    assert len(inside) >= 0.99 * len(placed)
    assert all(r[1] and str(r[2]).startswith("E02") for r in inside)
    lpus = {lpu.id for lpu in gm_plan().lpus}
    assert {r[1] for r in inside} <= lpus


def test_a_given_lsoa_is_kept_and_crime_ids_are_policeuk_keys(tmp_path: Path,
                                                              wh: Warehouse) -> None:
    """Merseyside shoplifting: every police.uk column in snake_case, two index columns, NA."""
    path = DERIVED / "merseyside_shoplifting.csv.gz"
    [report] = ingest_paths(wh, [path], gm_plan(), kind="points", force="merseyside")
    assert report.rows_quarantined == 0 and report.rows_loaded == report.rows_read == 7930
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    first = lines[1].split(",")
    got = wh.query("SELECT crime_key, lsoa_code, force, context, last_outcome FROM crimes "
                   "WHERE crime_reference = ?", [first[2].strip('"')])
    assert got == [{"crime_key": "policeuk:" + first[2].strip('"'),
                    "lsoa_code": first[9].strip('"'), "force": "merseyside", "context": None,
                    "last_outcome": first[12].strip('"')}]
    months = rows(wh, "SELECT count(DISTINCT month), min(month)::VARCHAR, max(month)::VARCHAR "
                      "FROM crimes")
    assert months == [(13, "2019-05-01", "2020-05-01")]


def test_a_rerun_is_safe_and_identical_rows_are_kept(tmp_path: Path, wh: Warehouse) -> None:
    twice = GM_LINES[1]
    path = gm_slice(tmp_path / "gm.csv", GM_LINES[0], n=100, extra=[twice, twice])
    first = ingest_paths(wh, [path], gm_plan(), kind="points")[0]
    assert first.rows_loaded == 102  # two more burglaries at the same point in the same month
    again = ingest_paths(wh, [path], gm_plan(), kind="points")[0]
    assert (again.rows_loaded, again.rows_duplicate) == (0, 102)
    assert wh.scalar("SELECT count(*) FROM crimes") == 102


def test_bad_rows_are_quarantined_with_file_line_column_and_reason(tmp_path: Path,
                                                                   wh: Warehouse) -> None:
    bad = ["2016-13,Burglary,-2.43,53.61",
           "2016-02,Burglary,west,53.61",
           "2016-02,Burgling,-2.43,53.61",
           "2016-02,Burglary,-2.43,",
           "2016-02,Burglary,-2.43,NA",
           "2016-02,Burglary,-2.43,53.61,9",
           "2016-02,Burglary,NA,NA"]  # no location at all: kept, as police.uk has such rows
    path = gm_slice(tmp_path / "gm_bad.csv", "Month,Crime.type,Longitude,Latitude", n=10,
                    extra=bad)
    [report] = ingest_paths(wh, [path], gm_plan(), kind="points")
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (17, 11, 6)
    q = wh.query("SELECT file_name, line_number, column_name, reason FROM quarantine "
                 "ORDER BY line_number")
    assert [tuple(r.values()) for r in q] == [
        ("gm_bad.csv", 12, "Month", "Month '2016-13' is not a month (YYYY-MM or YYYY-MM-DD)"),
        ("gm_bad.csv", 13, "Longitude", "Longitude 'west' is not a number"),
        ("gm_bad.csv", 14, "Crime.type", "unknown crime type 'Burgling'"),
        ("gm_bad.csv", 15, "Latitude", "Longitude and Latitude go together"),
        ("gm_bad.csv", 16, "Latitude", "Longitude and Latitude go together"),
        ("gm_bad.csv", 17, None, "expected 4 fields, found 5"),
    ]
    unlocated = rows(wh, "SELECT lsoa_code, lpu_id FROM crimes WHERE latitude IS NULL")
    assert unlocated == [(None, None)]
    again = ingest_paths(wh, [path], gm_plan(), kind="points")[0]
    assert (again.rows_loaded, again.rows_quarantined) == (0, 6)
    assert wh.scalar("SELECT count(*) FROM crimes") == 11


def test_crime_type_given_for_a_file_without_one(tmp_path: Path, wh: Warehouse) -> None:
    path = DERIVED / "nottingham_burglary.csv.gz"
    with pytest.raises(IngestError, match=r"nottingham_burglary.csv:1: .*--crime-type"):
        ingest_paths(wh, [path], gm_plan(), kind="points", force="nottinghamshire")
    [report] = ingest_paths(wh, [path], gm_plan(), kind="points", force="nottinghamshire",
                            crime_type="Burglary")
    assert report.rows_loaded == 1795 and report.rows_quarantined == 0
    assert rows(wh, "SELECT DISTINCT category, force FROM crimes") == [
        ("Burglary", "nottinghamshire")]
    assert wh.scalar("SELECT count(DISTINCT month) FROM crimes") == 12
    with pytest.raises(IngestError, match=r"not a police\.uk crime type"):
        points_format("nottinghamshire", "Burgling")


def test_unknown_force_is_named() -> None:
    with pytest.raises(NotFoundError, match="Did you mean greater-manchester"):
        points_format("greater-manchster")


def test_cli_force_from_the_plan_and_from_the_option(tmp_path: Path) -> None:
    plan_path = tmp_path / "gm.yaml"
    plan_path.write_text(starter_plan_text("greater-manchester", "2016-17"))
    data = gm_slice(tmp_path / "gm.csv", "Month,Crime.type,Longitude,Latitude", n=50)
    db = str(tmp_path / "w.duckdb")
    result = runner.invoke(app, ["ingest", "--kind", "points", str(data), "--plan",
                                 str(plan_path), "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)["files"]
    assert (report["kind"], report["rows_loaded"]) == ("points", 50)
    told = " ".join(result.output.split())
    assert "note: gm.csv holds only Burglary: the plan's measures of other crime types" in told
    street = Path(__file__).parent / "data" / "policeuk" / "street"
    full = runner.invoke(app, ["ingest", str(street / "2021-01-cambridgeshire-street.csv"),
                               "--db", str(tmp_path / "c.duckdb"), "--format", "json"])
    assert full.exit_code == 0 and "holds only" not in full.output
    other = runner.invoke(app, ["ingest", "--kind", "points", "--force", "lancashire",
                                "--crime-type", "Burglary", str(DERIVED / "nottingham_burglary.csv.gz"),
                                "--db", db, "--format", "json"])
    assert other.exit_code == 0, other.output
    wh = Warehouse.open(Path(db), read_only=True)
    try:
        assert rows(wh, "SELECT force, count(*) FROM crimes GROUP BY force ORDER BY force") == [
            ("greater-manchester", 50), ("lancashire", 1795)]
    finally:
        wh.close()
    missing = runner.invoke(app, ["ingest", "--kind", "points", str(DERIVED / "nottingham_burglary.csv.gz"),
                                  "--force", "nottinghamshire", "--db", db])
    assert missing.exit_code == 1
    assert "--crime-type" in " ".join(missing.output.split())


def test_detected_from_the_header_without_kind(tmp_path: Path, wh: Warehouse) -> None:
    """A points header is detected as points; police.uk's own street files, which have the same
    four columns among others, stay street files."""
    path = gm_slice(tmp_path / "gm.csv", "Month,Crime.type,Longitude,Latitude", n=20)
    street = Path(__file__).parent / "data" / "policeuk" / "street"
    reports = ingest_paths(wh, [path, street / "2021-01-city-of-london-street.csv"], gm_plan())
    assert [(r.kind, r.rows_loaded) for r in reports] == [("points", 20), ("street", 247)]
