"""A small, deterministic warehouse for the web's tests and benchmarks, built through the real
ingest path (force-crimes and survey CSV files -> ``paragon.ingest``) on real West Midlands LSOAs.

It is not the demo (``paragon.demo.build_demo`` builds the full synthetic force); it is small enough
to build in a few seconds, with a known shape: ``months`` months of crimes ending December 2011,
survey responses, a little anti-social behaviour, two local priorities, and (``hostile=True``)
records whose text fields carry HTML and script, plus a quarantined row, for security tests.
"""

from __future__ import annotations

import csv
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from paragon.geography.load import load_geography
from paragon.geography.lpus import west_midlands_lsoas
from paragon.ingest.registry import ingest_paths
from paragon.measures.periods import add_months, months_between
from paragon.ops import OpsStore
from paragon.plan import default_plan
from paragon.warehouse import Warehouse

HOSTILE_TEXT = "<script>alert('x')</script><img src=x onerror=alert(1)>"
LAST_MONTH = date(2011, 12, 1)
OFFENCES = {"28E": 0.10, "34B": 0.04, "45": 0.10, "48": 0.04, "5D": 0.05, "8N": 0.10,
            "105A": 0.14, "58A": 0.14, "46": 0.10, "49": 0.12, "30C": 0.03, "19C": 0.01,
            "20A": 0.01, "92D": 0.02}
OUTCOMES = ("charged_summonsed", "caution", "community_resolution", "no_further_action",
            "evidential_difficulties", "victim_declined", "", "", "")
FTD_QUESTIONS = ("confidence_in_police", "deal_with_things_that_matter", "treat_everyone_fairly")
AGREE = ("strongly_agree", "tend_to_agree", "tend_to_disagree", "strongly_disagree", "dont_know")
SATISFACTION = ("completely_satisfied", "very_satisfied", "fairly_satisfied", "neither",
                "fairly_dissatisfied", "very_dissatisfied")


def _crime_rows(rng: np.random.Generator, months: int, per_month: int,
                hostile: bool) -> list[list[str]]:
    lsoas = west_midlands_lsoas()
    weights = np.array([x.population for x in lsoas], dtype=float)
    weights /= weights.sum()
    codes = list(OFFENCES)
    code_p = np.array(list(OFFENCES.values()))
    code_p /= code_p.sum()
    rows = []
    first = add_months(LAST_MONTH, -(months - 1))
    for m_index, month in enumerate(months_between(first, add_months(LAST_MONTH, 1))):
        n = int(rng.poisson(per_month * (1.0 - 0.004 * m_index)))
        picks = rng.choice(len(lsoas), size=n, p=weights)
        offence = rng.choice(len(codes), size=n, p=code_p)
        for i in range(n):
            lsoa = lsoas[int(picks[i])]
            recorded = month + timedelta(days=int(rng.integers(0, 28)))
            outcome = OUTCOMES[int(rng.integers(0, len(OUTCOMES)))]
            when = recorded + timedelta(days=int(rng.integers(1, 60))) if outcome else None
            if when is not None and when > date(2011, 12, 31):
                outcome, when = "", None
            rows.append([
                f"WM{month:%y%m}{i:05d}", recorded.isoformat(), codes[int(offence[i])],
                "Y" if rng.random() < 0.02 else "N", "Y" if rng.random() < 0.15 else "N",
                "Y" if rng.random() < 0.08 else "N", lsoa.lsoa_code,
                HOSTILE_TEXT if hostile and i == 0 else "On or near High Street",
                f"{lsoa.bng_x + rng.normal(0, 150):.0f}", f"{lsoa.bng_y + rng.normal(0, 150):.0f}",
                outcome, when.isoformat() if when else "",
            ])
    return rows


def _survey_rows(rng: np.random.Generator, months: int, per_month: int) -> list[list[str]]:
    plan = default_plan()
    lpus = [lpu.id for lpu in plan.lpus]
    rows = []
    first = add_months(LAST_MONTH, -(months - 1))
    for month in months_between(first, add_months(LAST_MONTH, 1)):
        for i in range(per_month):
            rid = f"R{month:%y%m}{i:04d}"
            day = (month + timedelta(days=int(rng.integers(0, 28)))).isoformat()
            lpu = lpus[int(rng.integers(0, len(lpus)))]
            weight = f"{rng.uniform(0.6, 1.6):.3f}"
            for q in FTD_QUESTIONS:
                answer = AGREE[int(rng.choice(5, p=[0.35, 0.45, 0.1, 0.05, 0.05]))]
                rows.append(["feeling-the-difference", rid, day, lpu, "", "", q, answer, weight])
            victim = "crime" if i % 3 else "asb"
            answer = SATISFACTION[int(rng.choice(6, p=[0.3, 0.3, 0.2, 0.1, 0.05, 0.05]))]
            rows.append(["contact-counts", f"V{rid}", day, lpu, "", victim,
                         "satisfaction_whole_service", answer, "1"])
    return rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _asb_and_priorities(wh: Warehouse, rng: np.random.Generator, months: int,
                        hostile: bool) -> None:
    """ASB has no ingest format yet, so a few incidents go in directly (as the demo does)."""
    lsoas = west_midlands_lsoas()
    first = add_months(LAST_MONTH, -(months - 1))
    with wh.transaction() as con:
        for month in months_between(first, add_months(LAST_MONTH, 1)):
            for i in range(int(rng.poisson(120))):
                x = lsoas[int(rng.integers(0, len(lsoas)))]
                con.execute(
                    "INSERT INTO asb_incidents (asb_key, source, force, month, lsoa_code, "
                    "lsoa_name, neighbourhood_id, lpu_id, location, ingest_id) "
                    "VALUES (?, 'force', 'west-midlands', ?, ?, ?, ?, ?, ?, 0)",
                    [f"asb:{month:%Y%m}:{i}", month, x.lsoa_code, x.lsoa_name,
                     x.neighbourhood_id, x.lpu_id,
                     HOSTILE_TEXT if hostile and i == 0 else "On or near Park Road"])
        hood = next(x for x in lsoas if x.lpu_id == "birmingham-north").neighbourhood_id
        rows = [("lpu", "birmingham-north", "Speeding on the Chester Road", "Speed checks with "
                 "volunteers", date(2011, 9, 1), "open", None, None),
                ("neighbourhood", hood, "Drug dealing near the parade of shops",
                 "Warrants with the housing provider", date(2011, 6, 1), "closed",
                 "Three warrants, five people charged", date(2011, 10, 15))]
        if hostile:
            rows.append(("lpu", "coventry", HOSTILE_TEXT, HOSTILE_TEXT, date(2011, 7, 1),
                         "closed", HOSTILE_TEXT, date(2011, 8, 1)))
    with _ops_for(wh.path) as ops, ops.transaction() as cur:
        cur.execute("DELETE FROM priorities")
        for r in rows:
            cur.execute(
                "INSERT INTO priorities (area_type, area_id, issue, action, opened_on, status, "
                "result, closed_on, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'fixture')",
                list(r))


