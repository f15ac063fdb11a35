"""What every request shares: the settings, the warehouse, the active plan and a figures cache.

The web reads a published, immutable version of the warehouse (:mod:`paragon.publish`): it looks
at the pointer at most every ``CHECK_SECONDS`` and moves to a newer version between queries, so
ingests and other writers never wait for it and it never restarts. A version it moved away from is
closed ``RETIRE_SECONDS`` later, when no request can still be using it.

Nothing a request needs lives only in this process, so the server can run as many worker
processes: figures are cached per process under the data version — the published version and a
counter in the operational store that every web write bumps — and a figure is computed once even
when fifty requests ask for it at the same moment.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from paragon import publish
from paragon.ops import OpsStore
from paragon.plan import Plan, load_plan, parse_plan
from paragon.settings import Settings
from paragon.warehouse import Warehouse

T = TypeVar("T")
log = logging.getLogger("paragon.web")
CACHE_ENTRIES = 2_000
VERSION_SECONDS = 2.0  # how often a warehouse given by the caller (tests) is asked for its ingests
CHECK_SECONDS = 1.0  # how often the published-version pointer is looked at
RETIRE_SECONDS = 120.0  # how long a replaced version stays open for requests still reading it
WRITE_WAIT_SECONDS = 20.0  # how long a web write waits for another writer (an ingest)
GENERATION_KEY = "web_data_generation"


class FiguresCache:
    """A bounded, thread-safe memo with one computation per key at a time."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self.computed = 0  # figures computed here (not found in the cache): tests read it

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
                self.computed += 1
                self._values[key] = value
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
                self._key_locks.pop(key, None)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        """Store a figure computed elsewhere (the figures stored with a published version)."""
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)

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
        self._open_lock = threading.RLock()  # re-entered when loading stored figures
        self._checked_at = 0.0
        self._stamp: tuple[int, int] | None = None
        self._retired: list[tuple[float, Warehouse]] = []
        self.cache = FiguresCache()
        self._plan: tuple[Hashable, Plan] | None = None
        self._plan_version: tuple[int, int | None] | None = None
        self._ingest_checked: tuple[float, int] | None = None
        self._ops: OpsStore | None = None
        self._ops_lock = threading.Lock()
        self._figures_seen: tuple[str, int, int] | None = None

    # --- the warehouse ---------------------------------------------------------------------
    @property
    def warehouse(self) -> Warehouse:
        """The newest published version (re-checked at most every CHECK_SECONDS)."""
        if not self._owns_warehouse:
            assert self._warehouse is not None
            return self._warehouse
        if self._warehouse is None or time.monotonic() - self._checked_at > CHECK_SECONDS:
            self.refresh()
        assert self._warehouse is not None
        return self._warehouse

    def refresh(self, *, force: bool = False) -> None:
        """Move to the newest published version if the pointer changed."""
        with self._open_lock:
            if not force and self._warehouse is not None \
                    and time.monotonic() - self._checked_at <= CHECK_SECONDS:
                return
            db = Path(self.settings.db)
            stamp = publish.pointer_stamp(db)
            if self._warehouse is None or stamp != self._stamp:
                if self._warehouse is not None and not force and self._next_is_warming(db):
                    # its figures are being computed: answer from this version until they are
                    self._checked_at = time.monotonic()
                    return
                if stamp is None and not db.exists():
                    Warehouse.open(db).close()  # a new, empty warehouse, published
                fresh = Warehouse.open(db, read_only=True)
                old, self._warehouse = self._warehouse, fresh
                self._stamp = publish.pointer_stamp(db)
                if old is not None:
                    self._retired.append((time.monotonic(), old))
                    self.cache.clear()  # its keys name the old version: never asked for again
            self._checked_at = time.monotonic()
            self._preload()
            self._close_retired(older_than=RETIRE_SECONDS)

    def _next_is_warming(self, db: Path) -> bool:
        from paragon.web import figures

        pointer = publish.read_pointer(db)
        return pointer is not None and figures.is_warming(db, pointer.version)

    def _preload(self) -> None:
        """Load the figures stored with the version being read (computed when it was
        published), so the first visitor of each main page computes nothing; again when more
        are stored."""
        from paragon.web import figures

        if self._warehouse is None or self._warehouse.version is None:
            return
        path = figures.figures_file(self.settings.db, self._warehouse.version)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return
        seen = (str(path), st.st_ino, st.st_mtime_ns)
        if seen == self._figures_seen:
            return
        self._figures_seen = seen
        try:
            loaded = figures.preload(self)
        except Exception:  # stored figures are an optimisation: the pages compute without them
            log.exception("could not load the stored figures")
            return
        if loaded:
            log.info("loaded %s figures stored with version %s", loaded, self.published_version)

    def _close_retired(self, older_than: float) -> None:
        now = time.monotonic()
        keep: list[tuple[float, Warehouse]] = []
        for since, wh in self._retired:
            if now - since >= older_than:
                wh.close()
            else:
                keep.append((since, wh))
        self._retired = keep

    @property
    def published_version(self) -> int | None:
        """The published version being read (None for a warehouse given by the caller)."""
        return self.warehouse.version

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction on the warehouse (an admin's plan upload): it waits up to
        WRITE_WAIT_SECONDS for another writer, publishes a new version when it commits, and
        this process reads that version at once."""
        if not self._owns_warehouse:
            assert self._warehouse is not None
            with self._warehouse.transaction() as con:
                yield con
            return
        from paragon.web.errors import ServiceBusyError

        try:
            wh = Warehouse.open(Path(self.settings.db), wait=WRITE_WAIT_SECONDS)
        except publish.WarehouseBusyError as exc:
            raise ServiceBusyError("The data is being updated (an ingest is running). Please "
                                   "try again in a few minutes.") from exc
        try:
            with wh.transaction() as con:
                yield con
        finally:
            wh.close()
        self.refresh(force=True)

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
        if self._owns_warehouse:
            with self._open_lock:
                self._close_retired(older_than=0.0)
                if self._warehouse is not None:
                    self._warehouse.close()
                    self._warehouse = None

    def changed(self) -> None:
        """Call after the web writes data that figures read (priorities, plan): bumps the counter
        in the operational store, so every worker process sees the new data version at once."""
        with self.ops.transaction() as cur:
            cur.execute("INSERT INTO ops_meta (key, value) VALUES (?, '1') ON CONFLICT (key) "
                        "DO UPDATE SET value = CAST(CAST(ops_meta.value AS INTEGER) + 1 AS TEXT)",
                        [GENERATION_KEY])
        self._ingest_checked = None

    def generation(self) -> int:
        """The web write counter, shared by every worker through the operational store."""
        value = self.ops.scalar("SELECT value FROM ops_meta WHERE key = ?", [GENERATION_KEY])
        return int(value) if value is not None else 0

    def data_version(self) -> tuple[int, int]:
        """(published version, web write counter). For a warehouse given by the caller, the
        newest ingest (re-read at most every VERSION_SECONDS) stands for the version."""
        if self._owns_warehouse:
            version = self.warehouse.version
            return int(version or 0), self.generation()
        now = time.monotonic()
        if self._ingest_checked is None or now - self._ingest_checked[0] > VERSION_SECONDS:
            newest = self.warehouse.scalar("SELECT coalesce(max(ingest_id), 0) FROM ingests")
            self._ingest_checked = (now, int(newest))
        return self._ingest_checked[1], self.generation()

    def cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        return self.cache.get((self.data_version(), *key), compute)

    # --- the plan ----------------------------------------------------------------------------
    def plan(self) -> Plan:
        """The active plan: the newest uploaded one if any, else the configured or default plan.
        A published version is immutable: its plan is looked up once per version."""
        wh = self.warehouse
        version = wh.version
        cached = self._plan
        if version is not None and cached is not None and self._plan_version == (id(wh), version):
            return cached[1]
        row = wh.query(
            "SELECT version_id, source_name, yaml_text FROM plan_versions WHERE active "
            "ORDER BY version_id DESC LIMIT 1"
        )
        key: Hashable = ("uploaded", row[0]["version_id"]) if row else ("file", self.settings.plan)
        if self._plan is None or self._plan[0] != key:
            plan = (parse_plan(row[0]["yaml_text"], row[0]["source_name"]) if row
                    else load_plan(self.settings.plan))
            self._plan = (key, plan)
        self._plan_version = (id(wh), version)
        return self._plan[1]

    # --- demo ---------------------------------------------------------------------------------
    @property
    def is_demo(self) -> bool:
        """True when the warehouse holds synthetic demo data (the banner says so)."""
        if self._demo is None:
            from paragon.web.data.adapters import warehouse_is_demo

            self._demo = warehouse_is_demo(self.warehouse)
        return self._demo
