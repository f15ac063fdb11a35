"""Warm after publish: while a server serves a warehouse, a publish computes the figures of the
new version in a process of its own and stores them beside it; the server moves to the version
once they are stored and its first request of each main page computes nothing. A figure whose
tables did not change is copied from the previous version's figures, not recomputed."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paragon import publish
from paragon.settings import Settings
from paragon.warehouse import Warehouse
from paragon.web import figures
from paragon.web.app import create_app
from paragon.web.context import WebContext
from paragon.web.fixtures import sample_with_users, sign_in

SECRET = "warm-after-publish-secret-0123456789"
PASSWORD = "warm after publish password"
WAIT_FOR_WARMING_SECONDS = 300  # a bound on a loaded machine, not a measure of speed


@pytest.fixture
def db(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return sample_with_users(tmp_path_factory.getbasetemp(), tmp_path / "warm.duckdb",
                             {"ana": "analyst"}, PASSWORD)


@pytest.fixture
def served(db: Path) -> Iterator[TestClient]:
    """A worker as ``paragon serve`` runs it: warming at start, marking the warehouse served."""
    app = create_app(Settings(db=db, secret_key=SECRET), warm_cache=True)
    with TestClient(app) as client:
        sign_in(client, "ana", PASSWORD)
        yield client


def _add_month(db: Path) -> None:
    """Another process's ingest, as far as the web can tell: a writer that publishes on close."""
    with Warehouse.open(db) as wh, wh.transaction() as con:
        con.execute("INSERT INTO crimes (crime_key, source, force, month, lsoa_code, ingest_id) "
                    "SELECT crime_key || '-next', source, force, DATE '2012-01-01', lsoa_code, "
                    "ingest_id FROM crimes WHERE month = (SELECT max(month) FROM crimes)")


def _wait_for_figures(db: Path, version: int) -> figures.Stored:
    """Until the warming process of ``version`` has stored both rounds and ended."""
    deadline = time.monotonic() + WAIT_FOR_WARMING_SECONDS
    while figures.warming_file(db, version).exists() or not figures.figures_file(
            db, version).exists():
        assert time.monotonic() < deadline, figures.figures_file(db, version).with_suffix(
            ".figures.log").read_text("utf-8")
        time.sleep(0.2)
    stored = figures.read(db, version)
    assert stored is not None
    return stored


def _ctx(client: TestClient) -> WebContext:
    ctx: WebContext = client.app.state.ctx  # type: ignore[attr-defined]
    return ctx


def test_after_a_publish_the_first_request_of_each_main_page_computes_nothing(
        db: Path, served: TestClient) -> None:
    ctx = _ctx(served)
    old = ctx.published_version
    assert old is not None
    assert figures.is_served(db)
    _add_month(db)
    new = old + 1
    assert publish.read_pointer(db).version == new  # type: ignore[union-attr]
    stored = _wait_for_figures(db, new)
    assert stored.computed > 0 and stored.context == figures.context_key(ctx)
    ctx.refresh(force=True)
    assert ctx.published_version == new
    computed = ctx.cache.computed
    public, measures = figures.main_pages(ctx)
    for path in [*public, *measures]:
        response = served.get(path)
        assert response.status_code == 200, path
        assert ctx.cache.computed == computed, f"{path} computed a figure after the publish"
    assert served.get("/?format=json").json()["window"]["last_month"] == "2012-01"
    # the same figures are not loaded by other code: an upgrade recomputes them
    ctx.cache.clear()
    assert figures.preload(ctx) == len(stored.entries)
    ctx.cache.clear()
    other = figures.code_fingerprint(Path(figures.__file__).parent)  # the web package alone
    original = figures.package_fingerprint
    figures.package_fingerprint = lambda: other  # type: ignore[assignment]
    try:
        assert figures.context_key(ctx) != stored.context and figures.preload(ctx) == 0
    finally:
        figures.package_fingerprint = original


def test_the_code_fingerprint_changes_with_any_source_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "sub" / "b.py").write_text("y = 2\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not code", encoding="utf-8")
    first = figures.code_fingerprint(tmp_path)
    (tmp_path / "notes.txt").write_text("still not code", encoding="utf-8")
    assert figures.code_fingerprint(tmp_path) == first
    (tmp_path / "sub" / "b.py").write_text("y = 3\n", encoding="utf-8")
    assert figures.code_fingerprint(tmp_path) != first
    (tmp_path / "sub" / "b.py").write_text("y = 2\n", encoding="utf-8")
    assert figures.code_fingerprint(tmp_path) == first
    (tmp_path / "sub" / "b.py").rename(tmp_path / "sub" / "c.py")
    assert figures.code_fingerprint(tmp_path) != first


def test_a_worker_keeps_its_version_while_the_next_one_warms(db: Path, served: TestClient,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    ctx = _ctx(served)
    old = ctx.published_version
    assert old is not None
    monkeypatch.setenv(figures.OFF_ENV, "0")  # this test is the warming process
    figures.warming_file(db, old + 1).write_text(f"{os.getpid()}\n", "utf-8")
    _add_month(db)
    ctx.refresh()
    time.sleep(1.1)  # past the web's pointer check interval
    ctx.refresh()
    assert ctx.published_version == old
    assert served.get("/?format=json").json()["window"]["last_month"] != "2012-01"
    figures.warming_file(db, old + 1).unlink()
    time.sleep(1.1)
    ctx.refresh()
    assert ctx.published_version == old + 1


def test_figures_whose_tables_did_not_change_are_copied(db: Path) -> None:
    settings = Settings(db=db, secret_key=SECRET)
    Warehouse.open(db, read_only=True).close()  # published
    first = figures.warm(settings)
    assert first.copied == 0 and first.computed > 0
    # a change to the anti-social behaviour incidents only (one more incident, new ingest)
    with Warehouse.open(db) as wh, wh.transaction() as con:
        con.execute("INSERT INTO asb_incidents SELECT * REPLACE (asb_key || '-next' AS asb_key, "
                    "ingest_id + 1 AS ingest_id) FROM asb_incidents LIMIT 1")
    second = figures.warm(settings)
    assert second.version == first.version + 1
    old = {e.key: e for e in first.entries}

    def reads_asb(entry: figures.Entry) -> bool:
        return bool({"asb_incidents", figures.ALL_TABLES} & entry.tables)

    assert second.copied > 0 and second.computed > 0
    for entry in second.entries:
        if entry.key in old:
            assert (entry.content != old[entry.key].content) == reads_asb(entry), entry.key
    assert second.computed == sum(1 for e in second.entries if reads_asb(e)
                                  or e.key not in old)
