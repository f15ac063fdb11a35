"""`paragon fetch` against a real HTTP server on 127.0.0.1 that serves monthly archives built from
the real files and honours Range requests, and can drop a connection half way through a body."""

from __future__ import annotations

import json
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paragon.cli import app
from paragon.ingest.policeuk.fetch import plan_archives
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "policeuk"


@dataclass
class Site:
    """What the server serves and what it saw."""

    files: dict[str, bytes] = field(default_factory=dict)
    drop_next: int = 0  # drop this many GETs half way through their body
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""


class Handler(BaseHTTPRequestHandler):
    site: Site

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site = self.site
        site.requests.append((self.path, self.headers.get("Range")))
        data = site.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        start = int(re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "bytes=0-")[1])
        if start >= len(data):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.end_headers()
            return
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if site.drop_next:
            site.drop_next -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    handler = type("SiteHandler", (Handler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.url = f"http://127.0.0.1:{server.server_address[1]}/data/archive/"
    yield site
    server.shutdown()
    server.server_close()


def archive(members: dict[str, Path]) -> bytes:
    """A monthly archive as data.police.uk serves it: a folder per month, a file per force."""
    from io import BytesIO

    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in members.items():
            info = zipfile.ZipInfo(name, date_time=(2021, 2, 1, 0, 0, 0))
            zf.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def london_archive() -> bytes:
    return archive({
        "2021-01/2021-01-city-of-london-street.csv":
            DATA / "street" / "2021-01-city-of-london-street.csv",
        "2021-01/2021-01-cambridgeshire-street.csv":
            DATA / "street" / "2021-01-cambridgeshire-street.csv",
        "2020-01/2020-01-city-of-london-stop-and-search.csv":
            DATA / "stop-and-search" / "2020-01-city-of-london-stop-and-search.csv",
        "2019-12/2019-12-city-of-london-stop-and-search.csv":
            DATA / "stop-and-search" / "2019-12-city-of-london-stop-and-search.csv",
    })


def fetch(site: Site, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["fetch", *args, "--db", str(tmp_path / "w.duckdb"), "--cache-dir",
              str(tmp_path / "cache"), "--format", "json"],
        env={"PARAGON_POLICEUK_BASE_URL": site.url})
    return result.exit_code, result.stdout, result.stderr


def test_fetch_downloads_and_ingests_only_the_force(site: Site, tmp_path: Path) -> None:
    site.files["/data/archive/2021-01.zip"] = london_archive()
    code, out, _ = fetch(site, tmp_path, "--force", "city-of-london", "--from", "2020-01",
                         "--to", "2021-01")
    assert code == 0, out
    files = json.loads(out)["files"]
    assert [Path(f["path"].split("!")[1]).name for f in files] == [
        "2020-01-city-of-london-stop-and-search.csv", "2021-01-city-of-london-street.csv"]
    assert [f["rows_loaded"] for f in files] == [351, 247]
    assert (tmp_path / "cache" / "2021-01.zip").read_bytes() == london_archive()
    with Warehouse.open(tmp_path / "w.duckdb", read_only=True) as wh:
        assert wh.scalar("SELECT count(DISTINCT force) FROM crimes") == 1
    code, out, _ = fetch(site, tmp_path, "--force", "city-of-london", "--from", "2020-01",
                         "--to", "2021-01")
    assert code == 0 and all(f["rows_loaded"] == 0 for f in json.loads(out)["files"])
    assert len(site.requests) == 1  # the verified archive is not downloaded again


def test_an_interrupted_download_resumes_with_a_range_request(site: Site, tmp_path: Path) -> None:
    data = london_archive()
    site.files["/data/archive/2021-01.zip"] = data
    site.drop_next = 1
    code, out, err = fetch(site, tmp_path, "--force", "city-of-london", "--from", "2021-01",
                           "--to", "2021-01")
    assert code == 0, out + err
    assert site.requests[0] == ("/data/archive/2021-01.zip", None)
    resumed = site.requests[1][1]
    assert resumed is not None and resumed.startswith("bytes=")
    start = int(resumed[len("bytes="):-1])
    assert 0 < start < len(data)
    assert json.loads(out)["archives"][0]["resumed_from"] == start
    assert (tmp_path / "cache" / "2021-01.zip").read_bytes() == data


def test_a_partial_file_from_an_earlier_run_is_resumed(site: Site, tmp_path: Path) -> None:
    data = london_archive()
    site.files["/data/archive/2021-01.zip"] = data
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "2021-01.zip.part").write_bytes(data[:1000])
    code, out, _ = fetch(site, tmp_path, "--force", "city-of-london", "--from", "2021-01",
                         "--to", "2021-01")
    assert code == 0, out
    assert site.requests == [("/data/archive/2021-01.zip", "bytes=1000-")]
    assert json.loads(out)["files"][0]["rows_loaded"] == 247


def test_a_corrupt_download_is_refused_and_deleted(site: Site, tmp_path: Path) -> None:
    data = bytearray(london_archive())
    data[200:4000] = bytes(3800)  # inside the first member's compressed bytes
    site.files["/data/archive/2021-01.zip"] = bytes(data)
    code, _, err = fetch(site, tmp_path, "--force", "city-of-london", "--from", "2021-01",
                         "--to", "2021-01")
    assert code == 1
    assert "corrupt download" in err and "2021-01.zip" in err
    assert not list((tmp_path / "cache").iterdir())
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        assert wh.scalar("SELECT count(*) FROM ingests") == 0


def test_missing_archive_and_bad_arguments(site: Site, tmp_path: Path) -> None:
    code, _, err = fetch(site, tmp_path, "--force", "city-of-london", "--from", "2021-01",
                         "--to", "2021-01")
    assert code == 1 and "no such archive" in err and "404" in err
    assert fetch(site, tmp_path, "--force", "atlantis", "--from", "2021-01", "--to", "2021-01")[0] == 2
    assert fetch(site, tmp_path, "--force", "durham", "--from", "2021-13", "--to", "2021-01")[0] == 2
    code, _, err = fetch(site, tmp_path, "--force", "durham", "--from", "2021-02", "--to", "2021-01")
    assert code == 1 and "after" in err


def test_archives_cover_the_range_with_the_fewest_downloads(tmp_path: Path) -> None:
    plan = plan_archives("2015-06", "2021-01", "https://x/archive/", tmp_path)
    assert [a.month for a in plan] == ["2021-01", "2018-01"]
    assert (plan[0].months[0], plan[0].months[-1]) == ("2018-02", "2021-01")
    assert (plan[1].months[0], plan[1].months[-1]) == ("2015-06", "2018-01")
    assert [len(a.months) for a in plan] == [36, 32]  # each month once, from one archive
    assert plan[1].url == "https://x/archive/2018-01.zip"
    assert [a.month for a in plan_archives("2012-02", "2021-01", "u", tmp_path)] == [
        "2021-01", "2018-01", "2015-01"]
    assert [a.month for a in plan_archives("2012-01", "2021-01", "u", tmp_path)] == [
        "2021-01", "2018-01", "2015-01", "2012-01"]


def _fetch_from(base_url: str, tmp_path: Path, timeout: float = 5.0) -> str:
    """The error ``fetch`` gives when downloading from ``base_url`` fails."""
    import httpx

    from paragon.errors import IngestError
    from paragon.ingest.policeuk.fetch import fetch as fetch_archives

    with httpx.Client(timeout=httpx.Timeout(timeout)) as client, pytest.raises(IngestError) as exc:
        fetch_archives("city-of-london", "2021-01", "2021-01", base_url=base_url,
                       cache=tmp_path / "cache", progress=lambda *a: None, client=client)
    return exc.value.message


def test_a_host_that_cannot_be_resolved_is_named(tmp_path: Path) -> None:
    # .invalid never resolves (RFC 6761): the same failure as no network or no DNS.
    message = _fetch_from("http://data.police.invalid/data/archive", tmp_path)
    assert "cannot resolve data.police.invalid: check the network or proxy settings" in message
    assert "interrupted" not in message


def test_a_refused_connection_is_named(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    message = _fetch_from(f"http://127.0.0.1:{port}/archive", tmp_path)
    assert "127.0.0.1 refused the connection" in message and "interrupted" not in message


def test_a_server_that_never_answers_is_named(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # accepts connections (backlog) but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        port = sock.getsockname()[1]
        message = _fetch_from(f"http://127.0.0.1:{port}/archive", tmp_path, timeout=0.2)
    assert "interrupted 5 times (127.0.0.1 did not answer in time" in message


def test_cli_fetch_without_network_leaves_no_warehouse(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["fetch", "--force", "city-of-london", "--from", "2021-01", "--to", "2021-01",
              "--db", str(tmp_path / "w.duckdb"), "--cache-dir", str(tmp_path / "cache")],
        env={"PARAGON_POLICEUK_BASE_URL": "http://data.police.invalid/data/archive"})
    assert result.exit_code == 1
    assert "cannot resolve data.police.invalid" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()
