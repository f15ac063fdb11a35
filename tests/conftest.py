"""Shared fixtures. Every test gets its own real DuckDB file; the demo warehouse is built once per
session (it takes about half a minute) and opened read-only by the tests that need it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
