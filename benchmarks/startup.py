"""Start-up times: `paragon --help`, `paragon milestones` and `paragon serve` to its first page,
against `python -c pass` and a FastAPI hello world under uvicorn, in the same run.

Each command runs in a fresh process ``--runs`` times, interleaved (median reported, with min and
max, and the median CPU seconds the process used); serve and the hello world are timed from
process start to the first 200 answer on ``/``, and their CPU is the server process's at that
moment (read from /proc). ``milestones`` runs on the demo warehouse and is split into its own
compute (the time inside ``milestone_table``, timed in the same process) and everything else (the
start-up overhead: the interpreter, imports, the plan, opening the warehouse, printing). The
ratios are what to compare between runs and machines: the machine's 1-minute load average is
printed, since other processes compete for the same CPUs.

Python's bytecode cache is kept under benchmarks/out/startup/pycache (an installed package has
its cache; PYTHONDONTWRITEBYTECODE, if set, is dropped for the timed processes), and every
command runs once before the timed runs so that the cache is written. The warehouses are built
once under benchmarks/out/startup/ (git-ignored): the bundled West Midlands February 2011 street
file (served), the same with the figures of its published version stored beside it (computed
each run, as a publish computes them while a server runs) and the synthetic demo (milestones, and
served).

    .venv/bin/python benchmarks/startup.py            # 5 runs each
    .venv/bin/python benchmarks/startup.py --runs 3
    .venv/bin/python benchmarks/startup.py --before /tmp/old/src   # older code too, interleaved

``--before DIR`` runs every paragon command a second time with ``PYTHONPATH=DIR`` (the ``src``
folder of another checkout: the code before a change), in the same rounds, rows marked
"(before)".
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out" / "startup"
PY = sys.executable
STREET = ROOT.parent / "src" / "paragon" / "data" / "policeuk" / "2011-02-west-midlands-street.csv"
DEMO_YEAR = "2011-12"  # the demo's last year: nine months observed, the rest projected
HELLO = textwrap.dedent("""
    import sys
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
""")
# `paragon milestones` as the command line runs it, with the time inside milestone_table noted
MILESTONES = textwrap.dedent("""
    import os, sys, time
    import paragon.measures.milestones as m
    from paragon.cli import app

    inner = m.milestone_table
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            with open(os.environ["STARTUP_COMPUTE_FILE"], "w") as out:
                out.write(str(time.perf_counter() - start))
    m.milestone_table = timed
    sys.argv = ["paragon", *sys.argv[1:]]
    app()
""")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env() -> dict[str, str]:
    out = {**os.environ, "PARAGON_SECRET_KEY": "startup-benchmark-secret-0123456789abcdef",
           "PYTHONPYCACHEPREFIX": str(OUT / "pycache")}
    out.pop("PARAGON_PLAN", None)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def street_warehouse() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "wm-2011-02.duckdb"
    if not db.exists():
        subprocess.run([PY, "-m", "paragon", "ingest", str(STREET), "--db", str(db)], env=env(),
                       check=True, capture_output=True)
    return db


def stored_warehouse() -> Path:
    """The street-file warehouse again, with the figures of its published version stored beside
    it as a publish stores them while a server runs (computed afresh each run, by this code)."""
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "wm-2011-02-stored.duckdb"
    if not db.exists():
        subprocess.run([PY, "-m", "paragon", "ingest", str(STREET), "--db", str(db)], env=env(),
                       check=True, capture_output=True)
    folder = db.parent / f"{db.name}.published"
    for old in folder.glob("v*.figures*"):
        old.unlink()
    version = json.loads((folder / "CURRENT").read_text())["version"]
    subprocess.run([PY, "-m", "paragon.web.figures", str(db), str(version)], env=env(),
                   check=True, capture_output=True)
    return db


def demo_warehouse() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "demo.duckdb"
    if not db.exists():
        subprocess.run([PY, "-m", "paragon", "demo", "--no-serve", "--db", str(db)], env=env(),
                       check=True, capture_output=True)
    return db


def stored_figures(db: Path) -> bool:
    """Whether the published version has figures stored with it (computed when published)."""
    return any((db.parent / f"{db.name}.published").glob("v*.figures"))


def children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def run_once(args: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``args``."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(args, env=env(), check=True, capture_output=True)
    return time.perf_counter() - start, children_cpu() - cpu


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def first_page(args: list[str], port: int) -> tuple[float, float]:
    """(wall, server CPU) seconds from starting ``args`` to the first 200 on
    http://127.0.0.1:port/."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args} stopped: {proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=60).status_code == 200:
                    return time.perf_counter() - start, process_cpu(proc.pid)
            except httpx.TransportError:
                time.sleep(0.005)
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def milestones_once(db: Path) -> tuple[float, float, float]:
    """(wall, CPU, compute) seconds of `paragon milestones` on ``db``."""
    with tempfile.TemporaryDirectory() as tmp:
        note = Path(tmp) / "compute"
        cpu, start = children_cpu(), time.perf_counter()
        subprocess.run([PY, "-c", MILESTONES, "milestones", "--year", DEMO_YEAR, "--db", str(db)],
                       env={**env(), "STARTUP_COMPUTE_FILE": str(note)}, check=True,
                       capture_output=True)
        wall, used = time.perf_counter() - start, children_cpu() - cpu
        return wall, used, float(note.read_text())


