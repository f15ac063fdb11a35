"""The web on published versions: HTTP caching by data version (ETag, Cache-Control, 304), moving
to a newly published version without a restart, and two apps on one warehouse (two worker
processes) agreeing on the data version."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paragon.settings import Settings
from paragon.warehouse import Warehouse
from paragon.web.app import create_app
from paragon.web.fixtures import csrf_from, sample_with_users, sign_in

SECRET = "publish-web-test-secret-0123456789"
PASSWORD = "publish web password"


@pytest.fixture
def db(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return sample_with_users(tmp_path_factory.getbasetemp(), tmp_path / "pub.duckdb",
                             {"adm": "admin"}, PASSWORD)


def _client(db: Path) -> TestClient:
    return TestClient(create_app(Settings(db=db, secret_key=SECRET)))


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with _client(db) as c:
        yield c


def _add_month(db: Path) -> None:
    """Another process's ingest, as far as the web can tell: a writer that publishes on close."""
    with Warehouse.open(db) as wh, wh.transaction() as con:
        con.execute("INSERT INTO crimes (crime_key, source, force, month, lsoa_code, ingest_id) "
                    "SELECT crime_key || '-next', source, force, DATE '2012-01-01', lsoa_code, "
                    "ingest_id FROM crimes WHERE month = (SELECT max(month) FROM crimes)")


