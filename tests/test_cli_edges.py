"""CLI edges: user errors are named, and a failed first ingest leaves no warehouse behind."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from paragon.cli import app

DATA = Path(__file__).parent / "data" / "policeuk"
CITY = DATA / "street" / "2021-01-city-of-london-street.csv"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def test_ingest_of_an_empty_folder_is_an_error_and_leaves_no_warehouse(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not data\n", encoding="utf-8")
    db = tmp_path / "w.duckdb"
    code, out = _run("ingest", str(empty), "--db", str(db))
    assert code == 1
    assert f"{empty}: no files to ingest" in out
    assert not db.exists() and not Path(str(db) + ".wal").exists()


def test_a_failed_first_ingest_removes_the_warehouse_it_created(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    db = tmp_path / "w.duckdb"
    code, out = _run("ingest", str(bad), "--db", str(db))
    assert code == 1 and "bad.csv" in out
    assert not db.exists()


def test_a_failed_ingest_keeps_an_existing_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert _run("ingest", str(CITY), "--db", str(db))[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert _run("ingest", str(bad), "--db", str(db))[0] == 1
    assert db.exists()


def test_gzipped_csv_is_ingested(tmp_path: Path) -> None:
    import gzip

    gz = tmp_path / "2021-01-city-of-london-street.csv.gz"
    gz.write_bytes(gzip.compress(CITY.read_bytes()))
    code, out = _run("ingest", str(tmp_path), "--db", str(tmp_path / "w.duckdb"),
                     "--format", "json")
    assert code == 0, out
    assert '"rows_loaded": 247' in out


def test_a_year_outside_the_plan_is_a_user_error_naming_the_years(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert _run("ingest", str(CITY), "--db", str(db))[0] == 0
    code, out = _run("milestones", "--year", "1999-00", "--db", str(db))
    assert code == 1
    assert "the plan has no year 1999-00: its years are 2010-11, 2011-12" in out
