"""Web latency under concurrent load: the public overview, the public area pages, a public page
revalidated with its ETag and the analyst dashboard against a static file served by the same
server, in the same run, with 1 worker process and with 4 (``--workers``), on 127.0.0.1 only.

For each worker count, starts ``paragon serve --workers N`` (real uvicorn) on a free local port,
signs in a benchmark analyst, warms each page once (the cold times are reported too), then for
each target runs ``--clients`` concurrent clients that each make ``--requests`` requests (bounded
by ``--seconds`` per target) and prints p50, p95, p99 and max latency, throughput, errors and the
ratio of each page's p95 to the static file's p95 under the same server. Before timing, a short
untimed load makes every worker compute every page; ``load`` is the machine's 1-minute load
average during each target (other processes compete for the same CPUs).

    .venv/bin/python benchmarks/web.py                      # the small sample warehouse
    .venv/bin/python benchmarks/web.py --demo               # the synthetic demo (1M crimes)
    .venv/bin/python benchmarks/web.py --db FILE --clients 200 --requests 10 --workers 1 4

The warehouse is copied under benchmarks/out/web/ (git-ignored) before the benchmark writes to it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out" / "web"
HOST = "127.0.0.1"
USER, PASSWORD = "bench", "benchmark password"
SECRET = "benchmark-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def prepare(args: argparse.Namespace) -> Path:
    """A private copy of the warehouse with a benchmark analyst in it."""
    from paragon.web.auth import add_user

    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / "bench.duckdb"
    if args.db:
        shutil.copy(args.db, target)
    elif args.demo:
        from paragon.demo import build_demo

        build_demo(target)
    else:
        from paragon.web.fixtures import build_sample_warehouse

        build_sample_warehouse(target)
    from paragon.ops import open_for_warehouse
    from paragon.settings import Settings
    from paragon.web.auth import remove_user

    settings = Settings(db=target)
    with open_for_warehouse(settings.ops_location(), target) as ops:
        remove_user(ops, USER)
        add_user(ops, USER, "analyst", PASSWORD)
    return target


def start_server(db: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """``paragon serve --workers N`` on 127.0.0.1 (its log under benchmarks/out/web/)."""
    log = open(OUT / f"serve-{workers}.log", "wb")  # noqa: SIM115  (the child writes it)
    proc = subprocess.Popen([sys.executable, "-m", "paragon", "serve", "--workers", str(workers),
                             "--host", HOST, "--port", str(port), "--db", str(db)],
                            env={**os.environ, "PYTHONUNBUFFERED": "1",
                                 "PARAGON_SECRET_KEY": SECRET}, stdout=log, stderr=log)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit(f"the server did not start (see {log.name})")


def sign_in(base: str) -> httpx.Cookies:
    from paragon.web.fixtures import csrf_from

    with httpx.Client(base_url=base) as client:
        token = csrf_from(client.get("/login").text)
        response = client.post("/login", data={"user_name": USER, "password": PASSWORD,
                                               "csrf_token": token})
        if response.status_code != 303 or "paragon_session" not in client.cookies:
            raise SystemExit(f"could not sign in: {response.status_code}")
        return client.cookies


async def load(base: str, paths: list[str], clients: int, requests: int, seconds: float,
               cookies: httpx.Cookies | None, revalidate: bool = False) -> dict[str, Any]:
    """``clients`` concurrent clients, each making up to ``requests`` requests in turn over
    ``paths``, stopping at ``seconds``; returns latency percentiles in milliseconds. With
    ``revalidate``, a client sends the ETag it was given (If-None-Match) and 304 counts as ok."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits,
                                 timeout=60) as client:

        async def one_client(index: int) -> None:
            nonlocal errors
            tags: dict[str, str] = {}
            for i in range(requests):
                if time.monotonic() > stop_at:
                    return
                path = paths[(index + i) % len(paths)]
                headers = {"if-none-match": tags[path]} if revalidate and path in tags else {}
                started = time.perf_counter()
                try:
                    response = await client.get(path, headers=headers)
                    ok = response.status_code == 200 or (revalidate
                                                         and response.status_code == 304)
                    if "etag" in response.headers:
                        tags[path] = response.headers["etag"]
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok

        began = time.perf_counter()
        await asyncio.gather(*(one_client(i) for i in range(clients)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "requests": len(ordered), "errors": errors, "seconds": round(elapsed, 2),
        "per_second": round(len(ordered) / elapsed, 1) if elapsed else None,
        "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1) if ordered else None,
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 1) if ordered else None,
        "max_ms": round(ordered[-1], 1) if ordered else None,
    }