def test_public_pages_are_tagged_and_revalidated(client: TestClient) -> None:
    first = client.get("/")
    tag = first.headers["etag"]
    assert first.status_code == 200 and tag.startswith('W/"')
    assert first.headers["cache-control"] == "public, no-cache"
    again = client.get("/", headers={"if-none-match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    as_json = client.get("/?format=json", headers={"if-none-match": tag})
    assert as_json.status_code == 200 and as_json.headers["etag"] != tag
    assert client.get("/static/favicon.svg").headers["cache-control"] == "public, max-age=86400"


def test_only_public_pages_answered_anonymously_are_tagged(client: TestClient) -> None:
    tag = client.get("/").headers["etag"]
    dashboard = client.get("/dashboard?format=json", headers={"if-none-match": tag})
    assert dashboard.status_code == 401 and "etag" not in dashboard.headers
    assert client.get("/nowhere").headers.get("etag") is None
    sign_in(client, "adm", PASSWORD)
    signed_in = client.get("/", headers={"if-none-match": tag})
    assert signed_in.status_code == 200 and "etag" not in signed_in.headers
    assert signed_in.headers["cache-control"] == "no-store"


def test_the_site_moves_to_a_new_version_without_a_restart(db: Path,
                                                           client: TestClient) -> None:
    before = client.get("/?format=json")
    assert before.json()["window"]["last_month"] != "2012-01"
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    version = ctx.warehouse.version
    held = ctx.warehouse
    _add_month(db)
    ctx.refresh(force=True)
    assert ctx.warehouse.version == version + 1
    assert held.scalar("SELECT max(month) FROM crimes") < date(2012, 1, 1)  # still readable
    after = client.get("/?format=json", headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert after.json()["window"]["last_month"] == "2012-01"


def test_two_workers_agree_on_the_data_version(db: Path) -> None:
    with _client(db) as one, _client(db) as two:
        ctx_one = one.app.state.ctx  # type: ignore[attr-defined]
        ctx_two = two.app.state.ctx  # type: ignore[attr-defined]
        assert ctx_one.data_version() == ctx_two.data_version()
        tag = two.get("/").headers["etag"]
        sign_in(one, "adm", PASSWORD)
        token = csrf_from(one.get("/admin/priorities").text)
        done = one.post("/admin/priorities", data={"area": "lpu:walsall", "issue": "Noise",
                                                   "action": "Patrols", "csrf_token": token},
                        follow_redirects=False)
        assert done.status_code == 303
        assert ctx_one.data_version() == ctx_two.data_version()
        assert two.get("/", headers={"if-none-match": tag}).status_code == 200
        # a plan upload is a write: it publishes, and the other worker reads the new version
        revert = one.post("/admin/plan/revert", data={"csrf_token": token},
                          follow_redirects=False)
        assert revert.status_code == 303
        ctx_two.refresh(force=True)
        assert ctx_two.warehouse.version == ctx_one.warehouse.version
        assert ctx_one.data_version() == ctx_two.data_version()


def _page_memo(client: TestClient) -> Any:
    from paragon.web.http_cache import HttpCacheMiddleware

    layer: Any = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, HttpCacheMiddleware):
        layer = layer.app
    return layer.pages


def test_a_public_page_asked_again_is_sent_as_it_was_until_the_data_changes(
        db: Path, client: TestClient) -> None:
    first = client.get("/")
    memo = _page_memo(client)
    assert len(memo._pages) == 1
    ((tag, _host, _scheme),) = memo._pages
    assert tag == first.headers["etag"]
    assert memo.hits == 0
    again = client.get("/")
    assert memo.hits == 1  # sent as kept: not computed or rendered again
    assert again.content == first.content and again.headers["etag"] == tag
    assert again.headers["content-type"] == first.headers["content-type"]
    assert client.get("/?format=json").json()["page"] == "overview"  # its own entry
    assert len(memo._pages) == 2
    _add_month(db)
    _ctx = client.app.state.ctx  # type: ignore[attr-defined]
    _ctx.refresh(force=True)
    after = client.get("/?format=json")
    assert after.headers["etag"] != tag and after.json()["window"]["last_month"] == "2012-01"
    sign_in(client, "adm", PASSWORD)
    kept = len(memo._pages)
    signed_in = client.get("/")
    assert "Sign out" in signed_in.text and len(memo._pages) == kept  # never kept for a user


def test_map_layers_are_tagged_by_data_version_and_sent_again_as_kept(
        db: Path, client: TestClient) -> None:
    first = client.get("/map/lpus.geojson")
    assert first.status_code == 200 and first.headers["content-type"] == "application/geo+json"
    tag = first.headers["etag"]
    assert first.headers.get_list("cache-control") == ["public, no-cache"]  # never max-age
    memo = _page_memo(client)
    hits = memo.hits
    again = client.get("/map/lpus.geojson")
    assert memo.hits == hits + 1 and again.content == first.content
    assert client.get("/map/lpus.geojson",
                      headers={"if-none-match": tag}).status_code == 304
    hood = client.get("/map/neighbourhoods.geojson?lpu=coventry")
    assert hood.headers["etag"] != tag and hood.headers["cache-control"] == "public, no-cache"
    _add_month(db)
    client.app.state.ctx.refresh(force=True)  # type: ignore[attr-defined]
    after = client.get("/map/lpus.geojson", headers={"if-none-match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag


def test_a_kept_page_is_compressed_once_and_sent_compressed_again(
        db: Path, client: TestClient) -> None:
    import gzip

    first = client.get("/map/lpus.geojson", headers={"accept-encoding": "gzip"})
    assert first.headers["content-encoding"] == "gzip"  # compressed by the compression layer
    memo = _page_memo(client)
    (key,) = [k for k in memo._pages if k[0] == first.headers["etag"]]
    assert key not in memo._gzipped
    raw = client.get("/map/lpus.geojson", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers and key not in memo._gzipped
    again = client.get("/map/lpus.geojson", headers={"accept-encoding": "gzip, br"})
    assert key in memo._gzipped  # made from the kept page, and kept beside it
    packed = memo._gzipped[key][1]
    assert gzip.decompress(packed) == raw.content == again.content == first.content
    assert again.headers["content-encoding"] == "gzip"
    assert again.headers["content-length"] == str(len(packed))
    assert again.headers["vary"] == "Accept, Accept-Encoding"
    assert again.headers["etag"] == first.headers["etag"]
    assert client.get("/map/lpus.geojson", headers={"accept-encoding": "gzip"}).content \
        == raw.content
    small = client.get("/health")  # too small to compress: never a gzip copy
    assert "content-encoding" not in small.headers