def import_seconds(statement: str) -> float:
    out = subprocess.run([PY, "-X", "importtime", "-c", statement], env=env(), check=True,
                         capture_output=True, text=True).stderr
    total = 0
    for line in out.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if cumulative.strip().isdigit() and not name.startswith("  "):
            total += int(cumulative)
    return total / 1e6


def row(name: str, walls: list[float], cpus: list[float] | None, baseline: float | None,
        base_name: str) -> str:
    med = statistics.median(walls)
    ratio = f"{med / baseline:6.1f}x {base_name}" if baseline else ""
    cpu = f"{statistics.median(cpus):6.3f}" if cpus else "     -"
    return (f"| {name:60s} | {med:6.3f} | {min(walls):6.3f} | {max(walls):6.3f} | "
            f"{cpu} | {ratio:28s} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, default=None,
                        help="src folder of older code to run beside this one (PYTHONPATH)")
    args = parser.parse_args()
    street, demo, stored = street_warehouse(), demo_warehouse(), stored_warehouse()
    paragon = [PY, "-m", "paragon"]
    commands = {
        "python -c pass": [PY, "-c", "pass"],
        "paragon --help": [*paragon, "--help"],
    }
    served = {"paragon serve (street file)": street, "paragon serve (demo)": demo,
              "paragon serve (street, figures stored)": stored}
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    compute: dict[str, list[float]] = {}
    trees = {"": None} if args.before is None else {"": None, " (before)": args.before}

    def use(tree: Path | None) -> None:
        if tree is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = str(tree.resolve())

    def note(name: str, wall: float, cpu: float) -> None:
        walls.setdefault(name, []).append(wall)
        cpus.setdefault(name, []).append(cpu)

    def serve_args(db: Path, port: int) -> list[str]:
        return [*paragon, "serve", "--db", str(db), "--port", str(port)]

    # once untimed: the bytecode cache is written and the files are in the page cache
    for tree in trees.values():
        use(tree)
        for command in commands.values():
            run_once(command)
        milestones_once(demo)
        for db in served.values():
            port = free_port()
            first_page(serve_args(db, port), port)
    use(None)
    port = free_port()
    first_page([PY, "-c", HELLO, str(port)], port)

    for _ in range(args.runs):
        use(None)
        note("python -c pass", *run_once(commands["python -c pass"]))
        port = free_port()
        note("fastapi hello world: first page", *first_page([PY, "-c", HELLO, str(port)], port))
        for mark, tree in trees.items():
            use(tree)
            note(f"paragon --help{mark}", *run_once(commands["paragon --help"]))
            wall, cpu, inner = milestones_once(demo)
            note(f"paragon milestones (demo){mark}", wall, cpu)
            compute.setdefault(mark, []).append(inner)
            for name, db in served.items():
                port = free_port()
                note(f"{name}: first page{mark}", *first_page(serve_args(db, port), port))
    use(None)

    med = {k: statistics.median(v) for k, v in walls.items()}
    overhead = {mark: [w - c for w, c in zip(walls[f"paragon milestones (demo){mark}"],
                                             compute[mark], strict=True)] for mark in trees}
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}; {args.runs} runs each; figures "
          f"stored at publish: street file {stored_figures(street)}, demo {stored_figures(demo)}, "
          f"street (figures stored) {stored_figures(stored)}")
    print(f"| {'seconds':60s} | median |    min |    max | CPU md | {'ratio (medians)':28s} |")
    print(f"|{'-' * 62}|--------|--------|--------|--------|{'-' * 30}|")
    passed = med["python -c pass"]
    hello = med["fastapi hello world: first page"]
    for name in walls:
        if name.startswith("paragon serve"):
            baseline, base_name = hello, "hello world"
        elif name.startswith(("paragon --help", "paragon milestones (demo)")):
            baseline, base_name = passed, "python -c pass"
        else:
            baseline, base_name = None, ""
        print(row(name, walls[name], cpus[name], baseline, base_name))
        if name.startswith("paragon milestones (demo)"):
            mark = name.removeprefix("paragon milestones (demo)")
            print(row("  of which milestone_table (compute)", compute[mark], None, None, ""))
            print(row("  of which start-up overhead", overhead[mark], None, passed,
                      "python -c pass"))
    cli, typer_alone = import_seconds("import paragon.cli"), import_seconds("import typer")
    app = import_seconds("import paragon.web.app")
    fastapi = import_seconds("import fastapi, uvicorn")
    print(f"import time: paragon.cli {cli:.3f} s (typer alone {typer_alone:.3f} s); "
          f"paragon.web.app {app:.3f} s (fastapi and uvicorn alone {fastapi:.3f} s)")
    print(json.dumps({"medians": med,
                      "milestones_compute": {m: statistics.median(c) for m, c in compute.items()},
                      "milestones_overhead": {m: statistics.median(o)
                                              for m, o in overhead.items()}}))


if __name__ == "__main__":
    main()
