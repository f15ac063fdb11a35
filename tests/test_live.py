"""The live service: `paragon serve --workers 4` (real uvicorn, real processes) under 50 concurrent
clients while `paragon ingest` of a new month, `paragon users add` and read commands run beside it.
No request fails, every command succeeds, and the site serves the new month soon after the ingest
finishes, without a restart."""

from __future__ import annotations

import asyncio
import csv
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from paragon.ingest.force_crimes import COLUMNS
from paragon.web.fixtures import sample_with_users

SECRET = "live-test-secret-key-0123456789abcdef"
PASSWORD = "live test password"
CLIENTS = 50
NEW_MONTH_DEADLINE_SECONDS = 10.0
LSOAS = ("E01009150", "E01009151", "E01009300", "E01010100", "E01009800")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(db: Path) -> dict[str, str]:
    return {**os.environ, "PARAGON_SECRET_KEY": SECRET, "PARAGON_DB": str(db),
            "PARAGON_NEW_USER_PASSWORD": PASSWORD, "PYTHONUNBUFFERED": "1"}


def _parallel(db: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Run ``paragon`` commands at the same time; their results in order."""
    procs = [subprocess.Popen([sys.executable, "-m", "paragon", *args, "--db", str(db)],
                              env=_env(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for args in commands]
    results = []
    for args, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return results


def _new_month_file(folder: Path) -> Path:
    """Force crime records for January 2012, the month after the sample's last."""
    path = folder / "crimes-2012-01.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for i in range(300):
            writer.writerow([f"LIVE1201{i:05d}", f"2012-01-{1 + i % 28:02d}", "28E", "N", "N",
                             "N", LSOAS[i % len(LSOAS)], "On or near High Street", "", "", "",
                             ""])
    return path


@pytest.fixture
def site(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
         ) -> Iterator[tuple[str, Path, Path]]:
    db = sample_with_users(tmp_path_factory.getbasetemp(), tmp_path / "live.duckdb",
                           {"ana": "analyst"}, PASSWORD)
    port = _free_port()
    log = open(tmp_path / "serve.log", "w+", encoding="utf-8")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "paragon", "serve", "--workers", "4",
                               "--port", str(port), "--db", str(db)], env=_env(db),
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the server did not start:\n{log.read()[-3000:]}")
            time.sleep(0.3)
        yield base, db, tmp_path / "serve.log"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


class Load:
    """``CLIENTS`` concurrent clients on a thread of their own, each requesting public pages,
    their JSON, a static file and (revalidating) with the tag it was given, until stopped."""

    def __init__(self, base: str, paths: list[str]) -> None:
        self.base, self.paths = base, paths
        self.outcomes: Counter[str] = Counter()
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    async def _run(self) -> None:
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=self.base, timeout=60, limits=limits) as client:
            await asyncio.gather(*(self._client(client, i) for i in range(CLIENTS)))

    async def _client(self, client: httpx.AsyncClient, index: int) -> None:
        tags: dict[str, str] = {}
        i = index
        while not self._stop.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            headers = {"if-none-match": tags[path]} if path in tags and i % 2 else {}
            try:
                response = await client.get(path, headers=headers)
            except httpx.HTTPError as exc:
                self.failures.append(f"{path}: {type(exc).__name__} {exc}")
                continue
            if response.status_code not in (200, 304):
                self.failures.append(f"{path}: {response.status_code} {response.text[:200]}")
            self.outcomes[str(response.status_code)] += 1
            if "etag" in response.headers:
                tags[path] = response.headers["etag"]


def _last_month(base: str) -> str | None:
    window = httpx.get(f"{base}/?format=json", timeout=60).json().get("window") or {}
    return window.get("last_month")


def test_ingest_and_commands_while_four_workers_serve_fifty_clients(
        site: tuple[str, Path, Path], tmp_path: Path) -> None:
    base, db, log = site
    before = _last_month(base)
    assert before is not None and not before.startswith(("2012-01", "January 2012", "Jan 2012"))
    lpu = httpx.get(f"{base}/areas?format=json", timeout=60).json()["lpus"][0]["url"]
    paths = ["/", "/?format=json", lpu, "/areas", "/plan", "/static/favicon.svg"]
    new_month = _new_month_file(tmp_path)
    with Load(base, paths) as load:
        time.sleep(2)  # the load is running before the writers start
        added, ingest = _parallel(db, [["users", "add", "bob", "--role", "analyst"],
                                       ["ingest", str(new_month)]])
        finished = time.monotonic()
        seen_at = None
        while time.monotonic() - finished < NEW_MONTH_DEADLINE_SECONDS:
            if _last_month(base) != before:
                seen_at = time.monotonic()
                break
            time.sleep(0.25)
        reads = _parallel(db, [["users", "list"], ["quarantine", "list"]])
    assert added.returncode == 0, added.stderr
    assert ingest.returncode == 0, ingest.stderr
    assert seen_at is not None, (f"the site still showed {before} "
                                 f"{NEW_MONTH_DEADLINE_SECONDS} s after the ingest finished")
    after = _last_month(base)
    assert after is not None and after != before
    for result in reads:
        assert result.returncode == 0, result.stderr
    assert "bob" in reads[0].stdout
    assert "crimes-2012-01.csv" in reads[1].stdout
    server_log = [line for line in log.read_text("utf-8").splitlines()
                  if '" 200' not in line and '" 304' not in line]
    assert not load.failures, (load.failures[:10], server_log[-40:])
    assert load.outcomes["200"] > CLIENTS and load.outcomes["304"] > 0, load.outcomes


def _workers_started(log: Path) -> list[int]:
    return [int(m) for m in re.findall(r"worker (\d+) started", log.read_text("utf-8"))]


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_serve_forks_its_workers_replaces_one_that_dies_and_stops_on_sigterm(
        tmp_path: Path) -> None:
    """`serve --workers 2`: two workers forked by the serve process itself; a worker killed
    later is replaced and the site keeps answering; SIGTERM to the serve process stops every
    worker and it exits 0."""
    db = tmp_path / "empty.duckdb"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with open(log_path, "w", encoding="utf-8") as log:
        server = subprocess.Popen([sys.executable, "-m", "paragon", "serve", "--workers", "2",
                                   "--port", str(port), "--db", str(db)], env=_env(db),
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while len(_workers_started(log_path)) < 2 or not _healthy(base):
            assert server.poll() is None and time.monotonic() < deadline, \
                log_path.read_text("utf-8")[-3000:]
            time.sleep(0.3)
        first = _workers_started(log_path)
        assert [_parent_of(pid) for pid in first] == [server.pid, server.pid]
        time.sleep(11)  # past the start-up window in which a dying worker stops the server
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(_workers_started(log_path)) < 3:
            assert server.poll() is None and time.monotonic() < deadline, \
                log_path.read_text("utf-8")[-3000:]
            time.sleep(0.3)
        replacement = _workers_started(log_path)[2]
        assert _parent_of(replacement) == server.pid
        assert "ended by itself (signal SIGKILL)" in log_path.read_text("utf-8")
        while not _healthy(base):
            assert time.monotonic() < deadline
            time.sleep(0.3)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log_path.read_text("utf-8")[-3000:]
        for pid in (first[1], replacement):
            assert not Path(f"/proc/{pid}").exists() or \
                Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
