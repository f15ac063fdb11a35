"""Which formats exist, how a file's kind is detected from its header, and ingesting many paths:
files, folders (every CSV and zip inside) and zip archives (every CSV member, read in place)."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from paragon.errors import IngestError
from paragon.geography.forces import TERRITORIAL
from paragon.ingest.engine import (
    Format,
    IngestReport,
    Seen,
    Source,
    Staged,
    check_header,
    decode,
    load_queue,
    read_header,
    stage_source,
)
from paragon.ingest.force_crimes import force_crimes_format
from paragon.ingest.points import points_format
from paragon.ingest.policeuk import policeuk_formats
from paragon.ingest.policeuk.archive import order_key, zip_sources
from paragon.ingest.surveys import survey_format
from paragon.plan.schema import Plan
from paragon.warehouse import Warehouse

# Calls for service have a warehouse table but no ingest format yet.
KINDS = ("street", "outcomes", "stop-search", "force-crimes", "survey", "points")
# a kind named on the command line covers these formats (told apart by their headers)
VARIANTS = {"street": ("street", "street-2011")}
SNIFF_BYTES = 64 * 1024
CHECKPOINT_EVERY = "1GB"  # of write-ahead log, during an ingest run


def formats(plan: Plan, force: str | None = None,
            crime_type: str | None = None) -> dict[str, Format]:
    """Every format Paragon can ingest, by kind. Points files are the given ``force``'s (default:
    the plan's), with ``crime_type`` for files that have no crime-type column."""
    points_force = force or plan.force
    points = ({"points": points_format(points_force, crime_type)}
              if force is not None or points_force in TERRITORIAL else {})
    return {
        **policeuk_formats(),
        "force-crimes": force_crimes_format(plan.force),
        "survey": survey_format(plan),
        **points,
    }


def header_of(head: bytes, name: str) -> list[str]:
    """The header row, from the first bytes of a file. Only the first line is decoded: a cut
    through a UTF-8 character further on must not make the header undecodable."""
    lines = head[:SNIFF_BYTES].splitlines()
    text, _ = decode(lines[0] if lines else b"", name)
    if not text.strip():
        raise IngestError(f"{name}: the file is empty")
    return read_header(name, text)


def pick_format(
    header: list[str], name: str, known: dict[str, Format], kind: str | None = None
) -> Format:
    """The format whose header this is; a near miss is refused naming the columns that differ."""
    candidates = (
        [known[k] for k in VARIANTS.get(kind, (kind,)) if k in known]
        if kind
        else list(known.values())
    )
    for fmt in candidates:
        if fmt.detect is not None and fmt.detect(header):
            return fmt
    if kind is not None:
        check_header(name, header, candidates[0])
        return candidates[0]
    best = max(candidates, key=lambda f: len(set(f.required_columns) & set(header)))
    if 2 * len(set(best.required_columns) & set(header)) >= len(best.required_columns):
        check_header(name, header, best)
        return best
    raise IngestError(
        f"{name}:1: cannot tell what kind of file this is from its header "
        f"({', '.join(header[:8])}); name it with --kind ({', '.join(KINDS)})"
    )


INGESTIBLE = (".csv", ".csv.gz", ".zip")


def _ingestible(path: Path) -> bool:
    return path.name.lower().endswith(INGESTIBLE)


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the CSV (plain or gzipped) and zip files inside folders named, in a
    stable order. A folder with none is an error naming it."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = [p for p in path.rglob("*") if p.is_file() and _ingestible(p)]
            if not inside:
                raise IngestError(
                    f"{path}: no files to ingest (looked for {', '.join(INGESTIBLE)} files)"
                )
            out.extend(sorted(inside, key=lambda p: (*order_key(p.name), str(p))))
        elif path.exists():
            out.append(path)
        else:
            raise IngestError(f"{path}: no such file or folder")
    return out


def _gunzip(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return gzip.decompress(path.read_bytes())
        except (OSError, EOFError) as exc:
            raise IngestError(f"{path}: not a readable gzip file ({exc})") from exc

    return read


def sources(paths: Iterable[Path]) -> list[Source]:
    """Every file to ingest: zip archives give their CSV members, .gz files are decompressed."""
    paths = list(paths)
    out: list[Source] = []
    for path in expand(paths):
        if path.suffix.lower() == ".zip":
            out.extend(zip_sources(path))
        elif path.suffix.lower() == ".gz":
            out.append(Source(path=str(path), name=path.name[: -len(".gz")], read=_gunzip(path)))
        else:
            out.append(Source.from_path(path))
    if not out:
        named = ", ".join(str(p) for p in paths) or "(no path given)"
        raise IngestError(f"{named}: no files to ingest")
    return out


def _stage(source: Source, known: dict[str, Format], kind: str | None,
           ingested: Mapping[tuple[str, str], Seen] | None = None) -> Staged:
    data = source.read()
    fmt = pick_format(header_of(data, source.name), source.name, known, kind)
    return stage_source(source, fmt, data, known=ingested)


@contextmanager
def _one_checkpoint(wh: Warehouse) -> Iterator[None]:
    """Checkpoint once at the end of a run instead of every 16 MB of log: each checkpoint rewrites
    the primary-key indexes, so frequent ones make a long run quadratic. Every file still commits
    on its batch's commit (the write-ahead log keeps it if the run is killed)."""
    previous = wh.scalar("SELECT current_setting('checkpoint_threshold')")
    wh.con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_EVERY}'")
    try:
        yield
    finally:
        wh.con.execute(f"SET checkpoint_threshold = '{previous}'")
        with suppress(duckdb.Error):
            wh.con.execute("CHECKPOINT")


def ingest_sources(
    wh: Warehouse,
    items: Iterable[Source],
    plan: Plan,
    *,
    kind: str | None = None,
    adapter: str | None = None,
    on_file: Callable[[IngestReport], None] | None = None,
    force: str | None = None,
    crime_type: str | None = None,
) -> list[IngestReport]:
    """Ingest each source, its format detected from its header unless ``kind`` names it. The next
    file is read and parsed on a second thread while this one loads. ``adapter`` names the system
    the files came from; it is recorded with each ingest. ``force`` and ``crime_type`` are for
    points files, which name neither (default force: the plan's)."""
    known = formats(plan, force, crime_type)
    if kind is not None and kind not in known and kind not in VARIANTS:
        raise IngestError(f"no ingest for kind '{kind}' yet (available: {', '.join(known)})")
    with _one_checkpoint(wh):
        return load_queue(wh, list(items), lambda source, ingested: _stage(
            source, known, kind, ingested), adapter=adapter, on_file=on_file)


def ingest_paths(
    wh: Warehouse,
    paths: Iterable[Path],
    plan: Plan,
    *,
    kind: str | None = None,
    adapter: str | None = None,
    on_file: Callable[[IngestReport], None] | None = None,
    force: str | None = None,
    crime_type: str | None = None,
) -> list[IngestReport]:
    """Ingest every file; a file that cannot be read at all raises, naming it."""
    return ingest_sources(wh, sources(paths), plan, kind=kind, adapter=adapter, on_file=on_file,
                          force=force, crime_type=crime_type)
