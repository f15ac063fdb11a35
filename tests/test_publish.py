"""Publish, don't lock: readers read a published version while another process writes; writers
queue; a new version replaces the old one atomically; old versions go once no reader holds them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from paragon import publish
from paragon.errors import ParagonError
from paragon.warehouse import Warehouse

HOLD_WRITER = textwrap.dedent("""
    import sys
    from paragon.warehouse import Warehouse
    wh = Warehouse.open(sys.argv[1])
    with wh.transaction() as con:
        con.execute("INSERT INTO probe VALUES (2)")
    print("writing", flush=True)
    sys.stdin.readline()
    wh.close()
    print("closed", flush=True)
""")


def _make(db: Path) -> None:
    with Warehouse.open(db) as wh, wh.transaction() as con:
        con.execute("CREATE TABLE probe (x INTEGER)")
        con.execute("INSERT INTO probe VALUES (1)")


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A warehouse with one row, and another process holding it open for writing with a second
    row committed but not yet closed (so not published)."""
    db = tmp_path / "w.duckdb"
    _make(db)
    proc = subprocess.Popen([sys.executable, "-c", HOLD_WRITER, str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    yield db, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _finish(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "closed"
    assert proc.wait(timeout=60) == 0


def test_readers_read_while_another_process_writes(
        writer: tuple[Path, subprocess.Popen[str]]) -> None:
    db, proc = writer
    with Warehouse.open(db, read_only=True) as before:
        assert before.scalar("SELECT count(*) FROM probe") == 1  # the published version
        _finish(proc)
        assert before.scalar("SELECT count(*) FROM probe") == 1  # still its own version
        with Warehouse.open(db, read_only=True) as after:
            assert after.scalar("SELECT count(*) FROM probe") == 2
            assert after.version == before.version + 1  # type: ignore[operator]


def test_writers_queue_and_name_the_writer(writer: tuple[Path, subprocess.Popen[str]]) -> None:
    db, proc = writer
    told: list[str] = []
    with pytest.raises(publish.WarehouseBusyError, match=rf"process {proc.pid} "):
        Warehouse.open(db, wait=0.5, on_wait=told.append)
    assert told and f"process {proc.pid}" in told[0]
    _finish(proc)
    with Warehouse.open(db, wait=5) as wh, wh.transaction() as con:
        con.execute("INSERT INTO probe VALUES (3)")
    with Warehouse.open(db, read_only=True) as wh:
        assert sorted(r["x"] for r in wh.query("SELECT x FROM probe")) == [1, 2, 3]


def test_old_versions_go_once_no_reader_holds_them(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _make(db)
    folder = publish.layout(db).folder
    reader = Warehouse.open(db, read_only=True)
    held = folder / f"v{reader.version:06d}.duckdb"
    for value in (2, 3):
        with Warehouse.open(db) as wh, wh.transaction() as con:
            con.execute("INSERT INTO probe VALUES (?)", [value])
    pointer = publish.read_pointer(db)
    assert pointer is not None and pointer.version == reader.version + 2  # type: ignore[operator]
    # the held version stays; the one nobody opened is gone
    assert sorted(p.name for p in folder.glob("v*.duckdb")) == [held.name, pointer.file]
    assert reader.scalar("SELECT count(*) FROM probe") == 1
    reader.close()
    assert [p.name for p in folder.glob("v*.duckdb")] == [pointer.file]


def test_a_working_file_changed_without_publishing_is_published_by_the_next_reader(
        tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _make(db)
    import duckdb

    con = duckdb.connect(str(db))  # a writer that does not publish (older software)
    con.execute("INSERT INTO probe VALUES (9)")
    con.close()
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.scalar("SELECT max(x) FROM probe") == 9


def test_nothing_is_written_when_nothing_changed(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _make(db)
    before = publish.read_pointer(db)
    Warehouse.open(db).close()
    assert publish.read_pointer(db) == before


def test_a_garbled_pointer_is_named_with_line_and_column(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _make(db)
    pointer = publish.layout(db).pointer
    pointer.write_text('{"version": 1,\n  "file": }\n', encoding="utf-8")
    with pytest.raises(ParagonError, match=rf"{pointer}:2:11: .*not valid JSON"):
        Warehouse.open(db, read_only=True)
    pointer.write_text('{"version": 1}\n', encoding="utf-8")
    with pytest.raises(ParagonError, match=rf"{pointer}:1:1: .*'file'"):
        Warehouse.open(db, read_only=True)


def test_a_missing_warehouse_is_refused_for_reading(tmp_path: Path) -> None:
    with pytest.raises(ParagonError, match="no warehouse at"):
        Warehouse.open(tmp_path / "none.duckdb", read_only=True)
    assert not os.listdir(tmp_path)


def test_a_failed_first_ingest_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,known,format\n1,2,3,4\n", encoding="utf-8")
    db = tmp_path / "new.duckdb"
    result = subprocess.run([sys.executable, "-m", "paragon", "ingest", str(bad), "--db",
                             str(db)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert sorted(os.listdir(tmp_path)) == ["bad.csv"], result.stderr
