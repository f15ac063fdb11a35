"""Start-up times: `paragon --help`, `paragon milestones --year 2010-11` and `paragon serve` to its
first page, against `python -c pass` and a FastAPI hello world under uvicorn, in the same run.

Each command runs in a fresh process ``--runs`` times (median reported, with min and max); serve
and the hello world are timed from process start to the first 200 answer on ``/``. The ratios are
what to compare between runs and machines (the machine's 1-minute load average is printed, since
other processes compete for the same CPUs). Import time of ``import paragon.cli`` is measured with
``python -X importtime`` (sum of the top-level imports), next to ``import typer`` alone.

The milestones and serve warehouse is built once under benchmarks/out/startup/ (git-ignored) from
the bundled West Midlands February 2011 street file.

    .venv/bin/python benchmarks/startup.py            # 5 runs each
    .venv/bin/python benchmarks/startup.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out" / "startup"
PY = sys.executable
STREET = ROOT.parent / "src" / "paragon" / "data" / "policeuk" / "2011-02-west-midlands-street.csv"
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env() -> dict[str, str]:
    out = {**os.environ, "PARAGON_SECRET_KEY": "startup-benchmark-secret-0123456789abcdef"}
    out.pop("PARAGON_PLAN", None)
    return out


def warehouse() -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "wm-2011-02.duckdb"
    if not db.exists():
        subprocess.run([PY, "-m", "paragon", "ingest", str(STREET), "--db", str(db)], env=env(),
                       check=True, capture_output=True)
    return db


def run_once(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env(), check=True, capture_output=True)
    return time.perf_counter() - start


def first_page(args: list[str], port: int) -> float:
    """Seconds from starting ``args`` to the first 200 on http://127.0.0.1:port/."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args} stopped: {proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


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


def summary(times: list[float]) -> str:
    return (f"median {statistics.median(times):6.3f} s  (min {min(times):.3f}, "
            f"max {max(times):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    db = warehouse()
    paragon = [PY, "-m", "paragon"]
    timed: dict[str, list[float]] = {k: [] for k in (
        "python -c pass", "paragon --help", "paragon milestones", "fastapi hello first page",
        "paragon serve first page")}
    for _ in range(args.runs):
        timed["python -c pass"].append(run_once([PY, "-c", "pass"]))
        timed["paragon --help"].append(run_once([*paragon, "--help"]))
        timed["paragon milestones"].append(run_once(
            [*paragon, "milestones", "--year", "2010-11", "--db", str(db)]))
        port = free_port()
        timed["fastapi hello first page"].append(first_page([PY, "-c", HELLO, str(port)], port))
        port = free_port()
        timed["paragon serve first page"].append(first_page(
            [*paragon, "serve", "--db", str(db), "--port", str(port)], port))
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}; {args.runs} runs each")
    for name, times in timed.items():
        print(f"{name:28s} {summary(times)}")
    med = {k: statistics.median(v) for k, v in timed.items()}
    print(f"ratio --help / python -c pass:            "
          f"{med['paragon --help'] / med['python -c pass']:.1f}")
    print(f"ratio milestones / python -c pass:        "
          f"{med['paragon milestones'] / med['python -c pass']:.1f}")
    print(f"ratio serve first page / fastapi hello:   "
          f"{med['paragon serve first page'] / med['fastapi hello first page']:.2f}")
    cli, typer_alone = import_seconds("import paragon.cli"), import_seconds("import typer")
    print(f"import time: paragon.cli {cli:.3f} s, typer alone {typer_alone:.3f} s "
          f"(ratio {cli / typer_alone:.2f})")


if __name__ == "__main__":
    main()
