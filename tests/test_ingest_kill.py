"""An ingest killed (SIGKILL) in the middle of a big file leaves the warehouse as it was, and a
re-run then loads the whole file."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "policeuk" / "street"
COPIES = 40  # of the 5,252-row Cambridgeshire month: 210,080 rows, about 50 MB


def big_street_file(path: Path) -> int:
    """The real Cambridgeshire month repeated, each copy with new Crime IDs (synthetic)."""
    header, body = (DATA / "2021-01-cambridgeshire-street.csv").read_bytes().split(b"\n", 1)
    parts = [header + b"\n"]
    for copy in range(COPIES):
        tag = hashlib.sha256(str(copy).encode()).hexdigest()[:8].encode()
        parts.append(re.sub(rb"^[0-9a-f]{8}", tag, body, flags=re.MULTILINE))
    path.write_bytes(b"".join(parts))
    return body.count(b"\n") * COPIES


def paragon(*args: str) -> list[str]:
    """The installed `paragon` command, as a user runs it."""
    return [str(Path(sys.executable).parent / "paragon"), *args]


def snapshot(db: Path) -> dict[str, object]:
    with Warehouse.open(db, read_only=True) as wh:
        return {**wh.table_counts(),
                "ingests": wh.query("SELECT ingest_id, file_name, rows_loaded FROM ingests "
                                    "ORDER BY 1"),
                "keys": wh.scalar("SELECT sum(hash(crime_key)) FROM crimes")}


def kill_mid_insert(cmd: list[str], db: Path) -> int:
    """Start ``cmd``; SIGKILL it as soon as its transaction writes row data to the database file
    (before any commit reaches the write-ahead log). Returns the process's exit status."""
    wal = Path(str(db) + ".wal")
    size = db.stat().st_size
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if wal.exists():
            break  # committed already: too late to be mid-file
        if db.stat().st_size > size:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    return proc.wait(timeout=60)


@pytest.mark.slow
def test_sigkill_mid_file_leaves_the_warehouse_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    first = subprocess.run(paragon("ingest", str(DATA / "2021-01-city-of-london-street.csv"),
                                   "--db", str(db)), capture_output=True, check=False)
    assert first.returncode == 0, first.stderr
    before = snapshot(db)
    big = tmp_path / "2021-02-cambridgeshire-street.csv"
    rows = big_street_file(big)

    status = kill_mid_insert(paragon("ingest", str(big), "--db", str(db)), db)

    assert status == -signal.SIGKILL, "the ingest finished before it could be killed mid-file"
    assert snapshot(db) == before
    rerun = subprocess.run(paragon("ingest", str(big), "--db", str(db), "--format", "json"),
                           capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert f'"rows_loaded": {rows}' in rerun.stdout
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM crimes") + wh.scalar(
            "SELECT count(*) FROM asb_incidents") == rows + 247
        assert wh.scalar("SELECT count(*) FROM ingests") == 2
