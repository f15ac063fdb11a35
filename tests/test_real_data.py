"""Every command and every page on real police.uk data only.

Five warehouses are built once for the module with the real command line (``paragon plan init``,
then ``paragon ingest`` in a subprocess, in parallel):

- West Midlands, February 2011 street file (the 2011 schema), with the shipped 2011-15 plan;
- Cambridgeshire, January 2021 street file, with a starter plan for 2020-21 and 2021-22;
- City of London: January 2021 street file, outcomes 2016-11 to 2017-01 and stop and search
  2019-12 to 2020-02, with a starter plan for 2016-17 to 2020-21;
- Merseyside shoplifting points, May 2019 to May 2020 (``--kind points``), starter plan 2019-20
  and 2020-21;
- Greater Manchester burglary points, February 2016 to January 2019 (``--kind points``), starter
  plan 2016-17 to 2018-19.

Then every read command answers with exit 0 or one clean error line (never a traceback), and every
public and analyst page answers 200 through a real uvicorn, HTML and JSON twin. On every JSON twin:
a month outside the data never appears as a zero (a gap is None or absent), and an incomplete
period is never compared with a complete one (months covered and expected are given, and no
incomplete milestone year is called met or a significant change).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from paragon.cli import app as cli
from paragon.measures.milestones import plan_years
from paragon.plan import Plan, default_plan, load_plan
from paragon.settings import Settings
from paragon.warehouse import Warehouse
from paragon.web.app import create_app
from paragon.web.fixtures import csrf_from, serve_in_thread

DATA = Path(__file__).parent / "data" / "policeuk"
PASSWORD = "a long enough password"
PARAGON = [sys.executable, "-m", "paragon"]
MONTH = re.compile(r"^\d{4}-\d{2}$")
ROW_MONTH_KEYS = ("month", "period", "key")
# Numbers in a month's row that are not counts of that month (positions, settings, lags).
NOT_COUNTS = {"lag_months", "gap_months", "index", "position", "months", "year", "compared",
              "months_expected", "complete_share", "min_matched"}


@dataclass
class Dataset:
    name: str
    force: str | None  # None: the shipped West Midlands plan
    first_year: str | None
    years: int
    ingest: list[str]
    db: Path = Path()
    plan_path: Path | None = None
    plan: Plan | None = None
    months: frozenset[str] = frozenset()
    crime_months: frozenset[str] = frozenset()
    extra: dict[str, Any] = field(default_factory=dict)

    def cli_args(self) -> list[str]:
        return ["--db", str(self.db)] + (["--plan", str(self.plan_path)] if self.plan_path else [])


DATASETS = {
    "west-midlands-2011": Dataset(
        "west-midlands-2011", None, None, 0,
        [str(DATA / "street" / "2011-02-west-midlands-street.csv")]),
    "cambridgeshire-2021": Dataset(
        "cambridgeshire-2021", "cambridgeshire", "2020-21", 2,
        [str(DATA / "street" / "2021-01-cambridgeshire-street.csv")]),
    "city-of-london": Dataset(
        "city-of-london", "city-of-london", "2016-17", 5,
        [str(DATA / "street" / "2021-01-city-of-london-street.csv"), str(DATA / "outcomes"),
         *sorted(str(p) for p in (DATA / "stop-and-search").glob("*city-of-london*"))]),
    "merseyside-shoplifting": Dataset(
        "merseyside-shoplifting", "merseyside", "2019-20", 2,
        ["--kind", "points", str(DATA / "derived" / "merseyside_shoplifting.csv.gz")]),
    "greater-manchester-burglary": Dataset(
        "greater-manchester-burglary", "greater-manchester", "2016-17", 3,
        ["--kind", "points", str(DATA / "derived" / "gmp_bur.csv.gz")]),
}


def _invoke(args: list[str]) -> Any:
    return CliRunner().invoke(cli, args, env={"PARAGON_NEW_USER_PASSWORD": PASSWORD,
                                              "COLUMNS": "200"})


def _months(wh: Warehouse, tables: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()
    for table in tables:
        for r in wh.query(f"SELECT DISTINCT month FROM {table} WHERE month IS NOT NULL"):
            found.add(r["month"].strftime("%Y-%m"))
    return frozenset(found)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Dataset]:
    """The warehouses, each built once by the real command line."""
    root = tmp_path_factory.mktemp("real-data")
    sets = {k: Dataset(**{f: getattr(v, f) for f in ("name", "force", "first_year", "years",
                                                     "ingest")})
            for k, v in DATASETS.items()}
    env = {**os.environ, "COLUMNS": "200"}
    procs: dict[str, subprocess.Popen[str]] = {}

    def ingest(ds: Dataset) -> None:
        procs[ds.name] = subprocess.Popen(
            [*PARAGON, "ingest", *ds.ingest, "--format", "json", *ds.cli_args()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    for ds in sets.values():
        ds.db = root / f"{ds.name}.duckdb"
        if ds.force is None:  # the shipped plan: its ingest starts at once
            ds.plan = default_plan()
            ingest(ds)
            continue
        ds.plan_path = root / f"{ds.name}.yaml"
        made = _invoke(["plan", "init", "--force", ds.force, "--first-year", str(ds.first_year),
                        "--years", str(ds.years), "--out", str(ds.plan_path)])
        assert made.exit_code == 0, made.output
        ds.plan = load_plan(ds.plan_path)
        ingest(ds)
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"{name}: {err}"
        assert "Traceback" not in err
        files = json.loads(out)["files"]
        assert files and all(f["rows_loaded"] > 0 for f in files), out
        sets[name].extra["ingest"] = files
    for ds in sets.values():
        added = _invoke(["users", "add", "ana", "--role", "analyst", "--db", str(ds.db)])
        assert added.exit_code == 0, added.output
        with Warehouse.open(ds.db, read_only=True) as wh:
            ds.months = _months(wh, ("crimes", "asb_incidents", "outcomes", "stop_search"))
            ds.crime_months = _months(wh, ("crimes",))
    return sets


# --- the command line --------------------------------------------------------------------------


def _commands(ds: Dataset) -> list[list[str]]:
    assert ds.plan is not None
    cmds = [["milestones", "--year", y, "--format", "json"] for y in plan_years(ds.plan)]
    lpu = ds.plan.lpus[0].id
    cmds.append(["milestones", "--year", plan_years(ds.plan)[0], "--lpu", lpu])
    counts = [m.id for m in ds.plan.measures if m.kind == "count"][:3]
    if ds.name == "merseyside-shoplifting":  # a shoplifting file: the other measures have no data
        counts.append("shoplifting")
    rates = [m.id for m in ds.plan.measures if m.kind != "count"][:2]
    cmds += [["spc", "--measure", m, "--format", "json"] for m in counts + rates]
    cmds.append(["spc", "--measure", counts[0], "--lpu", lpu])
    cmds += [["stop-search", "--format", "json"], ["stop-search", "--by", "ethnicity"],
             ["outcomes", "detections", "--format", "json"], ["outcomes", "lag"],
             ["plan", "show"], ["breaks", "list"]]
    return cmds


NO_PLAN = [["quarantine", "list", "--format", "json"], ["quarantine", "show"], ["users", "list"]]


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_read_command_answers_cleanly(built: dict[str, Dataset], name: str) -> None:
    ds = built[name]
    answers = [(cmd, _invoke([*cmd, *ds.cli_args()])) for cmd in _commands(ds)]
    answers += [(cmd, _invoke([*cmd, "--db", str(ds.db)])) for cmd in NO_PLAN]
    problems = []
    for cmd, r in answers:
        what = " ".join(cmd)
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            problems.append(f"{what}: {type(r.exception).__name__}: {r.exception}")
        elif r.exit_code not in (0, 1):
            problems.append(f"{what}: exit {r.exit_code}: {r.output[-300:]}")
        elif r.exit_code == 1:
            lines = r.stderr.strip().splitlines()
            if not lines or not lines[0].startswith("error: ") or "Traceback" in r.stderr:
                problems.append(f"{what}: not one clean error line: {r.stderr[-300:]}")
        elif "--format" in cmd and "json" in cmd:
            problems += [f"{what}: {p}" for p in zero_months(json.loads(r.stdout), ds)]
            if cmd[0] == "milestones":
                problems += [f"{what}: {p}" for p in incomplete_verdicts(json.loads(r.stdout))]
    assert not problems, "\n".join(problems)
    # the commands did answer with figures where the data has them
    ok = {" ".join(cmd) for cmd, r in answers if r.exit_code == 0}
    assert any(c.startswith("spc ") for c in ok) and "users list" in ok


def test_a_bad_argument_is_one_clean_line(built: dict[str, Dataset]) -> None:
    ds = built["cambridgeshire-2021"]
    for cmd in (["milestones", "--year", "1999-00"], ["spc", "--measure", "no-such-measure"],
                ["stop-search", "--force", "kent"], ["milestones", "--year", "2020-21",
                                                      "--lpu", "atlantis"]):
        r = _invoke([*cmd, *ds.cli_args()])
        assert r.exit_code == 1 and isinstance(r.exception, SystemExit), (cmd, r.output)
        assert r.stderr.startswith("error: ") and "Traceback" not in r.stderr


# --- the checks on every JSON answer -----------------------------------------------------------


def zero_months(data: Any, ds: Dataset, where: str = "") -> list[str]:
    """Rows of a month outside the data that carry a zero count (a gap must be None or absent)."""
    found: list[str] = []
    if isinstance(data, dict):
        month = next((data[k] for k in ROW_MONTH_KEYS
                      if isinstance(data.get(k), str) and MONTH.match(data[k])), None)
        if month is not None and month not in ds.months:
            zeros = [k for k, v in data.items() if k not in NOT_COUNTS
                     and isinstance(v, int | float) and not isinstance(v, bool) and v == 0]
            if zeros:
                found.append(f"{where}: {month} (no data) shows zero for {', '.join(zeros)}")
        for k, v in data.items():
            found += zero_months(v, ds, f"{where}.{k}")
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += zero_months(v, ds, f"{where}[{i}]")
    return found


def incomplete_verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """Milestone rows of an incomplete year that are called met or a significant change, or that
    do not say how many months they cover."""
    found = []
    for r in rows:
        if "months_covered" not in r or "months_expected" not in r:
            found.append(f"{r.get('measure')}: months covered/expected missing")
            continue
        if r["months_covered"] < r["months_expected"] and (
                r.get("status") == "met" or r.get("change_significant") is True):
            found.append(f"{r['measure']} {r.get('year')}: {r['months_covered']} of "
                             f"{r['months_expected']} months, yet {r.get('status')} / "
                             f"significant={r.get('change_significant')}")
    return found


def area_comparisons(data: dict[str, Any]) -> list[str]:
    """Area-page changes: each says which months it covers, and compares only months with data in
    both years (never an incomplete 12 months against a complete one)."""
    found = []
    items = list(data.get("crime_by_category") or [])
    for key in ("crime_total", "anti_social_behaviour", "crime"):
        if isinstance(data.get(key), dict):
            items.append(data[key])
    for c in items:
        if "months_covered" not in c or "months_expected" not in c:
            found.append(f"{c.get('category')}: months covered/expected missing")
            continue
        compared = c.get("months_compared")
        if compared is None or compared > c["months_covered"]:
            found.append(f"{c['category']}: months compared {compared} of {c['months_covered']}")
        if (c["months_covered"] < c["months_expected"] and c.get("previous_12_months") is not None
                and compared == c["months_expected"]):
            found.append(f"{c['category']}: incomplete year compared as complete")
        if c.get("verdict") not in (None, "no significant change") and (compared or 0) < 2:
            found.append(f"{c['category']}: a verdict from {compared} paired months")
    return found


# --- pages through a real uvicorn --------------------------------------------------------------


@dataclass
class Served:
    url: str


@pytest.fixture(scope="module")
def servers(built: dict[str, Dataset]) -> Iterator[dict[str, Served]]:
    with ExitStack() as running:
        served = {}
        for name, ds in built.items():
            app = create_app(Settings(db=ds.db, plan=ds.plan_path, secret_key="r" * 32))
            url = running.enter_context(serve_in_thread(app, f"uvicorn-{ds.name}", wait=60))
            served[name] = Served(url)
        yield served


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=True, timeout=120)
    token = csrf_from(client.get("/login").text)
    answer = client.post("/login", data={"user_name": "ana", "password": PASSWORD,
                                         "csrf_token": token, "next": "/dashboard"})
    assert answer.status_code == 200 and "Sign out" in answer.text
    return client


def page_urls(client: httpx.Client, ds: Dataset) -> list[str]:
    assert ds.plan is not None
    areas = client.get("/areas", params={"format": "json"}).json()
    dash = client.get("/dashboard", params={"format": "json"}).json()
    urls = ["/", "/plan", "/areas", "/data", "/methods", "/quality", "/outcomes", "/stop-search",
            "/tasking", "/areas/search?q=a", "/areas/search?q=road", "/map/lpus.geojson"]
    opendata = client.get("/data", params={"format": "json"}).json()
    urls += [d["downloads"]["csv"] for d in opendata["datasets"]]
    urls += [f"/plan/{p.id}" for p in ds.plan.priorities]
    urls += [f"/dashboard?year={y}" for y in dash["years"]]
    urls += [f"/dashboard?year={dash['years'][-1]}&lpu={ds.plan.lpus[0].id}"]
    urls += [f"/measures/{m.id}" for m in ds.plan.measures]
    urls += [f"/measures/{ds.plan.measures[0].id}?lpu={ds.plan.lpus[0].id}"]
    for lpu in areas["lpus"]:
        urls.append(lpu["url"])
        urls += [n["url"] for n in lpu["neighbourhoods"]]
    return urls


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_page_answers_on_real_data(built: dict[str, Dataset], servers: dict[str, Served],
                                         name: str) -> None:
    ds = built[name]
    client = signed_in(servers[name].url)
    urls = page_urls(client, ds)
    assert len(urls) > 20
    seen: set[str] = set()
    lock = threading.Lock()

    def shapes(data: dict[str, Any]) -> list[str]:
        """The map shapes a page asks for (each must answer too), each fetched once."""
        wanted = [v for v in (data.get("map") or {}).values()
                  if isinstance(v, str) and v.startswith("/map/")]
        with lock:
            new = [u for u in wanted if u not in seen]
            seen.update(new)
        return [p for u in new for p in fetch(u)]

    def fetch(url: str) -> list[str]:
        problems = []
        html = client.get(url)
        if html.status_code != 200:
            return [f"{url}: {html.status_code} {html.text[:200]}"]
        if url.endswith(".geojson"):
            return zero_months(html.json(), ds, url)
        if url.endswith(".csv"):
            return []
        answer = client.get(url, headers={"Accept": "application/json"})
        if answer.status_code != 200:
            return [f"{url} (JSON): {answer.status_code} {answer.text[:200]}"]
        data = answer.json()
        problems += zero_months(data, ds, url)
        if data.get("page") == "dashboard":
            problems += [f"{url}: {p}" for p in incomplete_verdicts(data["milestones"])]
        if data.get("page") in ("area", "overview"):
            problems += [f"{url}: {p}" for p in area_comparisons(data)]
        return problems + shapes(data)

    with ThreadPoolExecutor(max_workers=4) as pool:
        problems = [p for found in pool.map(fetch, urls) for p in found]
    assert not problems, "\n".join(problems[:40])


def test_area_pages_show_real_counts_and_gaps(built: dict[str, Dataset],
                                              servers: dict[str, Served]) -> None:
    """The area figures are the warehouse's: the force's crimes in its one month, and months
    without data are gaps in the monthly series, not zeros."""
    ds = built["west-midlands-2011"]
    client = httpx.Client(base_url=servers[ds.name].url, timeout=120)
    coventry = client.get("/areas/lpu/coventry", params={"format": "json"}).json()
    with Warehouse.open(ds.db, read_only=True) as wh:
        n = wh.scalar("SELECT count(*) FROM crimes WHERE lpu_id = 'coventry' "
                      "AND month = DATE '2011-02-01'")
    assert coventry["crime_total"]["last_12_months"] == n > 0
    assert coventry["crime_total"]["months_covered"] == 1
    assert coventry["crime_total"]["previous_12_months"] is None
    assert len(coventry["monthly"]) == 24 and coventry["monthly"][-1]["month"] == "2011-02"
    assert coventry["outcomes"] == []  # the 2011 files carry no outcomes: unknown, not zero
    monthly = {m["month"]: m for m in coventry["monthly"]}
    assert monthly["2011-02"]["crimes"] == n
    assert all(m["crimes"] is None for k, m in monthly.items() if k != "2011-02")
    # Merseyside: 13 months of shoplifting and no other crime type: no total of recorded crime
    # (tests/test_points_coverage.py); only May 2019 has its month a year later
    mers = built["merseyside-shoplifting"]
    overview = httpx.get(servers[mers.name].url + "/?format=json", timeout=120).json()
    assert overview["crime"] is None
    area = httpx.get(servers[mers.name].url + "/areas/lpu/liverpool?format=json",
                     timeout=120).json()
    [shop] = area["crime_by_category"]
    assert shop["months_covered"] == 12 and shop["months_compared"] == 1
    assert shop["verdict"] is None and "too few to compare" in shop["against_text"]


def test_zero_month_check_catches_a_zero_gap(built: dict[str, Dataset]) -> None:
    """The check above fails on a month without data shown as 0 (and passes it as None)."""
    ds = built["city-of-london"]
    assert "2020-12" not in ds.months
    assert zero_months({"monthly": [{"month": "2020-12", "crimes": 0}]}, ds)
    assert not zero_months({"monthly": [{"month": "2020-12", "crimes": None}]}, ds)
    assert not zero_months({"monthly": [{"month": "2021-01", "crimes": 0}]}, ds)
    assert incomplete_verdicts([{"measure": "x", "months_covered": 3, "months_expected": 12,
                                 "status": "met", "change_significant": None}])


# --- one browser journey -----------------------------------------------------------------------


@pytest.mark.browser
def test_resident_and_analyst_journey(built: dict[str, Dataset], servers: dict[str, Served],
                                      browser: Any) -> None:
    base = servers["west-midlands-2011"].url
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # a resident finds Coventry by name and reads its crime
        page.goto(f"{base}/areas")
        page.fill("#q", "Coventry")
        page.locator("#results a", has_text="Coventry").first.click()
        page.wait_for_url(re.compile(r"/areas/lpu/coventry$"))
        assert page.locator("h1").inner_text().startswith("Coventry")
        body = page.locator("main").inner_text()
        assert "Violence and sexual offences" in body and "February 2011" in body
        assert "no change is judged" in body
        page.locator(".vega[data-spec=chart-monthly][data-rendered=true] svg").wait_for()
        # an analyst signs in, opens the dashboard and a measure page
        page.goto(f"{base}/login")
        page.fill("#user_name", "ana")
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(re.compile(r"/dashboard"))
        assert page.locator("h1").inner_text()
        page.locator("a[href^='/measures/total-recorded-crime']").first.click()
        page.wait_for_url(re.compile(r"/measures/total-recorded-crime"))
        assert "Total recorded crime" in page.locator("h1").inner_text()
        page.locator(".vega[data-spec=chart-funnel][data-rendered=true] svg").wait_for()
    finally:
        context.close()
    assert not errors, errors


def test_the_months_of_the_data(built: dict[str, Dataset]) -> None:
    """The warehouses hold the months of the files, and nothing else."""
    assert built["west-midlands-2011"].months == {"2011-02"}
    assert built["cambridgeshire-2021"].months == {"2021-01"}
    assert built["city-of-london"].months == {"2016-11", "2016-12", "2017-01", "2019-12",
                                               "2020-01", "2020-02", "2021-01"}
    mers = built["merseyside-shoplifting"].months
    assert min(mers) == "2019-05" and max(mers) == "2020-05" and len(mers) == 13
    assert date(2019, 5, 1).strftime("%Y-%m") in mers


def test_one_month_is_said_not_shown_as_no_data(servers: dict[str, Served]) -> None:
    """The dashboard's chart column of a measure with one month in the window says so, rather
    than 'no monthly data' beside a figure computed from that month."""
    client = signed_in(servers["west-midlands-2011"].url)
    dash = client.get("/dashboard", params={"format": "json", "year": "2010-11"}).json()
    rows = {r["measure"]: r for r in dash["milestones"]}
    assert rows["total-recorded-crime"]["value"] == 16830
    assert rows["total-recorded-crime"]["spark_summary"] == "1 month of data: too few for a chart"
    assert rows["burglary-dwelling"]["spark_summary"] == "no monthly data"
