"""Shared fixtures. Every test gets its own real DuckDB file; the demo warehouse is built once per
session (it takes about half a minute) and opened read-only by the tests that need it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paragon.demo import build_demo
from paragon.plan import Plan, default_plan
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the synthetic demo warehouse (built once, do not write to it)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path)
    _openings_since_last_look()  # its local priorities: not the opening of the test that asked
    return path


@pytest.fixture
def demo_wh(demo_db: Path) -> Iterator[Warehouse]:
    wh = Warehouse.open(demo_db, read_only=True)
    yield wh
    wh.close()


@pytest.fixture
def plan() -> Plan:
    return default_plan()


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    """A new, empty warehouse file of the test's own."""
    warehouse = Warehouse.open(tmp_path / "test.duckdb")
    yield warehouse
    warehouse.close()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one for the whole run: Playwright's synchronous API
    can be started only once at a time in a thread, so every browser test shares this one."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# --- Which tests open the operational store -------------------------------------------------
# `scripts/dev.py test` runs every test marked `ops_store` a second time with every operational
# store on a real PostgreSQL server (`pytest -m ops_store`, PARAGON_TEST_POSTGRES_URL). Every
# module is marked except those listed here, whose tests never open a store: a new module runs on
# PostgreSQL until it is listed. The list cannot lie: every opening of a store, in this process or
# any it starts (`paragon` commands, `serve` workers), is traced (PARAGON_TEST_OPS_TRACE), and a
# test of a listed module that opens one fails, saying to take its module off the list.
NO_OPS_STORE_MODULES: frozenset[str] = frozenset(f"tests/test_{name}.py" for name in (
    "assessment_all_positive", "assessment_words", "cli_edges", "demo_realism", "docs", "fetch",
    "geography_place", "geography_shapes", "hotspots_plan", "ingest_corruption",
    "ingest_force_crimes", "ingest_force_crimes_bulk", "ingest_kill", "ingest_policeuk_groups",
    "ingest_policeuk_real", "ingest_policeuk_sources", "ingest_quarantine_cli", "ingest_recheck",
    "ingest_surveys", "ingest_surveys_bulk", "measures", "measures_mutants_assessment",
    "measures_mutants_charts", "measures_mutants_engine", "measures_mutants_milestones",
    "measures_mutants_series", "milestones_lpu", "milestones_rules", "outcomes", "plan",
    "plan_init", "points", "publish", "stats_control", "stats_counts", "stats_funnel",
    "stats_multiple", "stats_mutants_funnel", "stats_mutants_multiple",
    "stats_imports", "stats_mutants_proportions", "stats_mutants_seasonal", "stats_negbinom",
    "stats_projection", "stop_search", "tasking_harm",
    "stats_proportions", "stats_seasonal", "stats_spc", "tasking_methods", "tasking_metrics",
    "warehouse_backfill",
))
OPS_TRACE_REPORT_ENV = "PARAGON_TEST_OPS_REPORT"  # set: write the openings per test, fail none
_trace: dict[str, Any] = {"file": None, "seen": 0}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ops_store: may open the operational store, so runs on PostgreSQL too "
        "(every module not in NO_OPS_STORE_MODULES of tests/conftest.py)")
    from paragon.ops.testing import TRACE_ENV

    folder = Path(tempfile.mkdtemp(prefix="paragon-ops-trace-"))
    _trace["file"] = folder / "opened.txt"
    _trace["file"].touch()
    os.environ[TRACE_ENV] = str(_trace["file"])


def pytest_unconfigure(config: pytest.Config) -> None:
    if _trace["file"] is not None:
        shutil.rmtree(_trace["file"].parent, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _module_of(item) not in NO_OPS_STORE_MODULES:
            item.add_marker(pytest.mark.ops_store)


def _module_of(item: pytest.Item) -> str:
    return Path(item.path).relative_to(Path(__file__).parent.parent).as_posix()


def _openings_since_last_look() -> list[str]:
    """Trace lines written since the last call (by this process or any it started)."""
    with open(_trace["file"], "rb") as trace:
        trace.seek(_trace["seen"])
        written = trace.read()
    _trace["seen"] += len(written)
    return written.decode("utf-8", "replace").splitlines()


@pytest.fixture(autouse=True)
def _ops_store_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that opens the operational store if its module is in NO_OPS_STORE_MODULES
    (openings by higher-scoped fixtures set up for it count as its own)."""
    yield
    opened = _openings_since_last_look()
    if not opened:
        return
    report = os.environ.get(OPS_TRACE_REPORT_ENV)
    if report:
        with open(report, "a", encoding="utf-8") as out:
            out.write(f"{request.node.nodeid}\t{len(opened)}\n")
        return
    if request.node.get_closest_marker("ops_store") is None:
        pytest.fail(f"this test opened the operational store ({opened[0]}) but its module "
                    f"{_module_of(request.node)} is in NO_OPS_STORE_MODULES in tests/conftest.py"
                    f": take it off that list so that it also runs against PostgreSQL",
                    pytrace=False)
