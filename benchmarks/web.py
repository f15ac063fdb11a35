"""Web latency, cached and straight after a publish: a static file and every main page at 1, 10 and
50 concurrent clients, against ``paragon serve`` (real uvicorn) on 127.0.0.1, in the same run.

For each warehouse (the demo, a warehouse file given with ``--db``, or both), starts
``paragon serve --workers N`` on a free local port, signs in a benchmark analyst and asks every
target once (its cold time is printed). Then:

- **cached**: for 1, 10 and 50 clients, each target is asked by that many concurrent clients
  (``--requests`` requests in all, at least one per client);
- **after publish**: for 1, 10 and 50 clients, a new month of the plan's force is published (a
  writer copies the force's last month of crimes as the next one and closes: the publish, as an
  ingest does), the benchmark waits until the figures of the new version are stored (the server
  moves to it then) and the server's pointer check has passed, and that many concurrent clients
  each ask every target once: the first requests of the new version.

Printed per target: requests, errors, p50 and p95 latency seen by the client, the p50 of the
server's own time (its ``Server-Timing`` header) and the ratio of the page's p50 to the static
file's p50 in the same state and number of clients; for each publish, how long the figures took
to be stored (computed and copied). ``load`` is the machine's 1-minute load average (other
processes compete for the same CPUs).

    .venv/bin/python benchmarks/web.py --demo
    .venv/bin/python benchmarks/web.py --db benchmarks/out/national/paragon/w.duckdb --in-place
    .venv/bin/python benchmarks/web.py --demo --format json

**Many clients** (``--many 200 --workers 1,4``): the same warehouse is served with 1 and then 4
workers; for each, after every target has been asked once and a warm-up of all targets together
(15 s, not counted), each target in turn is asked by that many concurrent clients, each on its own
keep-alive connection asking again as soon as it has the answer, for ``--seconds`` (default 60)
or until ``--requests`` (default 30000) have been sent; ``--mixed`` then runs all targets
together, each client going round them in its own order. The clients are plain asyncio
connections (class ``Connection``), not httpx, so that they take little of the CPU they share
with the server. Printed per target: requests, failures, requests per second, p50/p95/p99
latency, the server's own p50, the page's p95 over the static file's, the load average, and the
CPU the benchmark itself and the server (all its processes) used as a share of one core, and the
server's CPU time per request.

    .venv/bin/python benchmarks/web.py --demo --many 200 --workers 1,4 --mixed

The demo and copied warehouses are kept under benchmarks/out/web/ (git-ignored); ``--in-place``
serves and publishes the given file itself (a benchmark's own warehouse: no copy of gigabytes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out" / "web"
HOST = "127.0.0.1"
USER, PASSWORD = "bench", "benchmark password"
SECRET = "benchmark-secret-key-0123456789abcdef"
STATIC = "/static/vendor/VENDORED.md"
CLIENTS = (1, 10, 50)
ANALYST_PREFIXES = ("/dashboard", "/measures", "/stop-search", "/outcomes")
FIGURES_WAIT_SECONDS = 1800


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def prepare(source: Path | None, name: str, in_place: bool) -> Path:
    """The warehouse to serve, with a benchmark analyst in it: the demo (built once under
    benchmarks/out/web/), a copy of ``source``, or ``source`` itself (``in_place``)."""
    from paragon.ops import open_for_warehouse
    from paragon.settings import Settings
    from paragon.web.auth import add_user, remove_user

    OUT.mkdir(parents=True, exist_ok=True)
    if source is not None and in_place:
        target = source
    else:
        target = OUT / name / "bench.duckdb"
        shutil.rmtree(target.parent, ignore_errors=True)
        target.parent.mkdir(parents=True)
        if source is not None:
            shutil.copy(source, target)
        else:
            from paragon.demo import build_demo

            build_demo(target)
    settings = Settings(db=target)
    with open_for_warehouse(settings.ops_location(), target) as ops:
        remove_user(ops, USER)
        add_user(ops, USER, "analyst", PASSWORD)
    return target


def start_server(db: Path, port: int, workers: int, log_name: str) -> subprocess.Popen[bytes]:
    """``paragon serve --workers N`` on 127.0.0.1 (its log under benchmarks/out/web/)."""
    log = open(OUT / log_name, "wb")  # noqa: SIM115  (the child writes it)
    proc = subprocess.Popen([sys.executable, "-m", "paragon", "serve", "--workers", str(workers),
                             "--host", HOST, "--port", str(port), "--db", str(db)],
                            env={**os.environ, "PYTHONUNBUFFERED": "1",
                                 "PARAGON_SECRET_KEY": SECRET}, stdout=log, stderr=log)
    deadline = time.monotonic() + 1800
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

    with httpx.Client(base_url=base, timeout=600) as client:
        token = csrf_from(client.get("/login").text)
        response = client.post("/login", data={"user_name": USER, "password": PASSWORD,
                                               "csrf_token": token})
        if response.status_code != 303 or "paragon_session" not in client.cookies:
            raise SystemExit(f"could not sign in: {response.status_code}")
        return client.cookies


def targets(base: str, cookies: httpx.Cookies) -> dict[str, str]:
    """The static file and every main page: the public pages, the first LPU's page, the map, the
    police.uk pages, open data, the dashboard and the robbery measure (or the plan's first)."""
    from paragon.plan import load_plan

    with httpx.Client(base_url=base, cookies=cookies, timeout=600) as client:
        areas = client.get("/areas?format=json").json()
    measures = [m.id for m in load_plan(None).measures]
    measure = "robbery" if "robbery" in measures else measures[0]
    lpu = areas["lpus"][0]["url"] if areas.get("lpus") else "/areas"
    return {"static file": STATIC, "overview": "/", "plan": "/plan", "areas": "/areas",
            "LPU page": lpu, "LPU map": "/map/lpus.geojson", "stop and search": "/stop-search",
            "outcomes": "/outcomes", "open data": "/data", "dashboard": "/dashboard",
            "measure page": f"/measures/{measure}"}


def _jar(path: str, cookies: httpx.Cookies) -> httpx.Cookies | None:
    return cookies if path.startswith(ANALYST_PREFIXES) else None


def _server_ms(response: httpx.Response) -> float | None:
    for part in response.headers.get("server-timing", "").split(","):
        if part.strip().startswith("app;dur="):
            return float(part.strip().removeprefix("app;dur="))
    return None


def _summary(latencies: list[float], server: list[float], errors: int) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered), "errors": errors,
        "p50_ms": round(statistics.median(ordered), 2) if ordered else None,
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2) if ordered else None,
        "server_p50_ms": round(statistics.median(server), 2) if server else None,
    }


