"""Tests of the operational store against a real PostgreSQL server.

Set ``PARAGON_TEST_POSTGRES_URL`` to a server where the user may create databases
(``scripts/dev.py test`` starts a throwaway one); each test then gets a new, empty database of
its own, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

POSTGRES_ENV = "PARAGON_TEST_POSTGRES_URL"


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
