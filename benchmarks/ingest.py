"""Ingest at national scale: Paragon against bare DuckDB ``read_csv`` (the floor), and re-ingest.

Builds a data.police.uk archive layout (``YYYY-MM/YYYY-MM-<force>-<kind>.csv``) under
benchmarks/out/ (git-ignored) from the real files in tests/data/policeuk: for every police.uk
force and month, a street file (the Cambridgeshire January 2021 month twice and the City of London
one, 10,750 rows), an outcomes file (the City of London January 2017 month five times, 1,845 rows)
and a stop-and-search file (the City of London January 2020 month, 351 rows), each copy with new
Crime IDs and the force's name, month and dates put in: about 557,000 rows a month, as police.uk
publishes for England and Wales. Then, on the same files, each in a process of its own:

- the floor: ``CREATE TABLE ... AS SELECT * FROM read_csv([...])`` per kind into a new DuckDB file;
- Paragon: ``ingest_paths`` into a new warehouse (validation, quarantine, geography, duplicate
  checks, accounting), then the publish of the first version (copy) on close;
- re-ingest: ``ingest_paths`` of the same files into that warehouse again (a check by content);

and prints, per size: both times, their ratio, Paragon's peak memory (resident set), the file sizes
and the re-ingest time and its share of the first ingest.

    .venv/bin/python benchmarks/ingest.py                      # 1M and 5M rows
    .venv/bin/python benchmarks/ingest.py --rows 18000000      # one size
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
DATA = ROOT.parent / "tests/data/policeuk"
STREET = [(DATA / "street/2021-01-cambridgeshire-street.csv", 2),
          (DATA / "street/2021-01-city-of-london-street.csv", 1)]
OUTCOMES = [(DATA / "outcomes/2017-01-city-of-london-outcomes.csv", 5)]
STOPS = [(DATA / "stop-and-search/2020-01-city-of-london-stop-and-search.csv", 1)]
ID_START = re.compile(rb"^[0-9a-f]{8}", re.MULTILINE)
STOP_DATE = re.compile(rb",2020-01-(\d\d)")
NAMES = (b"Cambridgeshire Constabulary", b"City of London Police")


def _forces() -> dict[str, str]:
    from paragon.ingest.policeuk.vocab import FORCES
    return {slug: name for slug, name in FORCES.items() if slug != "northern-ireland"}


def _body(path: Path) -> tuple[bytes, bytes]:
    header, body = path.read_bytes().split(b"\n", 1)
    return header, body


def _copies(parts: list[tuple[Path, int]], force: str, name: bytes, month: str,
            old_month: bytes, tags: set[bytes]) -> bytes:
    out: list[bytes] = []
    for path, copies in parts:
        header, body = _body(path)
        if not out:
            out.append(header + b"\n")
        for copy in range(copies):
            tag = hashlib.sha256(f"{force}/{month}/{path.name}/{copy}".encode()).hexdigest()[:8]
            tags.add(tag.encode())
            part = body.replace(b"," + old_month + b",", b"," + month.encode() + b",")
            for old in NAMES:
                part = part.replace(old, name)
            out.append(ID_START.sub(tag.encode(), part))
    return b"".join(out)


def build(out: Path, rows: int) -> tuple[list[Path], int]:
    """Whole months of every force until at least ``rows`` rows; returns the files and rows."""
    forces = _forces()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    paths: list[Path] = []
    total, tags, month_index = 0, set[bytes](), 0
    stop_header, stop_body = _body(STOPS[0][0])
    while total < rows:
        month = f"{2015 + month_index // 12}-{month_index % 12 + 1:02d}"
        folder = out / month
        folder.mkdir()
        for force, name in forces.items():
            street = _copies(STREET, force, name.encode(), month, b"2021-01", tags)
            outcomes = _copies(OUTCOMES, force, name.encode(), month, b"2017-01", tags)
            stops = stop_header + b"\n" + STOP_DATE.sub(
                lambda m, month=month: f",{month}-{min(int(m[1]), 28):02d}".encode(), stop_body)
            for kind, data in (("street", street), ("outcomes", outcomes),
                               ("stop-and-search", stops)):
                path = folder / f"{month}-{force}-{kind}.csv"
                path.write_bytes(data)
                paths.append(path)
                total += data.count(b"\n") - 1
        month_index += 1
    return paths, total


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_floor(files: Path, db: Path) -> dict[str, Any]:
    import duckdb
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    kinds = {"street": [], "outcomes": [], "stop-and-search": []}  # type: dict[str, list[str]]
    for path in sorted(files.rglob("*.csv")):
        kind = next(k for k in kinds if path.name.endswith(f"-{k}.csv"))
        kinds[kind].append(str(path))
    started, cpu = time.perf_counter(), time.process_time()
    for kind, paths in kinds.items():
        con.execute(f"CREATE TABLE \"{kind}\" AS SELECT * FROM read_csv(?)", [paths])
    con.execute("CHECKPOINT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = sum(int(con.execute(f"SELECT count(*) FROM \"{k}\"").fetchall()[0][0]) for k in kinds)
    con.close()
    return {"seconds": seconds, "cpu": cpu, "rows": rows, "peak_mb": _peak_mb(), "file_mb": _mb(db)}


def child_paragon(files: Path, db: Path, *, fresh: bool) -> dict[str, Any]:
    from paragon.ingest import registry
    from paragon.plan import default_plan
    from paragon.warehouse import Warehouse
    if fresh:
        shutil.rmtree(db.parent, ignore_errors=True)
        db.parent.mkdir(parents=True)
    import pyarrow as pa
    pa.array([0])  # pyarrow imports pandas on first use (about a second, once per process)
    plan = default_plan()
    wh = Warehouse.open(db)
    started, cpu = time.perf_counter(), time.process_time()
    reports = registry.ingest_paths(wh, [files], plan)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    wh.close()
    publish = time.perf_counter() - started
    return {"seconds": seconds, "cpu": cpu, "publish_seconds": publish,
            "rows": sum(r.rows_read for r in reports),
            "loaded": sum(r.rows_loaded for r in reports),
            "duplicate": sum(r.rows_duplicate for r in reports),
            "quarantined": sum(r.rows_quarantined for r in reports),
            "peak_mb": _peak_mb(), "file_mb": _mb(db)}


def _mb(path: Path) -> float:
    return path.stat().st_size / 1e6


def _run(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, check=False)
    if done.returncode:
        raise SystemExit(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(rows: int, out: Path) -> dict[str, Any]:
    files = out / "files"
    _, built = build(files, rows)
    floor = _run("floor", str(files), str(out / "floor.duckdb"))
    first = _run("paragon", str(files), str(out / "paragon" / "w.duckdb"))
    again = _run("reingest", str(files), str(out / "paragon" / "w.duckdb"))
    assert floor["rows"] == first["rows"] == again["rows"] == built, (floor, first, again)
    assert first["loaded"] + first["quarantined"] == built
    assert again["loaded"] == 0 and again["duplicate"] == first["loaded"]
    return {"rows": built, "floor_s": floor["seconds"], "paragon_s": first["seconds"],
            "ratio": first["seconds"] / floor["seconds"], "floor_cpu": floor["cpu"],
            "paragon_cpu": first["cpu"], "cpu_ratio": first["cpu"] / floor["cpu"],
            "peak_mb": first["peak_mb"],
            "floor_peak_mb": floor["peak_mb"], "file_mb": first["file_mb"],
            "floor_file_mb": floor["file_mb"], "publish_s": first["publish_seconds"],
            "reingest_s": again["seconds"], "reingest_share": again["seconds"] / first["seconds"],
            "quarantined": first["quarantined"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 5_000_000],
                        help="about how many rows, one run per size")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "ingest", help="work folder")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        what, files, db = args.child
        result = (child_floor(Path(files), Path(db)) if what == "floor" else
                  child_paragon(Path(files), Path(db), fresh=what == "paragon"))
        print(json.dumps(result))
        return 0
    results = [measure(rows, args.out) for rows in args.rows]
    if args.format == "json":
        print(json.dumps(results, indent=2))
        return 0
    print("| rows | bare DuckDB s | Paragon s | ratio | DuckDB CPU s | Paragon CPU s | CPU ratio "
          "| Paragon peak MB | DuckDB peak MB | "
          "Paragon file MB | DuckDB file MB | publish s | re-ingest s | re-ingest share |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['rows']:,} | {r['floor_s']:.1f} | {r['paragon_s']:.1f} | {r['ratio']:.2f}x | "
              f"{r['floor_cpu']:.1f} | {r['paragon_cpu']:.1f} | {r['cpu_ratio']:.2f}x | "
              f"{r['peak_mb']:,.0f} | {r['floor_peak_mb']:,.0f} | {r['file_mb']:,.0f} | "
              f"{r['floor_file_mb']:,.0f} | {r['publish_s']:.1f} | {r['reingest_s']:.2f} | "
              f"{r['reingest_share']:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
