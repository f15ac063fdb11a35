"""``paragon fetch``: download data.police.uk monthly archives and ingest one force's files.

data.police.uk publishes ``<base>/<YYYY-MM>.zip``: the 36 months up to YYYY-MM, every force, a
folder per month. For ``--from``..``--to`` Paragon downloads the fewest archives that cover the
range (the archive of ``--to``, then 36 months earlier, ...), and ingests only the force's files,
each month from the latest archive that holds it.

Downloads are resumable: bytes arrive in ``<month>.zip.part`` and an interrupted transfer continues
with an HTTP Range request (in the same run, or the next one). A finished download is verified (its
size against the server's, the zip's directory, and the CRC of every member Paragon will read)
before it is renamed to ``<month>.zip``; a corrupt one is deleted and refused.
"""

from __future__ import annotations

import re
import socket
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from paragon.errors import IngestError
from paragon.ingest.engine import Source
from paragon.ingest.policeuk.archive import zip_sources

ARCHIVE_MONTHS = 36
ATTEMPTS = 5
CHUNK = 1 << 20
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

Progress = Callable[[str, int, int | None], None]  # archive name, bytes so far, total


@dataclass
class Archive:
    """One archive to fetch and the months Paragon takes from it."""

    month: str
    months: list[str]
    url: str
    path: Path
    bytes: int = 0
    resumed_from: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"url": self.url, "path": str(self.path), "months": self.months,
                "bytes": self.bytes, "resumed_from": self.resumed_from}


def _index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def plan_archives(first: str, last: str, base_url: str, cache: Path) -> list[Archive]:
    """The archives covering ``first``..``last`` (YYYY-MM), latest first."""
    for value in (first, last):
        if not MONTH.match(value):
            raise IngestError(f"'{value}' is not a month (YYYY-MM)")
    start, end = _index(first), _index(last)
    if start > end:
        raise IngestError(f"--from {first} is after --to {last}")
    archives = []
    while end >= start:
        months = [_month(i) for i in range(max(start, end - ARCHIVE_MONTHS + 1), end + 1)]
        name = _month(end)
        archives.append(Archive(name, months, base_url.rstrip("/") + f"/{name}.zip",
                                cache / f"{name}.zip"))
        end -= ARCHIVE_MONTHS
    return archives


def _total(response: httpx.Response, offset: int) -> int | None:
    """The size of the whole file, from Content-Range or Content-Length."""
    match = re.search(r"/(\d+)$", response.headers.get("content-range", ""))
    if match:
        return int(match.group(1))
    length = response.headers.get("content-length")
    return int(length) + offset if length is not None else None


def _get(client: httpx.Client, archive: Archive, part: Path, progress: Progress) -> bool:
    """One GET of the rest of ``part``; True when the file is complete."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    with client.stream("GET", archive.url, headers=headers) as response:
        if response.status_code == 404:
            raise IngestError(f"{archive.url}: no such archive on data.police.uk (404)")
        if response.status_code == 416:  # nothing after ``have``: complete, or a stale part
            total = _total(response, 0)
            if total == have:
                return True
            part.unlink()
            return False
        response.raise_for_status()
        if response.status_code != 206:
            have = 0  # the server sent the whole file
        elif not response.headers.get("content-range", "").startswith(f"bytes {have}-"):
            raise IngestError(f"{archive.url}: the server answered a different range")
        archive.resumed_from = archive.resumed_from or have
        total = _total(response, have)
        with open(part, "ab" if have else "wb") as fh:
            for chunk in response.iter_bytes():  # as it arrives, so a drop keeps it
                fh.write(chunk)
                have += len(chunk)
                progress(archive.month, have, total)
    if total is not None and have > total:
        part.unlink()
        raise IngestError(f"{archive.url}: received more bytes than the server announced")
    return total is None or have == total


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def network_failure(url: str, exc: BaseException) -> str:
    """The network failure met, in words, with what to check."""
    host = httpx.URL(url).host or url
    chain = _causes(exc)
    text = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        phrase in text for phrase in ("name or service not known", "name resolution",
                                      "nodename nor servname", "getaddrinfo failed")
    ):
        return f"cannot resolve {host}: check the network or proxy settings"
    if isinstance(exc, httpx.ProxyError):
        return f"the proxy refused the connection to {host} ({exc}): check the proxy settings"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return (f"{host} refused the connection: check the address (--base-url) and the proxy "
                "settings")
    if isinstance(exc, httpx.TimeoutException):
        return f"{host} did not answer in time: check the network or proxy settings"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"{url}: not an http(s) address"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {host} ({exc}): check the network or proxy settings"
    return f"the connection to {host} dropped ({type(exc).__name__}: {exc})"


def download(client: httpx.Client, archive: Archive, progress: Progress) -> None:
    """Fetch ``archive`` into its path (resuming a partial download), then verify it."""
    archive.path.parent.mkdir(parents=True, exist_ok=True)
    if archive.path.exists():
        archive.bytes = archive.path.stat().st_size
        return
    part = archive.path.with_name(archive.path.name + ".part")
    last: httpx.TransportError | None = None
    for _ in range(ATTEMPTS):
        try:
            if _get(client, archive, part, progress):
                break
        except (httpx.ConnectError, httpx.ProxyError, httpx.UnsupportedProtocol) as exc:
            raise IngestError(network_failure(archive.url, exc)) from exc  # retrying cannot help
        except httpx.TransportError as exc:
            last = exc
            continue  # the connection dropped or timed out: resume from what arrived
        except httpx.HTTPStatusError as exc:
            raise IngestError(f"{archive.url}: {exc.response.status_code} from the server") from exc
    else:
        cause = network_failure(archive.url, last) if last else "no complete answer"
        raise IngestError(f"{archive.url}: download interrupted {ATTEMPTS} times ({cause}); "
                          f"run `paragon fetch` again to resume it")
    archive.bytes = part.stat().st_size
    part.replace(archive.path)


def verify(archive: Archive, force: str) -> list[Source]:
    """The force's files for the archive's months, after checking the zip and their CRCs; a
    corrupt archive is deleted (so the next run downloads it again) and refused."""
    try:
        with zipfile.ZipFile(archive.path) as zf:
            sources = zip_sources(archive.path, force=force, months=archive.months)
            for source in sources:
                member = source.path.split("!", 1)[1]
                with zf.open(member) as fh:
                    while fh.read(CHUNK):
                        pass
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, IngestError) as exc:
        archive.path.unlink(missing_ok=True)
        raise IngestError(f"{archive.url}: corrupt download, deleted ({exc}); "
                          f"run `paragon fetch` again") from exc
    return sources


def fetch(force: str, first: str, last: str, *, base_url: str, cache: Path,
          progress: Progress, client: httpx.Client | None = None) -> tuple[list[Archive],
                                                                           list[Source]]:
    """Download what ``first``..``last`` needs and return the force's files to ingest."""
    archives = plan_archives(first, last, base_url, cache)
    own = client is None
    client = client or httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0),
                                    headers={"User-Agent": "paragon (data.police.uk fetch)"})
    try:
        for archive in archives:
            download(client, archive, progress)
    finally:
        if own:
            client.close()
    sources = [s for archive in reversed(archives) for s in verify(archive, force)]
    if not sources:
        raise IngestError(f"the archives hold no files for force '{force}' in {first}..{last}")
    return archives, sources
