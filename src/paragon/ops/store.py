"""The operational store: users, sessions, the audit log, login attempts, local priorities,
consultation entries and jobs — data that many requests write while the site runs.

The DuckDB warehouse allows one writing process and holds analytics only; this store allows many
writers. The embedded default is SQLite in WAL mode (readers never wait for the writer; writers
wait up to ``BUSY_TIMEOUT_MS`` for each other) in a file next to the warehouse. Each thread gets
its own connection. Every statement uses ``?`` placeholders and portable SQL.

Values cross the interface as Python values: times as naive UTC ``datetime``, dates as ``date``,
flags as ``bool`` (:data:`TIME_COLUMNS`, :data:`DATE_COLUMNS`, :data:`FLAG_COLUMNS`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from paragon.errors import ParagonError

BUSY_TIMEOUT_MS = 10_000
TIME_COLUMNS = frozenset({"created_at", "updated_at", "last_seen", "logged_at", "attempted_at",
                          "received_at", "started_at", "finished_at"})
DATE_COLUMNS = frozenset({"opened_on", "closed_on"})
FLAG_COLUMNS = frozenset({"active", "success"})
MIGRATED_KEY = "copied_from_warehouse"
WAREHOUSE_TABLES = ("users", "sessions", "audit_log", "priorities")


def default_url(db: Path) -> str:
    """The embedded default: ``<warehouse name>.ops.sqlite`` beside the warehouse file."""
    return f"sqlite:///{Path(db).with_suffix('.ops.sqlite')}"


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` URL."""
    parsed = urlparse(url)
    if parsed.scheme != "sqlite" or parsed.netloc:
        raise ParagonError(f"not a SQLite URL (sqlite:///path/to/file): {url[:80]}")
    path = unquote(parsed.path)[1:]  # sqlite:///relative/file or sqlite:////absolute/file
    if not path:
        raise ParagonError(f"the SQLite URL names no file: {url[:80]}")
    return Path(path)


def _to_db(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _from_db(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in TIME_COLUMNS and isinstance(value, str):
        return datetime.fromisoformat(value)
    if name in DATE_COLUMNS and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if name in FLAG_COLUMNS:
        return bool(value)
    return value


class Cursor:
    """What a transaction gives: ``execute`` returning rows as dicts, ``lastrowid``."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con
        self.lastrowid: int | None = None
        self.rowcount = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self._con.execute(sql, [_to_db(p) for p in params])
        self.lastrowid = cur.lastrowid
        self.rowcount = cur.rowcount
        return _rows(cur)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._con.execute(sql, [_to_db(p) for p in params]).fetchall()
        return rows[0][0] if rows else None


def _rows(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    if cur.description is None:
        return []
    names = [d[0] for d in cur.description]
    return [{n: _from_db(n, v) for n, v in zip(names, row, strict=True)}
            for row in cur.fetchall()]


class OpsStore:
    """The operational store at ``url``. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.created = not self.path.exists()

    @classmethod
    def open(cls, url: str) -> OpsStore:
        """Open (creating if needed) the store at ``url``: ``sqlite:///path``."""
        scheme = urlparse(url).scheme
        if scheme in ("postgresql", "postgres"):
            raise ParagonError(
                "PARAGON_OPS_URL: PostgreSQL is not available in this version; use "
                "sqlite:///path (the default is a file beside the warehouse)")
        store = cls(url)
        store.path.parent.mkdir(parents=True, exist_ok=True)
        sql = resources.files("paragon.ops").joinpath("schema_sqlite.sql").read_text("utf-8")
        try:
            store._connection().executescript(sql)
        except sqlite3.Error as exc:
            raise ParagonError(f"cannot open the operational store {store.path}: {exc}") from exc
        return store

    def _connection(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                  isolation_level=None, check_same_thread=False)
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = NORMAL")
            self._local.con = con
            with self._lock:
                self._all.append(con)
        return con

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """A write transaction (``BEGIN IMMEDIATE``: the write lock is taken at once, so a
        read-then-write inside it cannot race another writer)."""
        con = self._connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield Cursor(con)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return _rows(self._connection().execute(sql, [_to_db(p) for p in params]))

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._connection().execute(sql, [_to_db(p) for p in params]).fetchall()
        return rows[0][0] if rows else None

    def close(self) -> None:
        with self._lock:
            for con in self._all:
                con.close()
            self._all.clear()
        self._local = threading.local()

    def __enter__(self) -> OpsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the one-time copy from an older warehouse ----------------------------------------------
    def needs_copy(self) -> bool:
        return self.scalar("SELECT value FROM ops_meta WHERE key = ?", [MIGRATED_KEY]) is None

    def copy_from_warehouse(self, con: Any) -> dict[str, int]:
        """Copy users, sessions, the audit log and local priorities from a warehouse that still
        holds them (Paragon before the operational store) — once: the store remembers it."""
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        copied: dict[str, int] = {}
        with self.transaction() as cur:
            if cur.scalar("SELECT value FROM ops_meta WHERE key = ?", [MIGRATED_KEY]) is not None:
                return copied
            for table in WAREHOUSE_TABLES:
                if table not in present:
                    continue
                result = con.execute(f"SELECT * FROM {table}")
                names = [d[0] for d in result.description]
                rows = result.fetchall()
                marks = ", ".join("?" for _ in names)
                for row in rows:
                    cur.execute(f"INSERT OR IGNORE INTO {table} ({', '.join(names)}) "
                                f"VALUES ({marks})", list(row))
                copied[table] = len(rows)
            cur.execute("INSERT INTO ops_meta VALUES (?, ?)",
                        [MIGRATED_KEY, datetime.now().isoformat(sep=" ")])
        return copied

    def mark_copied(self) -> None:
        """Nothing to copy (no older warehouse): never look again."""
        with self.transaction() as cur:
            cur.execute("INSERT OR IGNORE INTO ops_meta VALUES (?, ?)",
                        [MIGRATED_KEY, "nothing to copy"])


def open_for_warehouse(url: str, warehouse_path: Path | None,
                       warehouse_con: Any | None = None) -> OpsStore:
    """The store at ``url``; on its first opening, copies the operational tables of the warehouse
    at ``warehouse_path`` (through ``warehouse_con`` if the caller has it open, else read-only)."""
    store = OpsStore.open(url)
    if not store.needs_copy():
        return store
    if warehouse_con is not None:
        store.copy_from_warehouse(warehouse_con)
        return store
    if warehouse_path is None or not Path(warehouse_path).exists():
        store.mark_copied()
        return store
    import duckdb

    try:
        con = duckdb.connect(str(warehouse_path), read_only=True)
    except duckdb.Error as exc:
        store.close()
        raise ParagonError(
            f"the operational store {store.path} is new and the warehouse {warehouse_path} "
            f"cannot be read to copy its users and priorities ({exc}); stop the process that "
            f"holds the warehouse once, or start `paragon serve`, which copies them") from exc
    try:
        store.copy_from_warehouse(con)
    finally:
        con.close()
    return store
