"""What every request shares: the settings, the warehouse, the active plan and a figures cache.

The server is the only writer of its warehouse while it runs (DuckDB allows one writing process), so
figures can be cached: the cache key carries the data version (the newest ingest and a counter the
web bumps after each of its own writes), and a figure is computed once even when fifty requests ask
for it at the same moment.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from paragon.ops import OpsStore
from paragon.plan import Plan, load_plan, parse_plan
from paragon.settings import Settings
from paragon.warehouse import Warehouse

T = TypeVar("T")
CACHE_ENTRIES = 2_000
VERSION_SECONDS = 2.0


class FiguresCache:
    """A bounded, thread-safe memo with one computation per key at a time."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = compute()
            with self._lock:
                self._values[key] = value
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
                self._key_locks.pop(key, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class WebContext:
    """Shared state of one web application (one warehouse, one settings object)."""

    def __init__(self, settings: Settings, *, warehouse: Warehouse | None = None,
                 demo: bool | None = None) -> None:
        self.settings = settings
        self._warehouse = warehouse
        self._owns_warehouse = warehouse is None
        self._demo = demo
        self._open_lock = threading.Lock()
        self._generation = 0
        self.cache = FiguresCache()
        self._plan: tuple[Hashable, Plan] | None = None
        self._ingest_checked: tuple[float, int] | None = None
        self._ops: OpsStore | None = None
        self._ops_lock = threading.Lock()

    # --- the warehouse ---------------------------------------------------------------------
    @property
    def warehouse(self) -> Warehouse:
        if self._warehouse is None:
            with self._open_lock:
                if self._warehouse is None:
                    self._warehouse = Warehouse.open(Path(self.settings.db))
        return self._warehouse

    @property
    def ops(self) -> OpsStore:
        """The operational store (users, sessions, audit, priorities); on its first opening it
        copies those tables from a warehouse that still holds them (docs/architecture.md)."""
        if self._ops is None:
            with self._ops_lock:
                if self._ops is None:
                    store = OpsStore.open(self.settings.ops_location())
                    if store.needs_copy():
                        cur = self.warehouse.cursor()
                        try:
                            store.copy_from_warehouse(cur)
                        finally:
                            cur.close()
                    self._ops = store
        return self._ops

    def close(self) -> None:
        if self._ops is not None:
            self._ops.close()
            self._ops = None
        if self._warehouse is not None and self._owns_warehouse:
            self._warehouse.close()
            self._warehouse = None

    def changed(self) -> None:
        """Call after the web writes data that figures read (priorities, plan)."""
        self._generation += 1
        self._ingest_checked = None

    def data_version(self) -> tuple[int, int]:
        """(newest ingest, web write counter). The ingest is re-read at most every
        VERSION_SECONDS; the web's own writes count at once."""
        now = time.monotonic()
        if self._ingest_checked is None or now - self._ingest_checked[0] > VERSION_SECONDS:
            newest = self.warehouse.scalar("SELECT coalesce(max(ingest_id), 0) FROM ingests")
            self._ingest_checked = (now, int(newest))
        return self._ingest_checked[1], self._generation

    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        return self.cache.get((self.data_version(), *key), compute)

    # --- the plan ----------------------------------------------------------------------------
    def plan(self) -> Plan:
        """The active plan: the newest uploaded one if any, else the configured or default plan."""
        row = self.warehouse.query(
            "SELECT version_id, source_name, yaml_text FROM plan_versions WHERE active "
            "ORDER BY version_id DESC LIMIT 1"
        )
        key: Hashable = ("uploaded", row[0]["version_id"]) if row else ("file", self.settings.plan)
        if self._plan is None or self._plan[0] != key:
            plan = (parse_plan(row[0]["yaml_text"], row[0]["source_name"]) if row
                    else load_plan(self.settings.plan))
            self._plan = (key, plan)
        return self._plan[1]

    # --- demo ---------------------------------------------------------------------------------
    @property
    def is_demo(self) -> bool:
        """True when the warehouse holds synthetic demo data (the banner says so)."""
        if self._demo is None:
            from paragon.web.data.adapters import warehouse_is_demo

            self._demo = warehouse_is_demo(self.warehouse)
        return self._demo
