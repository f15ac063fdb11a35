"""Ingest speed: Paragon's street-level ingest against bare DuckDB ``read_csv`` (the floor).

Builds a large set of street-level files by replicating the real Cambridgeshire January 2021 file
(tests/data/policeuk/street/, 5,252 rows) across synthetic months and real police.uk force names,
with new Crime IDs, under benchmarks/out/ (git-ignored). Then, on the same files:

- the floor: ``CREATE TABLE t AS SELECT * FROM read_csv([...])`` into a new DuckDB file;
- Paragon: ``ingest_paths`` into a new warehouse (one transaction per file, validation, quarantine,
  geography, keys and the primary-key indexes of ``crimes`` and ``asb_incidents``);

and prints rows per second, the ratio to the floor and where Paragon's time went.

    .venv/bin/python benchmarks/ingest.py              # 5,041,920 rows (240 files)
    .venv/bin/python benchmarks/ingest.py --rows 500000 --format json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from paragon.ingest import engine, registry
from paragon.ingest.policeuk import bulk, geo
from paragon.ingest.policeuk.vocab import FORCES
from paragon.plan import default_plan
from paragon.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent
SOURCE = ROOT.parent / "tests/data/policeuk/street/2021-01-cambridgeshire-street.csv"
COPIES_PER_FILE = 4  # 21,008 rows a file: about a large force's month
ID_START = re.compile(rb"^[0-9a-f]{8}", re.MULTILINE)


def build(out: Path, rows: int) -> list[Path]:
    """Files of COPIES_PER_FILE copies of the source month each, until ``rows`` rows."""
    header, body = SOURCE.read_bytes().split(b"\n", 1)
    per_copy = body.count(b"\n")
    files = max(1, round(rows / (per_copy * COPIES_PER_FILE)))
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    forces = [f for f in FORCES if f not in ("btp", "northern-ireland", "cambridgeshire")]
    old = b",2021-01,Cambridgeshire Constabulary,Cambridgeshire Constabulary,"
    paths, tags = [], set()
    for i in range(files):
        force = forces[i % len(forces)]
        month = f"{2015 + i // (12 * len(forces))}-{i // len(forces) % 12 + 1:02d}"
        name = FORCES[force].encode()
        parts = [header + b"\n"]
        for copy in range(COPIES_PER_FILE):
            tag = hashlib.sha256(f"{force}/{month}/{copy}".encode()).hexdigest()[:8].encode()
            tags.add(tag)
            part = body.replace(old, b"," + month.encode() + b"," + name + b"," + name + b",")
            parts.append(ID_START.sub(tag, part))
        path = out / month / f"{month}-{force}-street.csv"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"".join(parts))
        paths.append(path)
    assert len(tags) == files * COPIES_PER_FILE, "Crime ID tags collided: change the seed"
    return paths


def floor(paths: list[Path], work: Path) -> tuple[float, int]:
    """Seconds for bare DuckDB to read the files into a table, and the rows it read."""
    db = work / "floor.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    started = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [[str(p) for p in paths]])
    seconds = time.perf_counter() - started
    rows = int(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
    con.close()
    return seconds, rows


STAGES: Counter[str] = Counter()


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            STAGES[name] += time.perf_counter() - started

    return wrapper


@contextmanager
def instrumented() -> Iterator[None]:
    """Time Paragon's stages by wrapping them (the product code carries no timers)."""
    patches = [
        (engine.hashlib, "sha256", "sha256 of the file"),
        (bulk, "parse_lines", "parse: lines to columns (numpy, pyarrow)"),
        (bulk, "_validated", "validate: casts and checks (DuckDB)"),
        (geo, "add_coordinates", "geography: BNG (pyproj)"),
        (bulk, "_insert", "insert: keys, rows, primary key (DuckDB)"),
        (bulk, "_notes", "notes (DuckDB)"),
        (engine, "_record_ingest", "ingests row"),
    ]
    originals = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in patches]
    for obj, attr, name in patches:
        setattr(obj, attr, _timed(name, getattr(obj, attr)))
    try:
        yield
    finally:
        for obj, attr, fn in originals:
            setattr(obj, attr, fn)


def paragon(paths: list[Path], work: Path) -> tuple[float, int, int]:
    """Seconds for Paragon to ingest the files, rows read and rows loaded."""
    db = work / "paragon.duckdb"
    db.unlink(missing_ok=True)
    Path(str(db) + ".wal").unlink(missing_ok=True)
    plan = default_plan()
    with Warehouse.open(db) as wh, instrumented():
        started = time.perf_counter()
        reports = registry.ingest_paths(wh, [work / "files"], plan)
        seconds = time.perf_counter() - started
    read = sum(r.rows_read for r in reports)
    loaded = sum(r.rows_loaded for r in reports)
    assert len(reports) == len(paths)
    return seconds, read, loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="about how many rows")
    parser.add_argument("--out", type=Path, default=ROOT / "out", help="work folder")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args(argv)
    paths = build(args.out / "files", args.rows)
    floor_s, floor_rows = floor(paths, args.out)
    ours_s, read, loaded = paragon(paths, args.out)
    if not floor_rows == read == loaded:
        print(f"row counts differ: floor {floor_rows}, read {read}, loaded {loaded}",
              file=sys.stderr)
        return 1
    result = {
        "files": len(paths), "rows": read,
        "floor_seconds": round(floor_s, 2), "floor_rows_per_second": round(read / floor_s),
        "paragon_seconds": round(ours_s, 2), "paragon_rows_per_second": round(read / ours_s),
        "ratio_to_floor": round(floor_s / ours_s, 3),
        "stages_seconds": {k: round(v, 2) for k, v in STAGES.most_common()},
    }
    result["stages_seconds"]["other (reading files, transactions, Python)"] = round(
        ours_s - sum(STAGES.values()), 2)
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            if isinstance(value, dict):
                print(f"{key}:")
                for k, v in value.items():
                    print(f"  {k:48s} {v:>8}")
            else:
                print(f"{key:24s} {value:>12,}" if isinstance(value, int) else f"{key:24s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
