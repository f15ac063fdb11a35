"""Greater Manchester from public data alone: a starter plan from `paragon plan init`, 36 months of
real police.uk burglary points (gmp_bur, 2016-02 to 2019-01) ingested with `--kind points`, then
`paragon spc` and the analyst measure page served by `paragon serve --plan` (a real uvicorn in its
own process) show exactly those 36 months, force-wide and for each district (LPU)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.plan import load_plan
from paragon.warehouse import Warehouse
from paragon.web.fixtures import free_port

GMP_BUR = Path(__file__).parent / "data" / "policeuk" / "derived" / "gmp_bur.csv.gz"
PASSWORD = "a long enough password"
SECRET = "g" * 40
MONTHS = [f"{y}-{m:02d}" for y in range(2016, 2020) for m in range(1, 13)][1:37]
runner = CliRunner()


def file_counts() -> Counter[str]:
    """Burglaries per month, read straight from the file."""
    text = gzip.decompress(GMP_BUR.read_bytes()).decode("utf-8")
    return Counter(row["Month"] for row in csv.DictReader(io.StringIO(text)))


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def gm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(plan, warehouse): the starter plan and gmp_bur ingested as points."""
    folder = tmp_path_factory.mktemp("gm")
    plan, db = folder / "plan.yaml", folder / "gm.duckdb"
    invoke("plan", "init", "--force", "greater-manchester", "--out", str(plan),
           "--first-year", "2016-17")
    out = json.loads(invoke("ingest", "--kind", "points", str(GMP_BUR), "--plan", str(plan),
                            "--db", str(db), "--format", "json"))
    [report] = out["files"]
    assert (report["rows_read"], report["rows_loaded"], report["rows_quarantined"]) == (
        92666, 92666, 0)
    return plan, db


def test_spc_charts_exactly_the_36_months_that_exist(gm: tuple[Path, Path]) -> None:
    plan, db = gm
    chart = json.loads(invoke("spc", "--measure", "burglary", "--months", "60", "--plan",
                              str(plan), "--db", str(db), "--format", "json"))
    counts = file_counts()
    assert sorted(counts) == MONTHS
    assert [p["period"] for p in chart["points"]] == MONTHS
    assert [p["value"] for p in chart["points"]] == [float(counts[m]) for m in MONTHS]
    assert chart["seasonal"] is not None  # three years: enough to estimate the season


@contextmanager
def serving(plan: Path, db: Path, env: dict[str, str], wait: float,
            poll: float) -> Iterator[str]:
    """`paragon serve --plan` in its own process on a free port: yields its base URL once "/"
    answers 200 (within `wait` seconds, asked every `poll`), and stops it on the way out."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "paragon", "serve", "--plan", str(plan),
                             "--db", str(db), "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve stopped: {proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(base + "/", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not answer")
            time.sleep(poll)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def served(gm: tuple[Path, Path]) -> Iterator[httpx.Client]:
    """`paragon serve --plan` in its own process, and a client signed in as an analyst."""
    plan, db = gm
    env = {**os.environ, "PARAGON_SECRET_KEY": SECRET, "PARAGON_NEW_USER_PASSWORD": PASSWORD}
    env.pop("PARAGON_PLAN", None)
    paragon = [sys.executable, "-m", "paragon"]
    subprocess.run([*paragon, "users", "add", "ana", "--db", str(db)], env=env, check=True,
                   capture_output=True)
    with serving(plan, db, env, wait=300, poll=0.5) as base, \
            httpx.Client(base_url=base, timeout=120) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token
        signed = client.post("/login", data={"user_name": "ana", "password": PASSWORD,
                                             "csrf_token": token[1]})
        assert signed.status_code == 303
        yield client


def measure_json(client: httpx.Client, lpu: str | None = None) -> dict[str, object]:
    params = {"from": "2016-02", "to": "2019-01", "format": "json", **({"lpu": lpu} if lpu else {})}
    response = client.get("/measures/burglary", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_measure_page_shows_36_months_of_burglary_by_district(
        served: httpx.Client, gm: tuple[Path, Path]) -> None:
    plan_path, db = gm
    plan = load_plan(plan_path)
    counts = file_counts()
    force = measure_json(served)
    assert (force["months_covered"], force["months_expected"], force["unavailable"]) == (
        36, 36, None)
    points = force["points"]
    assert isinstance(points, list)
    assert [p["period"] for p in points] == MONTHS
    assert [p["value"] for p in points] == [float(counts[m]) for m in MONTHS]
    by_lpu: dict[str, list[float]] = {}
    for lpu in plan.lpus:
        data = measure_json(served, lpu.id)
        lpu_points = data["points"]
        assert isinstance(lpu_points, list)
        assert [p["period"] for p in lpu_points] == MONTHS, lpu.id
        by_lpu[lpu.id] = [p["value"] for p in lpu_points]
    assert len(by_lpu) == 10
    wh = Warehouse.open(db, read_only=True)
    try:
        outside = {r["m"]: r["n"] for r in wh.query(
            "SELECT strftime(month, '%Y-%m') AS m, count(*) AS n FROM crimes "
            "WHERE lpu_id IS NULL GROUP BY m")}
    finally:
        wh.close()
    assert sum(outside.values()) < 0.001 * sum(counts.values())  # points outside GM's districts
    for i, month in enumerate(MONTHS):
        assert sum(v[i] for v in by_lpu.values()) == counts[month] - outside.get(month, 0)
    funnel = force["funnel_units"]
    assert isinstance(funnel, list)
    assert {u["unit"]: u["events"] for u in funnel} == {
        lpu.name: sum(by_lpu[lpu.id]) for lpu in plan.lpus}
    page = served.get("/measures/burglary", params={"from": "2016-02", "to": "2019-01"})
    assert page.status_code == 200 and "Burglary" in page.text and "Stockport" in page.text
