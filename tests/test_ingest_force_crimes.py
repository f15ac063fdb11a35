"""Force crime records: the ingest invariants on good and bad files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.errors import IngestError
from paragon.ingest.registry import ingest_paths
from paragon.plan import Plan
from paragon.warehouse import Warehouse

HEADER = (
    "crime_reference,recorded_date,offence_code,hate_flag,business_flag,domestic_flag,"
    "lsoa_code,location,easting,northing,outcome_type,outcome_date"
)
GOOD = [
    "WM/1,2010-04-03,28E,N,N,N,E01008881,On or near High Street,407000,287000,charged_summonsed,2010-05-01",
    "WM/2,2010-04-09,34B,N,N,N,E01008882,On or near Station Road,406900,286800,,",
    "WM/3,2010-05-11,46,N,Y,N,,Supermarket,,,caution,2010-05-12",
    'WM/4,2010-06-01,8N,Y,N,Y,E01008881,"On or near Park Road, East",,,no_further_action,2010-07-01',
]
BAD = [
    ("WM/5,2010-13-01,28E,N,N,N,,,,,,", "recorded_date", "is not a date"),
    ("WM/6,2010-06-01,99Z,N,N,N,,,,,,", "offence_code", "unknown Home Office offence code"),
    ("WM/7,2010-06-01,28E,maybe,N,N,,,,,,", "hate_flag", "is not Y or N"),
    (
        "WM/8,2010-06-01,28E,N,N,N,E01008881,x,407000,,,",
        "northing",
        "easting and northing go together",
    ),
    ("WM/9,2010-06-01,28E,N,N,N,,,,,arrested,2010-06-02", "outcome_type", "unknown outcome type"),
    ("WM/10,2010-06-01,28E,N,N,N,,,,,caution,2010-05-01", "outcome_date", "before recorded_date"),
    ("WM/11,2010-06-01,28E,N,N", None, "expected 12 fields, found 5"),
    ("WM/12,2010-06-01,28E,N,N,N,NOTANLSOA,,,,,", "lsoa_code", "is not an LSOA code"),
]


def write(path: Path, lines: list[str], *, newline: str = "\n", encoding: str = "utf-8") -> Path:
    path.write_bytes((newline.join([HEADER, *lines]) + newline).encode(encoding))
    return path


def counts(wh: Warehouse) -> tuple[int, int, int]:
    return (
        wh.scalar("SELECT count(*) FROM crimes"),
        wh.scalar("SELECT count(*) FROM quarantine"),
        wh.scalar("SELECT count(*) FROM ingests"),
    )


def test_good_file_loads_every_row_with_mappings(wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    [report] = ingest_paths(wh, [write(tmp_path / "good.csv", GOOD)], plan)
    assert (report.kind, report.rows_read, report.rows_loaded) == ("force-crimes", 4, 4)
    rows = {r["crime_reference"]: r for r in wh.query("SELECT * FROM crimes")}
    assert rows["WM/1"]["category"] == "Burglary"
    assert rows["WM/1"]["offence_subgroup"] == "Domestic burglary"
    assert rows["WM/1"]["lpu_id"] is not None and rows["WM/1"]["neighbourhood_id"] == "E02001893"
    assert rows["WM/1"]["longitude"] == pytest.approx(-1.8984, abs=1e-3)
    assert rows["WM/3"]["is_business"] and rows["WM/3"]["longitude"] is None
    assert rows["WM/4"]["is_hate"] and rows["WM/4"]["is_domestic"]
    assert rows["WM/4"]["location"] == "On or near Park Road, East"


def test_bad_rows_quarantined_with_line_column_and_reason(
    wh: Warehouse, plan: Plan, tmp_path: Path
) -> None:
    path = write(tmp_path / "mixed.csv", GOOD[:2] + [b[0] for b in BAD] + GOOD[2:])
    [report] = ingest_paths(wh, [path], plan)
    assert report.rows_read == len(GOOD) + len(BAD)
    assert (report.rows_loaded, report.rows_quarantined, report.rows_duplicate) == (4, len(BAD), 0)
    bad = wh.query(
        "SELECT line_number, column_name, reason, raw_text FROM quarantine ORDER BY line_number"
    )
    for (raw, column, reason), row in zip(BAD, bad, strict=True):
        assert row["raw_text"] == raw
        assert row["column_name"] == column
        assert reason in row["reason"]
    assert [r["line_number"] for r in bad] == list(range(4, 4 + len(BAD)))


def test_rerun_and_renamed_copy_load_nothing(wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", [*GOOD, BAD[0][0]])
    ingest_paths(wh, [path], plan)
    before = counts(wh)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    for again in (path, copy):
        [report] = ingest_paths(wh, [again], plan)
        assert report.rows_loaded == 0
        assert report.rows_read == report.rows_duplicate + report.rows_quarantined == 5
    crimes, quarantined, ingests = counts(wh)
    assert (crimes, quarantined) == before[:2]
    assert ingests == before[2] + 2


def test_overlapping_files_load_only_new_rows(wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    ingest_paths(wh, [write(tmp_path / "one.csv", GOOD[:3])], plan)
    [report] = ingest_paths(wh, [write(tmp_path / "two.csv", GOOD[1:])], plan)
    assert (report.rows_loaded, report.rows_duplicate) == (1, 2)
    assert wh.scalar("SELECT count(*) FROM crimes") == 4


def test_encodings_and_line_endings(wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    cp1252 = [GOOD[0].replace("High Street", "Caf\u00e9 Street")]
    ingest_paths(wh, [write(tmp_path / "w.csv", cp1252, newline="\r\n", encoding="cp1252")], plan)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (HEADER + "\n" + GOOD[1] + "\n\n").encode())
    [report] = ingest_paths(wh, [bom], plan)
    assert report.rows_loaded == 1
    assert (
        wh.scalar("SELECT location FROM crimes WHERE crime_reference = 'WM/1'")
        == "On or near Caf\u00e9 Street"
    )


def test_missing_column_names_it(wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "nohate.csv"
    path.write_text(HEADER.replace("hate_flag,", "") + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"missing column.*hate_flag"):
        ingest_paths(wh, [path], plan, kind="force-crimes")


def test_cli_json_report(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", [*GOOD, BAD[1][0]])
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            str(path),
            "--db",
            str(tmp_path / "w.duckdb"),
            "--format",
            "json",
            "--adapter",
            "crime-system-export",
        ],
    )
    assert result.exit_code == 0, result.output
    [file] = json.loads(result.stdout)["files"]
    assert {
        k: file[k] for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")
    } == {"rows_read": 5, "rows_loaded": 4, "rows_quarantined": 1, "rows_duplicate": 0}
    assert list(file["reasons"]) == ["unknown Home Office offence code '99Z'"]
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        assert wh.scalar("SELECT adapter FROM ingests") == "crime-system-export"


def _state(db: Path) -> dict[str, object]:
    with Warehouse.open(db, read_only=True) as wh:
        return {
            "crimes": wh.scalar("SELECT count(*) FROM crimes"),
            "keys": wh.scalar("SELECT sum(hash(crime_key)) FROM crimes"),
            "ingests": wh.query("SELECT ingest_id, file_name, rows_loaded FROM ingests ORDER BY 1"),
        }


def test_killed_ingest_leaves_warehouse_unchanged(tmp_path: Path) -> None:
    """SIGKILL a real `paragon ingest` once it has opened the warehouse and started writing the
    file's rows (the database file grows before any commit reaches the write-ahead log): the
    warehouse is as it was before; a re-run completes."""
    db = tmp_path / "kill.duckdb"
    lines = [
        f"K/{i},2010-0{1 + i % 9}-01,{('28E', '46', '8N')[i % 3]},N,N,N,,,,,,"
        for i in range(300_000)
    ]
    first = write(tmp_path / "first.csv", [f"F/{i},2009-05-01,28E,N,N,N,,,,,," for i in range(10)])
    cmd = [sys.executable, "-m", "paragon", "ingest"]
    subprocess.run([*cmd, str(first), "--db", str(db)], capture_output=True, check=True)
    before = _state(db)
    size = db.stat().st_size
    wal = Path(f"{db}.wal")
    big = write(tmp_path / "big.csv", lines)
    proc = subprocess.Popen(
        [*cmd, str(big), "--db", str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    writing = False
    while proc.poll() is None and not wal.exists():  # evidence, not a timer
        if db.stat().st_size > size:
            os.kill(proc.pid, signal.SIGKILL)
            writing = True
            break
        time.sleep(0.005)
    status = proc.wait()
    assert writing and status == -signal.SIGKILL, (
        "the ingest committed before it was seen writing: make the file bigger"
    )
    assert _state(db) == before
    result = subprocess.run(
        [*cmd, str(big), "--db", str(db), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout)["files"][0]["rows_loaded"] == 300_000
    with Warehouse.open(db, read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM crimes") == 300_010
