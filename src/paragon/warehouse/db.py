"""One wrapper around the DuckDB connection.

A single writer (``transaction``) and bounded reads (``query``) for anything a user drives. The
schema is applied when the file is opened, so a new path is a new, empty, valid warehouse.

Writers and readers never hold the same file (:mod:`paragon.publish`): opened for writing, the
working file is opened once the writer lock is held, and closing publishes it as a new version;
opened ``read_only``, the newest published version is opened instead, so reading never waits for a
writer and never stops one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from paragon import publish
from paragon.errors import ParagonError

SCHEMA_VERSION = 1


class Warehouse:
    """The DuckDB file behind Paragon. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.con = con
        self.path = path
        self._lock = threading.RLock()
        self._writer = False
        self._reader: publish.Reader | None = None
        self._closed = False

    @property
    def version(self) -> int | None:
        """The published version a read-only warehouse reads (None when writing or in memory)."""
        return self._reader.pointer.version if self._reader is not None else None

    @classmethod
    def open(cls, path: Path | str | None, *, read_only: bool = False,
             wait: float = publish.WRITER_WAIT_SECONDS,
             on_wait: Callable[[str], None] | None = None) -> Warehouse:
        """Open (creating if needed) the warehouse at ``path``; ``None`` means in memory.

        For writing, waits up to ``wait`` seconds while another process writes (``on_wait`` is
        told once). ``read_only`` opens the newest published version (:mod:`paragon.publish`).
        """
        if path is None:
            con = duckdb.connect(":memory:")
            wh = cls(con, None)
        elif read_only:
            path = Path(path)
            if not path.exists() and publish.read_pointer(path) is None:
                raise ParagonError(
                    f"no warehouse at {path}: run `paragon demo` or `paragon ingest`"
                )
            reader = publish.acquire_reader(path, wait=wait, on_wait=on_wait)
            try:
                con = duckdb.connect(str(reader.path), read_only=True)
            except duckdb.Error as exc:
                reader.release()
                raise ParagonError(f"cannot open warehouse {reader.path}: {exc}") from exc
            wh = cls(con, path)
            wh._reader = reader
        else:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            publish.acquire_writer(path, wait=wait, on_wait=on_wait)
            try:
                con = duckdb.connect(str(path))
            except duckdb.Error as exc:
                publish.release_writer(path, publish_changes=False)
                raise ParagonError(f"cannot open warehouse {path}: {exc}") from exc
            wh = cls(con, path)
            wh._writer = True
        wh.con.execute("SET enable_progress_bar = false")
        if not read_only:
            try:
                wh.migrate()
            except BaseException:
                wh.close(publish_changes=False)
                raise
        return wh

    def migrate(self) -> None:
        """Create any missing table; record the schema version; fill in what older files lack."""
        sql = resources.files("paragon.warehouse").joinpath("schema.sql").read_text("utf-8")
        with self._lock:
            self.con.execute(sql)
            if not self.con.execute("SELECT count(*) FROM schema_version").fetchall()[0][0]:
                self.con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])
            backfill_points_categories(self.con)

    def close(self, *, publish_changes: bool = True) -> None:
        """Close; a writer then publishes what it changed (unless ``publish_changes`` is False)
        and a reader lets its version go."""
        if self._closed:
            return
        self._closed = True
        if self._writer:
            # everything in the file, nothing left in a .wal (a failed transaction may refuse
            # it: closing then checkpoints what committed)
            with contextlib.suppress(duckdb.Error):
                self.con.execute("CHECKPOINT")
        self.con.close()
        if self._writer and self.path is not None:
            publish.release_writer(self.path, publish_changes=publish_changes)
        if self._reader is not None:
            self._reader.release()

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


POINTS_WITHOUT_CATEGORIES = """
    SELECT ingest_id FROM ingests
    WHERE kind = 'points' AND rows_loaded > 0
      AND ingest_id NOT IN (SELECT ingest_id FROM points_categories)"""


def backfill_points_categories(con: duckdb.DuckDBPyConnection) -> int:
    """Record the crime types of points files loaded before ``points_categories`` existed (or
    that are missing from it), derived from the rows each file loaded, by force and month; returns
    the number of files filled in. A warehouse without such files costs one query on the small
    ``ingests`` table. Rows a file held that were already in the warehouse (a crime with the same
    police.uk id) are not counted as its rows, so a month a file held only such rows stays
    unrecorded, as if the file had not held it."""
    missing = [r[0] for r in con.execute(POINTS_WITHOUT_CATEGORIES).fetchall()]
    if not missing:
        return 0
    con.execute(
        "INSERT INTO points_categories SELECT DISTINCT ingest_id, force, month, category "
        "FROM crimes WHERE ingest_id IN (SELECT unnest(?::BIGINT[])) AND category IS NOT NULL",
        [missing])
    return len(missing)
