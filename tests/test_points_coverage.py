"""A points file of one crime type covers that crime type only: the other crime types, and all
recorded crime, are missing (no data, with the reason), never zero. On the real Merseyside
shoplifting file (13 months, 2019-05 to 2020-05, 7,930 crimes), loaded by the real command line.

The mixed case loads Cambridgeshire's real street file for 2021-01 (every crime type) beside the
Merseyside shoplifting rows loaded under --force cambridgeshire: the rows are real, the force is
the test's device to have a points file and one full month for the same force (the test data hold
no Merseyside street file).
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from paragon.plan.init import starter_plan_text
from paragon.settings import Settings
from paragon.warehouse import Warehouse
from paragon.web.app import create_app
from paragon.web.fixtures import csrf_from

DATA = Path(__file__).parent / "data" / "policeuk"
SHOPLIFTING = DATA / "derived" / "merseyside_shoplifting.csv.gz"
STREET = DATA / "street" / "2021-01-cambridgeshire-street.csv"
PASSWORD = "a long enough password"
# Shoplifting by month in the file (2019-05 .. 2020-05)
MONTHLY = [680, 623, 654, 722, 663, 712, 623, 589, 630, 666, 581, 397, 390]


@dataclass
class Loaded:
    db: Path
    plan: Path


def paragon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paragon", *args], capture_output=True,
                          text=True, timeout=600, check=False)


def load(tmp: Path, force: str, *ingests: list[str]) -> Loaded:
    plan = tmp / "plan.yaml"
    plan.write_text(starter_plan_text(force, "2019-20", 2))
    db = tmp / "wh.duckdb"
    for args in ingests:
        done = paragon("ingest", *args, "--db", str(db), "--plan", str(plan))
        assert done.returncode == 0, done.stderr
    return Loaded(db, plan)


@pytest.fixture(scope="module")
def shoplifting_only(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    loaded = load(tmp_path_factory.mktemp("shop"), "merseyside",
                  ["--kind", "points", "--force", "merseyside", str(SHOPLIFTING)])
    added = subprocess.run([sys.executable, "-m", "paragon", "users", "add", "ana", "--role",
                            "analyst", "--db", str(loaded.db)], capture_output=True, text=True,
                           env={**os.environ, "PARAGON_NEW_USER_PASSWORD": PASSWORD},
                           timeout=600, check=False)
    assert added.returncode == 0, added.stderr
    return loaded


@pytest.fixture(scope="module")
def with_street(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return load(tmp_path_factory.mktemp("mixed"), "cambridgeshire",
                ["--kind", "points", "--force", "cambridgeshire", str(SHOPLIFTING)],
                [str(STREET)])


def milestones(loaded: Loaded, year: str) -> dict[str, dict[str, Any]]:
    done = paragon("milestones", "--year", year, "--format", "json", "--db", str(loaded.db),
                   "--plan", str(loaded.plan))
    assert done.returncode == 0, done.stderr
    return {row["measure"]: row for row in json.loads(done.stdout)}


def spc(loaded: Loaded, measure: str) -> subprocess.CompletedProcess[str]:
    return paragon("spc", "--measure", measure, "--format", "json", "--db", str(loaded.db),
                   "--plan", str(loaded.plan))


def spc_points(loaded: Loaded, measure: str) -> list[tuple[str, float]]:
    done = spc(loaded, measure)
    assert done.returncode == 0, done.stderr
    return [(p["period"], p["value"]) for p in json.loads(done.stdout)["points"]]


def street_counts() -> dict[str, int]:
    """Crimes (not ASB) in the street file, in total and by crime type."""
    with STREET.open(newline="", encoding="utf-8") as f:
        types = [r["Crime type"] for r in csv.DictReader(f)]
    crimes = [t for t in types if t != "Anti-social behaviour"]
    return {"total": len(crimes), **{t: crimes.count(t) for t in set(crimes)}}


def test_the_points_file_records_the_crime_type_it_holds_by_month(
        shoplifting_only: Loaded) -> None:
    wh = Warehouse.open(shoplifting_only.db, read_only=True)
    try:
        held = wh.query("SELECT month, category FROM points_categories ORDER BY month")
    finally:
        wh.close()
    assert len(held) == 13
    assert {r["category"] for r in held} == {"Shoplifting"}
    assert f"{held[0]['month']:%Y-%m}" == "2019-05" and f"{held[-1]['month']:%Y-%m}" == "2020-05"


def test_shoplifting_has_its_months_and_other_crime_types_have_no_data(
        shoplifting_only: Loaded) -> None:
    rows = milestones(shoplifting_only, "2019-20")
    shop = rows["shoplifting"]
    assert shop["months_covered"] == 11  # 2019-05 .. 2020-03 of the year 2019-04 .. 2020-03
    assert shop["value"] == sum(MONTHLY[:11])
    for measure in ("burglary", "total-crime", "burglary-detections"):
        row = rows[measure]
        assert row["value"] is None, measure
        assert row["status"] == "data not available", measure
        assert "holds only Shoplifting" in row["note"], measure
    assert "street files" in rows["total-crime"]["note"]


def test_spc_charts_shoplifting_and_says_why_other_measures_have_no_data(
        shoplifting_only: Loaded) -> None:
    assert [v for _, v in spc_points(shoplifting_only, "shoplifting")] == MONTHLY
    for measure in ("burglary", "total-crime"):
        done = spc(shoplifting_only, measure)
        assert done.returncode != 0
        assert "no data" in done.stderr and "holds only Shoplifting" in done.stderr, done.stderr


def test_a_street_file_covers_all_crime_for_its_month_only(with_street: Loaded) -> None:
    counts = street_counts()
    assert spc_points(with_street, "total-crime") == [("2021-01", counts["total"])]
    assert spc_points(with_street, "burglary") == [("2021-01", counts["Burglary"])]
    shop = spc_points(with_street, "shoplifting")
    assert [v for _, v in shop] == [*MONTHLY, counts["Shoplifting"]]
    earlier = milestones(with_street, "2019-20")
    assert earlier["total-crime"]["value"] is None
    assert earlier["burglary"]["value"] is None
    assert earlier["shoplifting"]["value"] == sum(MONTHLY[:11])
    later = milestones(with_street, "2020-21")
    assert (later["total-crime"]["value"], later["total-crime"]["months_covered"]) == (
        counts["total"], 1)
    assert later["shoplifting"]["value"] == sum(MONTHLY[11:]) + counts["Shoplifting"]


# --- the public overview through a real uvicorn -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(loaded: Loaded) -> Iterator[str]:
    settings = Settings(db=loaded.db, plan=loaded.plan, secret_key="p" * 32)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-points", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    try:
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def overview(loaded: Loaded, area: str | None = None
             ) -> tuple[dict[str, Any], str, dict[str, Any] | None]:
    json_page = {"Accept": "application/json"}
    with served(loaded) as url:
        page = httpx.get(url + "/", headers=json_page, timeout=120)
        html = httpx.get(url + "/", timeout=120)
        lpu = httpx.get(f"{url}/areas/lpu/{area}", headers=json_page, timeout=120) \
            if area else None
    assert page.status_code == 200 and html.status_code == 200
    return page.json(), html.text, lpu.json() if lpu else None


def test_the_overview_gives_no_recorded_crime_total_for_shoplifting_only(
        shoplifting_only: Loaded) -> None:
    page, html, area = overview(shoplifting_only, "liverpool")
    assert page["crime"] is None
    assert "Recorded crime," not in html
    assert area is not None and area["crime_total"] is None
    assert [c["category"] for c in area["crime_by_category"]] == ["Shoplifting"]
    assert all(m["crimes"] is None for m in area["monthly"])  # no month of all crime


def test_the_overview_total_is_the_street_files_month_only(with_street: Loaded) -> None:
    page, html, _ = overview(with_street)
    total = street_counts()["total"]
    assert (page["crime"]["last_12_months"], page["crime"]["months_covered"]) == (total, 1)
    assert "Recorded crime," in html


def test_the_measure_page_of_burglary_says_why_it_has_no_data(shoplifting_only: Loaded) -> None:
    with served(shoplifting_only) as url, httpx.Client(base_url=url, follow_redirects=True,
                                                       timeout=120) as client:
        token = csrf_from(client.get("/login").text)
        signed = client.post("/login", data={"user_name": "ana", "password": PASSWORD,
                                             "csrf_token": token, "next": "/dashboard"})
        assert signed.status_code == 200 and "Sign out" in signed.text
        json_page = {"Accept": "application/json"}
        burglary = client.get("/measures/burglary", headers=json_page).json()
        shop = client.get("/measures/shoplifting", headers=json_page).json()
    assert "holds only Shoplifting" in burglary["unavailable"]
    assert not [p for p in burglary["points"] if p.get("value") is not None]
    assert shop["unavailable"] is None
    assert [p["value"] for p in shop["points"]] == MONTHLY
