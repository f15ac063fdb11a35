"""Sources inside data.police.uk monthly archives, read straight from the zip (nothing unpacked).

An archive holds a folder per month and a file per force and kind, as data.police.uk serves it:
``2021-01/2021-01-cambridgeshire-street.csv``. Members are read one at a time into memory; the zip's
CRC is checked as each is read, so a damaged member is refused, naming it.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable
from functools import partial
from pathlib import Path, PurePosixPath

from paragon.errors import IngestError
from paragon.ingest.engine import Source
from paragon.ingest.policeuk.vocab import parse_file_name

KIND_ORDER = {"street": 0, "outcomes": 1, "stop-and-search": 2}


def order_key(name: str) -> tuple[str, int, str]:
    """Month, then street before outcomes before stop and search, then name."""
    parsed = parse_file_name(PurePosixPath(name).name)
    if parsed is None:
        return ("", 9, name)
    return (parsed[0], KIND_ORDER[parsed[2]], name)


def _read_member(archive: Path, member: str) -> bytes:
    try:
        with zipfile.ZipFile(archive) as zf, zf.open(member) as fh:
            return fh.read()
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise IngestError(f"{archive}!{member}: damaged archive member ({exc})") from exc


def open_archive(archive: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(f"{archive}: not a readable zip archive ({exc})") from exc


def zip_sources(archive: Path, *, force: str | None = None,
                months: Iterable[str] | None = None) -> list[Source]:
    """The CSV members of ``archive`` (of one force and some months if given), in ingest order."""
    wanted = set(months) if months is not None else None
    with open_archive(archive) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()
                 and i.filename.lower().endswith(".csv")]
    chosen = []
    for name in names:
        parsed = parse_file_name(PurePosixPath(name).name)
        if force is not None and (parsed is None or parsed[1] != force):
            continue
        if wanted is not None and (parsed is None or parsed[0] not in wanted):
            continue
        chosen.append(name)
    return [
        Source(path=f"{archive}!{name}", name=PurePosixPath(name).name,
               read=partial(_read_member, archive, name))
        for name in sorted(chosen, key=order_key)
    ]