def build_sample_warehouse(db_path: Path, *, seed: int = 7, months: int = 33,
                           crimes_per_month: int = 500, survey_per_month: int = 60,
                           hostile: bool = False) -> Path:
    """Create the sample warehouse at ``db_path`` (replacing it) and return the path."""
    from paragon.ingest.force_crimes import COLUMNS as CRIME_COLUMNS
    from paragon.ingest.surveys import COLUMNS as SURVEY_COLUMNS

    rng = np.random.default_rng(seed)
    db_path.unlink(missing_ok=True)
    _remove_ops(db_path)
    plan = default_plan()
    with Warehouse.open(db_path) as wh, tempfile.TemporaryDirectory() as tmp:
        load_geography(wh)
        crimes = _crime_rows(rng, months, crimes_per_month, hostile)
        if hostile:
            crimes.append(["BAD1", "not-a-date", "28E", "N", "N", "N", "", HOSTILE_TEXT, "", "",
                           "", ""])
        files = [_write(Path(tmp) / "force-crimes.csv", list(CRIME_COLUMNS), crimes),
                 _write(Path(tmp) / "surveys.csv", list(SURVEY_COLUMNS),
                        _survey_rows(rng, months, survey_per_month))]
        ingest_paths(wh, files, plan)
        _asb_and_priorities(wh, rng, months, hostile)
    return db_path


def shared_sample(base_dir: Path, *, hostile: bool = False) -> Path:
    """The sample warehouse under ``base_dir``, built on first use (tests share one per session;
    copy it before writing to it)."""
    path = Path(base_dir) / f"web-sample{'-hostile' if hostile else ''}.duckdb"
    if not path.exists():
        build_sample_warehouse(path, hostile=hostile)
    return path


def sample_with_users(base_dir: Path, target: Path, users: dict[str, str],
                      password: str) -> Path:
    """A private copy of the shared hostile sample at ``target`` with ``users`` (name -> role)
    added, all with ``password``; returns ``target``."""
    from paragon.web.auth import add_user

    source = shared_sample(base_dir, hostile=True)
    shutil.copy(source, target)
    _remove_ops(target)
    _copy_ops(source, target)
    with _ops_for(target) as ops:
        for name, role in users.items():
            add_user(ops, name, role, password)
    return target


def _ops_file(db_path: Path | None) -> Path:
    """The operational store beside a warehouse (the default location)."""
    from paragon.ops.store import default_url, sqlite_path

    assert db_path is not None
    return sqlite_path(default_url(db_path))


def _ops_for(db_path: Path | None) -> OpsStore:
    from paragon.ops.store import default_url

    assert db_path is not None
    store = OpsStore.open(default_url(db_path))
    if store.needs_copy():
        store.mark_copied()
    return store


def _copy_ops(source: Path, target: Path) -> None:
    """Copy the operational store of warehouse ``source`` to be that of ``target``."""
    from paragon.ops import copy_store
    from paragon.ops.testing import postgres_server

    if postgres_server() is None:
        shutil.copy(_ops_file(source), _ops_file(target))
        return
    from paragon.ops.store import default_url

    with OpsStore.open(default_url(source)) as old, OpsStore.open(default_url(target)) as new:
        copy_store(old, new)


def _remove_ops(db_path: Path) -> None:
    from paragon.ops.testing import drop_store, postgres_server

    server = postgres_server()
    if server is not None:  # the tests' stores on PostgreSQL (paragon.ops.testing)
        drop_store(server, db_path)
        return
    ops = _ops_file(db_path)
    for path in (ops, ops.with_name(ops.name + "-wal"), ops.with_name(ops.name + "-shm")):
        path.unlink(missing_ok=True)


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = CSRF_INPUT.search(html)
    if match is None:
        raise AssertionError("no CSRF token on the page")
    return match.group(1)


def sign_in(client: Any, user: str, password: str) -> Any:
    """Sign in through the login form, as a browser does; returns the final response."""
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"user_name": user, "password": password,
                                       "csrf_token": token, "next": "/dashboard"})


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(app: Any, name: str, wait: float = 20.0) -> Iterator[str]:
    """A real uvicorn serving `app` on 127.0.0.1 and a free port, on a daemon thread called
    `name`: yields the base URL once the server has started (within `wait` seconds), and stops
    it on the way out."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + wait
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
