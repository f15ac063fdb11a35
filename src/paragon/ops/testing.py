"""Tests of the operational store against a real PostgreSQL server.

Set ``PARAGON_TEST_POSTGRES_URL`` to a server where the user may create databases
(``scripts/dev.py test`` starts a throwaway one). Then:

- the explicit PostgreSQL tests (tests/test_ops_store.py, tests/test_web_security.py) get a new,
  empty database each (:func:`fresh_database`), dropped afterwards;
- every default store, the one "beside the warehouse" (:func:`paragon.ops.store.default_url`),
  is a database of its own on that server instead of a SQLite file: one database per warehouse
  path (:func:`store_for`), created on first use, so each warehouse keeps its own store exactly
  as with the SQLite files, across processes (``paragon`` commands, ``serve`` workers).

``PARAGON_TEST_OPS_TRACE`` names a file to which every opening of a store appends one line
(process id and URL without password): the test suite's guard reads it to know which tests open
the operational store (tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlparse

POSTGRES_ENV = "PARAGON_TEST_POSTGRES_URL"
TRACE_ENV = "PARAGON_TEST_OPS_TRACE"
_created: set[str] = set()
_created_lock = threading.Lock()


def postgres_server() -> str | None:
    """The test server's URL, or None when the tests run on SQLite only."""
    return os.environ.get(POSTGRES_ENV) or None


def database_url(server: str, name: str) -> str:
    """``server``'s URL naming the database ``name`` instead."""
    parsed = urlparse(server)
    return parsed._replace(path=f"/{name}").geturl()


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """A new, empty database on ``server`` for the duration; yields its URL."""
    import psycopg

    name = f"paragon_test_{secrets.token_hex(6)}"
    with psycopg.connect(server, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def store_name(db: Path) -> str:
    """The database of the default store of the warehouse at ``db`` (from its absolute path)."""
    digest = hashlib.sha256(str(Path(db).absolute()).encode()).hexdigest()[:24]
    return f"paragon_store_{digest}"


def store_for(server: str, db: Path) -> str:
    """The URL of the default store of the warehouse ``db`` on ``server``; the database is
    created on first use (by whichever process gets there first)."""
    import psycopg
    from psycopg import errors

    name = store_name(db)
    with _created_lock:
        if name not in _created:
            with (psycopg.connect(server, autocommit=True) as con,
                  suppress(errors.DuplicateDatabase, errors.UniqueViolation)):
                con.execute(f'CREATE DATABASE "{name}"')  # unless another process made it
            _created.add(name)
    return database_url(server, name)


def drop_store(server: str, db: Path) -> None:
    """Remove the default store of the warehouse ``db`` (as deleting its SQLite file does)."""
    import psycopg

    name = store_name(db)
    with _created_lock:
        with psycopg.connect(server, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _created.discard(name)


def note_open(where: str) -> None:
    """Append a line to the trace file of ``PARAGON_TEST_OPS_TRACE``, if set."""
    trace = os.environ.get(TRACE_ENV)
    if trace:
        with suppress(OSError), open(trace, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {where}\n")  # (gone when the test run has ended)