async def load(base: str, path: str, clients: int, requests: int, seconds: float,
               cookies: httpx.Cookies | None) -> dict[str, Any]:
    """``clients`` concurrent clients sharing ``requests`` requests of ``path`` (at least one
    each), stopping at ``seconds``."""
    latencies: list[float] = []
    server: list[float] = []
    errors = 0
    stop_at = time.monotonic() + seconds
    each = max(1, -(-requests // clients))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits,
                                 timeout=600) as client:

        async def one_client() -> None:
            nonlocal errors
            for _ in range(each):
                if time.monotonic() > stop_at:
                    return
                started = time.perf_counter()
                try:
                    response = await client.get(path)
                    ok = response.status_code == 200
                    took = _server_ms(response)
                    if took is not None:
                        server.append(took)
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                errors += not ok

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return _summary(latencies, server, errors)


async def first_requests(base: str, pages: dict[str, str], clients: int,
                         cookies: httpx.Cookies) -> dict[str, dict[str, Any]]:
    """``clients`` concurrent clients, each asking every target once in its own order; the
    latencies per target."""
    latencies: dict[str, list[float]] = {name: [] for name in pages}
    server: dict[str, list[float]] = {name: [] for name in pages}
    errors = dict.fromkeys(pages, 0)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits,
                                 timeout=600) as client:

        async def one_client(seed: int) -> None:
            order = list(pages)
            random.Random(seed).shuffle(order)
            for name in order:
                started = time.perf_counter()
                try:
                    response = await client.get(pages[name])
                    ok = response.status_code == 200
                    took = _server_ms(response)
                    if took is not None:
                        server[name].append(took)
                except httpx.HTTPError:
                    ok = False
                latencies[name].append((time.perf_counter() - started) * 1000)
                errors[name] += not ok

        await asyncio.gather(*(one_client(i) for i in range(clients)))
    return {name: _summary(latencies[name], server[name], errors[name]) for name in pages}


