"""The operational store on both backends: SQLite (a real file) and PostgreSQL (a real server,
when PARAGON_TEST_POSTGRES_URL names one: ``scripts/dev.py test`` starts a throwaway cluster).
Values round-trip as Python types, keys come back from inserts, a failed transaction leaves
nothing, and concurrent read-then-write transactions never lose an update."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from paragon.errors import ParagonError
from paragon.ops import OpsStore, copy_store
from paragon.ops.store import (
    identity_columns,
    postgres_schema,
    postgres_sql,
    redacted,
    schema_sql,
    table_names,
)
from paragon.ops.testing import fresh_database, postgres_server

needs_postgres = pytest.mark.skipif(postgres_server() is None,
                                    reason="no PostgreSQL server (PARAGON_TEST_POSTGRES_URL)")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpsStore]:
    if request.param == "sqlite":
        with OpsStore.open(f"sqlite:///{tmp_path / 'ops.sqlite'}") as ops:
            yield ops
        return
    server = postgres_server()
    assert server is not None
    with fresh_database(server) as url, OpsStore.open(url) as ops:
        assert ops.postgres
        yield ops


@pytest.fixture
def postgres_url() -> Iterator[str]:
    server = postgres_server()
    if server is None:
        pytest.skip("no PostgreSQL server (PARAGON_TEST_POSTGRES_URL)")
    with fresh_database(server) as url:
        yield url


def test_a_nul_character_in_text_is_stored_as_a_replacement_character(store: OpsStore) -> None:
    """PostgreSQL text cannot hold NUL (a hostile sign-in name had it: a 500); both backends
    store U+FFFD in its place, and a look-up with NUL finds what was stored."""
    with store.transaction() as cur:
        cur.execute("INSERT INTO audit_log (logged_at, actor, action, target, detail) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [datetime(2026, 1, 1), "a\x00b", "login failed", "x", "d\x00"])
    row = store.query("SELECT * FROM audit_log WHERE actor = ?", ["a\x00b"])[0]
    assert row["actor"] == "a\ufffdb" and row["detail"] == "d\ufffd"


def test_values_round_trip_as_python_types(store: OpsStore) -> None:
    when = datetime(2026, 3, 4, 5, 6, 7, 891011)
    with store.transaction() as cur:
        cur.execute("INSERT INTO users (user_name, role, password_hash, active, created_at) "
                    "VALUES (?, ?, ?, ?, ?)", ["ana", "analyst", "h", True, when])
        cur.execute("INSERT INTO priorities (area_type, area_id, issue, action, opened_on, "
                    "status) VALUES (?, ?, ?, ?, ?, ?)",
                    ["lpu", "coventry", "100% of 'quoted' text?", "a", date(2026, 1, 31), "open"])
        first = cur.lastrowid
        cur.execute("INSERT INTO priorities (area_type, area_id, issue, action, opened_on, "
                    "status) VALUES (?, ?, ?, ?, ?, ?)",
                    ["lpu", "walsall", "b", "b", date(2026, 2, 1), "open"])
        assert cur.lastrowid == (first or 0) + 1
    user = store.query("SELECT * FROM users WHERE user_name = ?", ["ana"])[0]
    assert user["created_at"] == when and user["active"] is True and user["updated_at"] is None
    row = store.query("SELECT * FROM priorities WHERE priority_id = ?", [first])[0]
    assert row["opened_on"] == date(2026, 1, 31) and row["issue"] == "100% of 'quoted' text?"
    assert store.scalar("SELECT count(*) FROM priorities WHERE issue LIKE ?", ["100%"]) == 1
    assert store.scalar("SELECT count(*) FROM priorities WHERE issue LIKE '%?%'") == 1
    assert store.scalar("SELECT count(*) FROM users WHERE created_at > ?",
                        [datetime(2026, 3, 4, 5, 6, 7)]) == 1
    assert store.scalar("SELECT user_name FROM users WHERE user_name = ?", ["nobody"]) is None


def test_a_failed_transaction_leaves_nothing(store: OpsStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as cur:
        cur.execute("INSERT INTO ops_meta (key, value) VALUES (?, ?)", ["k", "v"])
        raise RuntimeError("stop")
    assert store.scalar("SELECT count(*) FROM ops_meta WHERE key = ?", ["k"]) == 0
    with store.transaction() as cur:
        cur.execute("INSERT INTO ops_meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    ["k", "v"])
        cur.execute("INSERT INTO ops_meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    ["k", "w"])
    assert store.scalar("SELECT value FROM ops_meta WHERE key = ?", ["k"]) == "v"


def test_concurrent_read_then_write_transactions_lose_no_update(store: OpsStore) -> None:
    """What the sign-in limit relies on: a count read inside a transaction is still true when
    the transaction writes (without the write lock, READ COMMITTED PostgreSQL loses updates)."""
    with store.transaction() as cur:
        cur.execute("INSERT INTO ops_meta (key, value) VALUES ('counter', '0')")
    threads, per_thread = 8, 15
    barrier = threading.Barrier(threads)

    def bump() -> None:
        barrier.wait()
        for _ in range(per_thread):
            with store.transaction() as cur:
                value = int(cur.scalar("SELECT value FROM ops_meta WHERE key = 'counter'"))
                cur.execute("UPDATE ops_meta SET value = ? WHERE key = 'counter'",
                            [str(value + 1)])

    workers = [threading.Thread(target=bump) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert store.scalar("SELECT value FROM ops_meta WHERE key = 'counter'") == str(
        threads * per_thread)


def test_every_schema_table_exists(store: OpsStore) -> None:
    for table in table_names(schema_sql()):
        assert store.scalar(f"SELECT count(*) FROM {table}") == 0, table


def test_placeholders_are_translated_outside_quoted_text() -> None:
    assert postgres_sql("SELECT '?', x FROM t WHERE a = ? AND b LIKE '5%' AND c = ?") == (
        "SELECT '?', x FROM t WHERE a = %s AND b LIKE '5%%' AND c = %s")
    assert postgres_sql("SELECT 'it''s ?' WHERE x = ?") == "SELECT 'it''s ?' WHERE x = %s"


def test_the_schema_is_translated_for_postgresql() -> None:
    sql = postgres_schema(schema_sql())
    assert "AUTOINCREMENT" not in sql
    assert "audit_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" in sql
    assert "logged_at TIMESTAMP NOT NULL" in sql and "opened_on   DATE NOT NULL" in sql
    assert "user_name     TEXT PRIMARY KEY" in sql
    assert identity_columns(schema_sql())["login_attempts"] == "attempt_id"


def test_a_bad_url_is_refused_naming_the_store_without_its_password(tmp_path: Path) -> None:
    with pytest.raises(ParagonError, match="neither sqlite"):
        OpsStore.open("mysql://u@h/db")
    url = f"postgresql://paragon:s3cret-pw@/nowhere?host={tmp_path}"
    with pytest.raises(ParagonError, match="cannot connect to the operational store") as caught:
        OpsStore.open(url)
    assert "s3cret-pw" not in caught.value.message and "***" in caught.value.message
    assert redacted("postgresql://u:p@h:5/d") == "postgresql://u:***@h:5/d"


@needs_postgres
def test_sqlite_store_copied_to_postgresql_keeps_rows_and_keys(tmp_path: Path,
                                                               postgres_url: str) -> None:
    with OpsStore.open(f"sqlite:///{tmp_path / 'ops.sqlite'}") as source:
        with source.transaction() as cur:
            for i in range(3):
                cur.execute("INSERT INTO audit_log (logged_at, action, address) VALUES (?, ?, ?)",
                            [datetime(2026, 1, 1, 0, 0, i), "login", "192.0.2.1"])
            cur.execute("DELETE FROM audit_log WHERE audit_id = 2")
            cur.execute("INSERT INTO users (user_name, role, password_hash, active, created_at) "
                        "VALUES (?, ?, ?, ?, ?)", ["adm", "admin", "h", False,
                                                   datetime(2026, 1, 1)])
        with OpsStore.open(postgres_url) as target:
            copied = copy_store(source, target)
            assert copied["audit_log"] == 2 and copied["users"] == 1
            assert [r["audit_id"] for r in target.query(
                "SELECT audit_id FROM audit_log ORDER BY audit_id")] == [1, 3]
            assert target.query("SELECT active FROM users")[0]["active"] is False
            with target.transaction() as cur:
                cur.execute("INSERT INTO audit_log (logged_at, action) VALUES (?, ?)",
                            [datetime(2026, 1, 2), "export"])
                assert cur.lastrowid == 4
            assert copy_store(source, target)["audit_log"] == 2  # again: nothing duplicated
            assert target.scalar("SELECT count(*) FROM audit_log") == 3


@needs_postgres
def test_the_web_app_runs_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    from fastapi.testclient import TestClient

    from paragon.settings import Settings
    from paragon.web.app import create_app
    from paragon.web.auth import add_user
    from paragon.web.fixtures import build_sample_warehouse, sign_in

    db = build_sample_warehouse(tmp_path / "pg.duckdb", months=13, crimes_per_month=50,
                                survey_per_month=10)
    with OpsStore.open(postgres_url) as ops:
        add_user(ops, "adm", "admin", "a long enough password")
    settings = Settings(db=db, secret_key="p" * 32, ops_url=postgres_url)
    with TestClient(create_app(settings)) as client:
        assert sign_in(client, "adm", "a long enough password").status_code == 200
        entries = client.get("/admin/audit?format=json").json()["entries"]
        assert [e["action"] for e in entries] == ["login"]
        priorities = client.get("/admin/priorities?format=json").json()
        assert priorities["ok"] is not False
