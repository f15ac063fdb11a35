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
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

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
    files = max(1, -(-rows // (per_copy * COPIES_PER_FILE)))  # at least ``rows`` rows
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


STAGES: dict[str, float] = {}  # seconds by stage


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            STAGES[name] = STAGES.get(name, 0.0) + time.perf_counter() - started

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


def paragon(paths: list[Path], work: Path, *, keys: bool = True) -> tuple[float, int, int]:
    """Seconds for Paragon to ingest the files, rows read and rows loaded. ``keys=False`` is a
    diagnostic: the same ingest into tables made without their PRIMARY KEY constraints, to show
    what maintaining those indexes costs (every file is new, so no key check is needed)."""
    db = work / ("paragon.duckdb" if keys else "paragon-without-keys.duckdb")
    db.unlink(missing_ok=True)
    Path(str(db) + ".wal").unlink(missing_ok=True)
    if not keys:
        schema = resources.files("paragon.warehouse").joinpath("schema.sql").read_text("utf-8")
        with duckdb.connect(str(db)) as con:
            con.execute(schema.replace("PRIMARY KEY", ""))
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
    parser.add_argument("--without-keys", action="store_true",
                        help="also time the ingest into tables without primary keys (diagnostic)")
    args = parser.parse_args(argv)
    pa.array([0])  # pyarrow imports pandas on first use (about a second, once per process)
    paths = build(args.out / "files", args.rows)
    floor_s, floor_rows = floor(paths, args.out)
    ours_s, read, loaded = paragon(paths, args.out)
    stages = dict(STAGES)
    if not floor_rows == read == loaded:
        print(f"row counts differ: floor {floor_rows}, read {read}, loaded {loaded}",
              file=sys.stderr)
        return 1
    result: dict[str, Any] = {
        "files": len(paths), "rows": read,
        "floor_seconds": round(floor_s, 2), "floor_rows_per_second": round(read / floor_s),
        "paragon_seconds": round(ours_s, 2), "paragon_rows_per_second": round(read / ours_s),
        "ratio_to_floor": round(floor_s / ours_s, 3),
        "stages_seconds": {k: round(v, 2) for k, v in Counter(stages).most_common()},
    }
    result["stages_seconds"]["other (commits, final checkpoint, reading files, Python)"] = round(
        ours_s - sum(stages.values()), 2)
    if args.without_keys:
        STAGES.clear()
        bare_s, _, _ = paragon(paths, args.out, keys=False)
        result["without_primary_keys"] = {
            "seconds": round(bare_s, 2), "rows_per_second": round(read / bare_s),
            "ratio_to_floor": round(floor_s / bare_s, 3),
            "stages_seconds": {k: round(v, 2) for k, v in Counter(STAGES).most_common()}}
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


def _print(result: dict[str, Any], indent: str = "") -> None:
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{indent}{key}:")
            _print(value, indent + "  ")
        elif isinstance(value, int):
            print(f"{indent}{key:<58}{value:>12,}"[: 70 + len(indent)])
        else:
            print(f"{indent}{key:<58}{value!s:>12}")


if __name__ == "__main__":
    sys.exit(main())