def publish_month(db: Path) -> int:
    """A new month of the plan's force, published as an ingest publishes; the new version."""
    from paragon import publish
    from paragon.plan import load_plan
    from paragon.warehouse import Warehouse
    from paragon.web.figures import warm_after_publish

    warm_after_publish()  # as every `paragon` command does
    force = load_plan(None).force
    with Warehouse.open(db) as wh, wh.transaction() as con:
        tag = f"-b{time.time_ns()}"
        con.execute("INSERT INTO crimes SELECT * REPLACE (crime_key || ? AS crime_key, "
                    "CAST(month + INTERVAL 1 MONTH AS DATE) AS month) FROM crimes "
                    "WHERE force = ? AND month = (SELECT max(month) FROM crimes WHERE force = ?)",
                    [tag, force, force])
    pointer = publish.read_pointer(db)
    assert pointer is not None
    return pointer.version


def wait_for_figures(db: Path, version: int) -> dict[str, Any]:
    """Until the figures of ``version`` are stored (both rounds) and the server's pointer check
    has passed; how long that took and what the warming did."""
    from paragon.web import context, figures

    started = time.monotonic()
    while figures.warming_file(db, version).exists() or not figures.figures_file(
            db, version).exists():
        if time.monotonic() - started > FIGURES_WAIT_SECONDS:
            raise SystemExit(f"the figures of version {version} were not stored")
        time.sleep(0.1)
    waited = time.monotonic() - started
    time.sleep(context.CHECK_SECONDS + 0.2)
    stored = figures.read(db, version)
    return {"version": version, "stored_after_s": round(waited, 1),
            "warm_s": stored.seconds if stored else None,
            "computed": stored.computed if stored else None,
            "copied": stored.copied if stored else None}


def run_warehouse(db: Path, label: str, args: argparse.Namespace,
                  workers: int) -> dict[str, Any]:
    port = free_port()
    base = f"http://{HOST}:{port}"
    started = time.monotonic()
    server = start_server(db, port, workers, f"serve-{label.replace(', ', '-')}.log")
    result: dict[str, Any] = {"warehouse": str(db), "label": label,
                              "start_s": round(time.monotonic() - started, 1),
                              "cold_s": {}, "cached": {}, "after_publish": {}, "publishes": []}
    try:
        cookies = sign_in(base)
        pages = targets(base, cookies)
        result["paths"] = pages
        with httpx.Client(base_url=base, cookies=cookies, timeout=1800) as client:
            for name, path in pages.items():
                began = time.perf_counter()
                client.get(path).raise_for_status()
                result["cold_s"][name] = round(time.perf_counter() - began, 3)
        for clients in CLIENTS:
            level: dict[str, Any] = {}
            for name, path in pages.items():
                load_before = os.getloadavg()[0]
                level[name] = asyncio.run(load(base, path, clients, args.requests, args.seconds,
                                               _jar(path, cookies)))
                level[name]["load"] = round((load_before + os.getloadavg()[0]) / 2, 1)
            result["cached"][str(clients)] = _ratios(level)
        for clients in CLIENTS:
            version = publish_month(db)
            result["publishes"].append({"clients": clients, **wait_for_figures(db, version)})
            level = asyncio.run(first_requests(base, pages, clients, cookies))
            result["after_publish"][str(clients)] = _ratios(level)
    finally:
        _stop(server)
    return result


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop a server as Ctrl-C would; kill it if it has not stopped two minutes later."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=120)
    except subprocess.TimeoutExpired:
        server.kill()


def _ratios(level: dict[str, Any]) -> dict[str, Any]:
    static = level["static file"]["p50_ms"]
    for r in level.values():
        r["p50_vs_static"] = round(r["p50_ms"] / static, 1) if static and r["p50_ms"] else None
    return level


