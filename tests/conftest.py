"""Shared fixtures. Every test gets its own real DuckDB file; the demo warehouse is built once per
session (it takes about half a minute) and opened read-only by the tests that need it."""

from __future__ import annotations

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
