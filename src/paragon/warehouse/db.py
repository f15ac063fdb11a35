"""One wrapper around the DuckDB connection.

A single writer (``transaction``) and bounded reads (``query``) for anything a user drives. The
schema is applied when the file is opened, so a new path is a new, empty, valid warehouse.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from paragon.errors import ParagonError

SCHEMA_VERSION = 1


class Warehouse:
    """The DuckDB file behind Paragon. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.con = con
        self.path = path
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path | str | None, *, read_only: bool = False) -> Warehouse:
        """Open (creating if needed) the warehouse at ``path``; ``None`` means in memory."""
        if path is None:
            con = duckdb.connect(":memory:")
            wh = cls(con, None)
        else:
            path = Path(path)
            if read_only and not path.exists():
                raise ParagonError(
                    f"no warehouse at {path}: run `paragon demo` or `paragon ingest`"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                con = duckdb.connect(str(path), read_only=read_only)
            except duckdb.IOException as exc:
                raise ParagonError(f"cannot open warehouse {path}: {exc}") from exc
            wh = cls(con, path)
        wh.con.execute("SET enable_progress_bar = false")
        if not read_only:
            wh.migrate()
        return wh

    def migrate(self) -> None:
        """Create any missing table; record the schema version."""
        sql = resources.files("paragon.warehouse").joinpath("schema.sql").read_text("utf-8")
        with self._lock:
            self.con.execute(sql)
            if not self.con.execute("SELECT count(*) FROM schema_version").fetchall()[0][0]:
                self.con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The single writer: everything inside commits together or not at all."""
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own, for a reader on another thread (the web server)."""
        return self.con.cursor()

    def query(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] | None = None,
        *,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Run a read query and return rows as dicts, at most ``limit`` rows."""
        cur = self.con.cursor()
        try:
            rel = cur.execute(sql, params or [])
            names = [d[0] for d in rel.description or []]
            rows = rel.fetchmany(limit) if limit is not None else rel.fetchall()
        finally:
            cur.close()
        return [dict(zip(names, row, strict=True)) for row in rows]

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        cur = self.con.cursor()
        try:
            rows = cur.execute(sql, params or []).fetchall()
        finally:
            cur.close()
        return rows[0][0] if rows else None

    def table_counts(self) -> dict[str, int]:
        """Rows in each canonical table (for status pages and tests)."""
        names = [
            "crimes",
            "asb_incidents",
            "outcomes",
            "stop_search",
            "survey_responses",
            "calls",
            "geography",
            "ingests",
            "quarantine",
        ]
        return {n: int(self.scalar(f"SELECT count(*) FROM {n}")) for n in names}