def print_table(results: list[dict[str, Any]]) -> None:
    for res in results:
        rows = _rows(res)
        print(f"\n{res['label']}: {res['warehouse']} ({os.cpu_count()} CPUs, server start "
              f"{res['start_s']} s, {date.today().isoformat()})")
        print("| page | state | clients | requests | errors | p50 ms | p95 ms | server p50 ms "
              "| p50 / static | load |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, state, clients, r in rows:
            print(f"| {name} | {state} | {clients} | {r['requests']} | {r['errors']} | "
                  f"{r['p50_ms']} | {r['p95_ms']} | {r['server_p50_ms']} | "
                  f"{r['p50_vs_static']} | {r.get('load', '')} |")
        print("first request of each page after the server started (s): "
              + ", ".join(f"{k} {v}" for k, v in res["cold_s"].items()))
        for p in res["publishes"]:
            print(f"publish of version {p['version']} (before the {p['clients']}-client run): "
                  f"figures stored {p['stored_after_s']} s after it ({p['computed']} computed, "
                  f"{p['copied']} copied, {p['warm_s']} s in the warming process)")


def _rows(res: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    rows = []
    for name in res["paths"]:
        for state, key in (("cached", "cached"), ("after publish", "after_publish")):
            for clients, level in res[key].items():
                rows.append((name, state, clients, level[name]))
    return rows


# --- many clients: 200 concurrent connections against 1 and then 4 workers ---------------------
MANY_TARGETS = ("static file", "overview", "plan", "LPU page", "LPU map", "open data",
                "measure page", "dashboard")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REQUEST_TIMEOUT_SECONDS = 60.0
WARM_UP_SECONDS = 15.0


class Connection:
    """One keep-alive HTTP/1.1 connection, as a browser holds it, written on asyncio streams
    rather than httpx so that 200 of them cost the machine (which the server shares) little:
    it sends a GET, reads the status line, the headers and the whole body (by Content-Length or
    chunked), keeps the cookies the server sets in the jar it was given and reopens the
    connection when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, jar: dict[str, str]) -> tuple[int, int, float | None]:
        """The status, the body's size in bytes and the server's own time (ms) of a GET with
        the cookies of ``jar`` (which keeps those the server sets)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{self.port}", f"Accept: {BROWSER_ACCEPT}",
                 "Accept-Encoding: gzip", "User-Agent: paragon-benchmark"]
        if jar:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in jar.items()))
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        try:
            await self.writer.drain()
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if not line:
                    continue
                key, _, value = line.partition(":")
                key, value = key.strip().lower(), value.strip()
                if key == "set-cookie":
                    name, _, rest = value.partition("=")
                    jar[name] = rest.split(";", 1)[0]
                headers[key] = value
            size = await self._body(headers, status)
        except BaseException:
            self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, size, _timing(headers.get("server-timing", ""))

    async def _body(self, headers: dict[str, str], status: int) -> int:
        assert self.reader is not None
        if status in (204, 304) or 100 <= status < 200:
            return 0
        if "chunked" in headers.get("transfer-encoding", "").lower():
            size = 0
            while True:
                line = await self.reader.readuntil(b"\r\n")
                length = int(line.split(b";", 1)[0].strip(), 16)
                if length == 0:
                    while await self.reader.readuntil(b"\r\n") != b"\r\n":
                        pass  # trailers
                    return size
                size += len(await self.reader.readexactly(length + 2)) - 2
        if "content-length" in headers:
            return len(await self.reader.readexactly(int(headers["content-length"])))
        body = await self.reader.read()  # until the server closes the connection
        self.close()
        return len(body)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _timing(header: str) -> float | None:
    for part in header.split(","):
        if part.strip().startswith("app;dur="):
            return float(part.strip().removeprefix("app;dur="))
    return None