def cold(base: str, paths: list[str], cookies: httpx.Cookies | None) -> float:
    """Seconds for the first request of each path (computes and caches the figures)."""
    started = time.perf_counter()
    with httpx.Client(base_url=base, cookies=cookies, timeout=300) as client:
        for path in paths:
            client.get(path).raise_for_status()
    return round(time.perf_counter() - started, 2)


def targets(base: str) -> dict[str, list[str]]:
    areas = httpx.get(f"{base}/areas?format=json", timeout=300).json()
    lpus = [lpu["url"] for lpu in areas["lpus"]]
    return {"static file": ["/static/vendor/VENDORED.md"], "overview": ["/"],
            "area page": lpus, "area (304)": lpus, "dashboard": ["/dashboard"]}


def run_workers(db: Path, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    base = f"http://{HOST}:{port}"
    server = start_server(db, port, workers)
    measured: dict[str, Any] = {}
    try:
        cookies = sign_in(base)
        pages = targets(base)
        colds = {}
        for name, paths in pages.items():  # every worker computes every page before timing
            jar = cookies if name == "dashboard" else None
            colds[name] = cold(base, paths, jar)
            asyncio.run(load(base, paths, 4 * workers, 3 * len(paths), args.seconds, jar))
        for name, paths in pages.items():
            jar = cookies if name == "dashboard" else None
            load_before = os.getloadavg()[0]
            result = asyncio.run(load(base, paths, args.clients, args.requests, args.seconds,
                                      jar, revalidate=name.endswith("(304)")))
            measured[name] = {"paths": len(paths), "cold_seconds": colds[name],
                              "load_average": round((load_before + os.getloadavg()[0]) / 2, 1),
                              **result}
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    static = measured["static file"]["p95_ms"]
    for r in measured.values():
        r["p95_vs_static"] = round(r["p95_ms"] / static, 2) if static and r["p95_ms"] else None
    return measured


def run(args: argparse.Namespace) -> dict[str, Any]:
    db = prepare(args)
    results: dict[str, Any] = {"clients": args.clients, "requests_per_client": args.requests,
                               "warehouse": str(db), "workers": {}}
    for workers in args.workers:
        results["workers"][str(workers)] = run_workers(db, workers, args)
    return results


def print_table(results: dict[str, Any]) -> None:
    print(f"{results['clients']} concurrent clients x {results['requests_per_client']} requests, "
          f"on {HOST} ({results['warehouse']}, {os.cpu_count()} CPUs)")
    print(f"{'workers':>7} {'target':<12} {'requests':>8} {'errors':>6} {'req/s':>7} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p95/static':>10} "
          f"{'cold s':>7} {'load':>5}")
    for workers, measured in results["workers"].items():
        for name, r in measured.items():
            print(f"{workers:>7} {name:<12} {r['requests']:>8} {r['errors']:>6} "
                  f"{r['per_second']:>7} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8} "
                  f"{r['max_ms']:>8} {r['p95_vs_static']:>10} {r['cold_seconds']:>7} "
                  f"{r['load_average']:>5}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="warehouse to copy and serve")
    parser.add_argument("--demo", action="store_true", help="build and serve the synthetic demo")
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (max 200)")
    parser.add_argument("--requests", type=int, default=10, help="requests per client (max 100)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per target")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4],
                        help="worker counts to compare (default: 1 4)")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, 200))
    args.requests = max(1, min(args.requests, 100))
    args.seconds = max(1.0, min(args.seconds, 300.0))
    results = run(args)
    if args.format == "json":
        print(json.dumps(results, indent=2))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