def _percentile(ordered: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile of sorted values."""
    if not ordered:
        return None
    return round(ordered[max(0, -(-int(q * 1000) * len(ordered) // 1000) - 1)], 1)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and all its living descendants (/proc)."""
    total = 0.0
    pending = [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


async def crowd(port: int, paths: list[tuple[str, str, dict[str, str]]], clients: int,
                seconds: float, budget: int) -> dict[str, dict[str, Any]]:
    """``clients`` concurrent connections, each asking again as soon as it has its answer, until
    ``seconds`` have passed or ``budget`` requests have been sent. With one path every client
    asks it; with several (name, path, cookies) each client goes round them in its own order,
    on one connection, with a cookie jar per name (the signed-in pages' has the session).
    Per name: the client-side latencies, failures (not 200, timeouts, broken connections) and
    the server's own times."""
    latencies: dict[str, list[float]] = {name: [] for name, _, _ in paths}
    server: dict[str, list[float]] = {name: [] for name, _, _ in paths}
    failures = dict.fromkeys(latencies, 0)
    sent = 0
    stop_at = time.monotonic() + seconds

    async def one_client(seed: int) -> None:
        nonlocal sent
        order = list(paths)
        random.Random(seed).shuffle(order)
        jars = {name: dict(cookies) for name, _, cookies in order}
        connection = Connection(port)
        turn = 0
        while time.monotonic() < stop_at and sent < budget:
            sent += 1
            name, path, _ = order[turn % len(order)]
            turn += 1
            started = time.perf_counter()
            try:
                status, _, took = await asyncio.wait_for(connection.get(path, jars[name]),
                                                         REQUEST_TIMEOUT_SECONDS)
                ok = status == 200
                if took is not None:
                    server[name].append(took)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                ok = False
            latencies[name].append((time.perf_counter() - started) * 1000)
            failures[name] += not ok
        connection.close()

    began = time.monotonic()
    await asyncio.gather(*(one_client(i) for i in range(clients)))
    wall = time.monotonic() - began
    result = {}
    for name, values in latencies.items():
        ordered = sorted(values)
        result[name] = {
            "requests": len(ordered), "failures": failures[name],
            "per_s": round(len(ordered) / wall, 1) if wall else None,
            "p50_ms": _percentile(ordered, 0.50), "p95_ms": _percentile(ordered, 0.95),
            "p99_ms": _percentile(ordered, 0.99),
            "server_p50_ms": _percentile(sorted(server[name]), 0.50), "seconds": round(wall, 1)}
    return result


def _measured(pid: int, port: int, paths: list[tuple[str, str, dict[str, str]]],
              args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """:func:`crowd`'s rows for ``paths``, each with the machine's load average, the benchmark's
    own CPU use and the server's (``pid`` and its workers) as a share of one core over the run."""
    load_before = os.getloadavg()[0]
    client_before, server_before = time.process_time(), _cpu_seconds(pid)
    began = time.monotonic()
    phase = asyncio.run(crowd(port, paths, args.many, args.seconds, args.requests))
    wall = time.monotonic() - began
    server_cpu = _cpu_seconds(pid) - server_before
    shares = {"load": round((load_before + os.getloadavg()[0]) / 2, 1),
              "client_cpu_pct": round(100 * (time.process_time() - client_before) / wall),
              "server_cpu_pct": round(100 * server_cpu / wall)}
    requests = sum(row["requests"] for row in phase.values())
    for row in phase.values():
        row.update(shares)
        row["server_cpu_ms_per_request"] = round(1000 * server_cpu / requests, 2) \
            if requests else None
    return phase


def run_many(db: Path, label: str, args: argparse.Namespace) -> dict[str, Any]:
    """The same warehouse served with each number of workers in turn; for each, every target
    alone under ``args.many`` clients, then (``--mixed``) all of them together."""
    result: dict[str, Any] = {"warehouse": str(db), "label": label, "clients": args.many,
                              "seconds": args.seconds, "budget": args.requests,
                              "cpus": os.cpu_count(), "date": date.today().isoformat(),
                              "runs": {}}
    for workers in args.workers:
        port = free_port()
        base = f"http://{HOST}:{port}"
        server = start_server(db, port, workers, f"serve-{label}-{workers}w.log")
        try:
            cookies = sign_in(base)
            session = {c.name: c.value or "" for c in cookies.jar}
            pages = {name: path for name, path in targets(base, cookies).items()
                     if name in MANY_TARGETS}
            result["paths"] = pages
            jars = {name: session if _jar(path, cookies) is not None else {}
                    for name, path in pages.items()}
            for name, path in pages.items():  # the first request of each, alone
                httpx.get(base + path, cookies=jars[name], timeout=1800).raise_for_status()
            # every worker has answered every target once, and its warming at start is over
            asyncio.run(crowd(port, [(name, path, jars[name]) for name, path in pages.items()],
                              args.many, WARM_UP_SECONDS, args.requests))
            run: dict[str, Any] = {}
            for name, path in pages.items():
                run[name] = _measured(server.pid, port, [(name, path, jars[name])], args)[name]
            if args.mixed:
                run["mixed"] = _measured(server.pid, port, [
                    (name, path, jars[name]) for name, path in pages.items()], args)
            result["runs"][str(workers)] = _p95_ratios(run)
        finally:
            _stop(server)
    return result


def _p95_ratios(run: dict[str, Any]) -> dict[str, Any]:
    for rows in (run, run.get("mixed", {})):
        static = rows.get("static file", {}).get("p95_ms")
        for name, r in rows.items():
            if name != "mixed":
                r["p95_vs_static"] = round(r["p95_ms"] / static, 1) \
                    if static and r.get("p95_ms") else None
    return run


def print_many(results: list[dict[str, Any]]) -> None:
    for res in results:
        print(f"\n{res['label']}: {res['warehouse']} ({res['cpus']} CPUs, {res['clients']} "
              f"clients, {res['seconds']} s or {res['budget']} requests per target, "
              f"{res['date']})")
        print("| workers | page | requests | failures | req/s | p50 ms | p95 ms | p99 ms "
              "| server p50 ms | p95 / static | load | client CPU % | server CPU % "
              "| server CPU ms / request |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for workers, run in res["runs"].items():
            rows = [(name, r) for name, r in run.items() if name != "mixed"]
            rows += [(f"{name} (mixed)", r) for name, r in run.get("mixed", {}).items()]
            for name, r in rows:
                print(f"| {workers} | {name} | {r['requests']} | {r['failures']} | "
                      f"{r['per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
                      f"{r['server_p50_ms']} | {r['p95_vs_static']} | {r['load']} | "
                      f"{r['client_cpu_pct']} | {r['server_cpu_pct']} | "
                      f"{r['server_cpu_ms_per_request']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", type=Path, help="a warehouse to serve (copied unless --in-place)")
    parser.add_argument("--in-place", action="store_true",
                        help="serve and publish --db itself (a benchmark's own warehouse)")
    parser.add_argument("--demo", action="store_true", help="build and serve the synthetic demo")
    parser.add_argument("--many", type=int, metavar="CLIENTS",
                        help="instead of 1, 10 and 50 clients cached and after a publish: this "
                        "many concurrent clients on each target in turn (e.g. 200)")
    parser.add_argument("--mixed", action="store_true",
                        help="with --many: then all targets together, each client going round "
                        "them")
    parser.add_argument("--requests", type=int,
                        help="cached: requests per target and number of clients (default 100); "
                        "with --many: the request budget per target (default 30000)")
    parser.add_argument("--seconds", type=float,
                        help="time limit per target (default 30; with --many 60)")
    parser.add_argument("--workers", default="1",
                        type=lambda text: [int(n) for n in text.split(",")],
                        help="server worker processes; several (1,4) serve the same warehouse "
                        "in turn")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    args = parser.parse_args()
    jobs: list[tuple[Path | None, str]] = []
    if args.demo or args.db is None:
        jobs.append((None, "demo"))
    if args.db is not None:
        jobs.append((args.db, args.db.stem))
    if args.many:
        args.seconds = args.seconds or 60.0
        args.requests = args.requests or 30000
        many = [run_many(prepare(source, label, args.in_place), label, args)
                for source, label in jobs]
        print(json.dumps(many, indent=2)) if args.format == "json" else print_many(many)
        return
    args.seconds = args.seconds or 30.0
    args.requests = max(1, min(args.requests or 100, 1000))
    results = []
    for source, label in jobs:
        db = prepare(source, label, args.in_place)
        for workers in args.workers:
            name = label if len(args.workers) == 1 else f"{label}, {workers} workers"
            results.append(run_warehouse(db, name, args, workers))
    if args.format == "json":
        print(json.dumps(results, indent=2))
    else:
        print_table(results)

if __name__ == "__main__":
    main()
