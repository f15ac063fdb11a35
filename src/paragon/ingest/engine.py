"""The ingest engine: every source format goes through here, so every format keeps the invariants.

- rows read = rows loaded + rows quarantined + rows duplicate, reported per file;
- the same file twice loads nothing new (rows are keyed; duplicates are counted, not loaded), and
  a file whose exact bytes were ingested before (same SHA-256, same kind) is not parsed again: it
  is a check, reported with the first ingest's counts as duplicates (:func:`stage_source`);
- a file commits whole or not at all, alone or with the files loaded beside it in one
  :func:`batch`: an interrupted ingest leaves the warehouse as it was before the file's batch;
- a bad row never stops a good file: it is kept in ``quarantine`` with its line, column and reason.

A format is a :class:`Format`: the columns it needs, the table it fills, and either a function that
turns one raw row into a record or raises :class:`RowError` (the row path, parsed here line by
line),
or a :class:`BulkLoader` that validates the whole file at once (the vectorised path of the police.uk
formats, ``ingest/policeuk/bulk.py``). Both run inside the same transaction and bookkeeping below.

A file comes from a :class:`Source`: a path on disk or a member of a zip archive.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from paragon.errors import IngestError
from paragon.warehouse import Warehouse

MAX_FIELD_CHARS = 10_000
RAW_TEXT_CHARS = 2_000


class RowError(Exception):
    """One row cannot be loaded: which column and why."""

    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass(frozen=True)
class Source:
    """Where one file's bytes come from: ``path`` is what reports and ``ingests.path`` show
    (``archive.zip!2021-01/2021-01-cambridgeshire-street.csv`` for a zip member)."""

    path: str
    name: str
    read: Callable[[], bytes]

    @classmethod
    def from_path(cls, path: Path) -> Source:
        return cls(path=str(path), name=path.name, read=path.read_bytes)


@dataclass(frozen=True)
class BulkContext:
    """What a bulk loader is told inside the file's transaction."""

    source: Source
    ingest_id: int
    keep_quarantine: bool  # False when an identical file was ingested before
    careful: bool = False  # a retry after the database refused a duplicate key: check each key


class BulkLoader(Protocol):
    """A whole-file loader: ``prepare`` (outside the transaction: decode, split, check the header;
    raise IngestError for a file that cannot be read) then ``load`` (inside it: fill the tables and
    ``quarantine``, and set the report's counts and reasons). ``load`` may insert without checking
    keys when it believes them new; if the database then refuses a duplicate key, the engine rolls
    the file back and loads it once more with ``ctx.careful`` set."""

    def prepare(self, data: bytes, source: Source) -> Any: ...

    def load(self, con: duckdb.DuckDBPyConnection, prepared: Any, ctx: BulkContext,
             report: IngestReport) -> None: ...


@dataclass(frozen=True)
class Format:
    """A source format the engine can ingest."""

    kind: str
    table: str
    key_column: str
    required_columns: tuple[str, ...]
    columns: dict[str, pa.DataType]
    to_record: Callable[[dict[str, str], str], dict[str, Any]] | None = None
    optional_columns: tuple[str, ...] = ()
    finalize: Callable[[pa.Table], pa.Table] | None = None
    detect: Callable[[list[str]], bool] | None = None
    bulk: BulkLoader | None = None
    skip_identical: bool = True  # False when the same bytes may load other rows (options apply)


@dataclass
class IngestReport:
    """What happened to one file."""

    path: str
    kind: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)  # kept rows worth knowing about
    ingest_id: int | None = None
    status: str = "complete"
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "rows_duplicate": self.rows_duplicate,
            "reasons": dict(self.reasons),
            "notes": dict(self.notes),
            "ingest_id": self.ingest_id,
            "status": self.status,
            "message": self.message,
        }


@dataclass
class _Quarantined:
    line: int
    column: str | None
    reason: str
    raw: str


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Bytes to text: UTF-8 (with or without BOM), else Windows-1252. Returns (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise IngestError(
            f"{name}: neither UTF-8 nor Windows-1252 text (byte {exc.start})") from exc


def iter_lines(text: str) -> Iterator[tuple[int, str]]:
    """Physical lines with their 1-based numbers; CRLF, CR and LF all end a line."""
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        yield number, line.rstrip("\n")


def parse_line(line: str) -> list[str]:
    """One CSV line to fields; an unbalanced quote is a row error, never a swallowed file."""
    if line.count('"') % 2:
        raise RowError(None, "quote left open")
    return next(csv.reader([line]))


def read_header(name: str, header_line: str) -> list[str]:
    try:
        header = [h.strip() for h in parse_line(header_line)]
    except RowError as exc:
        raise IngestError(f"{name}:1: header has a quote left open") from exc
    return header


def check_header(name: str, header: list[str], fmt: Format) -> None:
    check_columns(name, header, fmt.kind, fmt.required_columns, fmt.optional_columns)


def check_columns(name: str, header: list[str], kind: str, required: tuple[str, ...],
                  optional: tuple[str, ...] = ()) -> None:
    """Refuse a header that lacks a required column, naming the missing and unexpected ones."""
    missing = [c for c in required if c not in header]
    if missing:
        unexpected = [h for h in header if h not in required + optional]
        extra = f"; unexpected column(s): {', '.join(unexpected)}" if unexpected else ""
        raise IngestError(
            f"{name}:1: not a {kind} file: missing column(s) {', '.join(missing)}{extra}"
        )
    repeated = sorted({h for h in required if header.count(h) > 1})
    if repeated:
        raise IngestError(f"{name}:1: column(s) {', '.join(repeated)} appear more than once")


def _rows(name: str, lines: Iterator[tuple[int, str]], header: list[str], fmt: Format,
          report: IngestReport, bad: list[_Quarantined]) -> Iterator[dict[str, Any]]:
    width = len(header)
    for number, line in lines:
        if not line.strip():
            continue
        report.rows_read += 1
        try:
            fields = parse_line(line)
            if len(fields) != width:
                raise RowError(None, f"expected {width} fields, found {len(fields)}")
            long = next((h for h, v in zip(header, fields, strict=True)
                         if len(v) > MAX_FIELD_CHARS), None)
            if long:
                raise RowError(long, f"field longer than {MAX_FIELD_CHARS} characters")
            assert fmt.to_record is not None
            record = fmt.to_record(dict(zip(header, fields, strict=True)), name)
        except RowError as exc:
            bad.append(_Quarantined(number, exc.column, exc.reason, line[:RAW_TEXT_CHARS]))
            continue
        yield record


def ingest_file(wh: Warehouse, path: Path, fmt: Format, *, adapter: str | None = None,
                progress: Callable[[int], None] | None = None) -> IngestReport:
    """Ingest one file in one transaction and return its report."""
    return ingest_source(wh, Source.from_path(path), fmt, adapter=adapter, progress=progress)


@dataclass
class Staged:
    """A file read and, for a bulk format, parsed: ready for :func:`load_staged`. Staging needs no
    warehouse, so the next file can be staged on another thread while this one loads."""

    source: Source
    fmt: Format
    sha256: str
    data: bytes | None  # the row path parses inside load_staged
    prepared: Any = None
    identical: Seen | None = None  # the first ingest of the same bytes as the same kind


@dataclass(frozen=True)
class Seen:
    """The first complete ingest of some bytes as some kind: what re-ingesting them reports."""

    ingest_id: int
    rows_read: int
    rows_quarantined: int
    message: str
    reasons: dict[str, int]


def stage_source(source: Source, fmt: Format, data: bytes | None = None, *,
                 known: Mapping[tuple[str, str], Seen] | None = None) -> Staged:
    """Read (unless ``data`` is given) and prepare one file. A file whose (SHA-256, kind) is in
    ``known`` (complete ingests, :func:`known_files`) is not prepared: loading it is a check."""
    data = source.read() if data is None else data
    sha256 = hashlib.sha256(data).hexdigest()
    seen = (known or {}).get((sha256, fmt.kind)) if fmt.skip_identical else None
    if seen is not None:
        return Staged(source, fmt, sha256, None, identical=seen)
    if fmt.bulk is not None:
        return Staged(source, fmt, sha256, None, fmt.bulk.prepare(data, source))
    return Staged(source, fmt, sha256, data)


def load_staged(wh: Warehouse, staged: Staged, *, adapter: str | None = None,
                progress: Callable[[int], None] | None = None) -> IngestReport:
    """Load a staged file in one transaction and return its report."""
    source, fmt = staged.source, staged.fmt
    report = IngestReport(path=source.path, kind=fmt.kind)
    if staged.identical is not None:
        _ingest_identical(wh, staged, staged.identical, adapter, report)
        if progress:
            progress(report.rows_read)
        return report
    _flush(wh)  # checked files before it keep their order in ``ingests``
    if fmt.bulk is not None:
        _ingest_bulk(wh, staged, fmt.bulk, adapter, report)
    else:
        assert staged.data is not None
        _ingest_rows(wh, source, staged.data, staged.sha256, fmt, adapter, report)
    if progress:
        progress(report.rows_read)
    return report


BATCH_ROWS = 300_000  # rows loaded per transaction, about: one commit, flat memory
BATCH_FILES = 256
GROUP_ROWS = 100_000  # rows of files of one format loaded together, about (bounded memory)
GROUP_FILES = 64
MEMORY_LIMIT = "512MB"  # DuckDB's memory while loading: flat however many rows come in


@contextmanager
def memory_capped(wh: Warehouse) -> Iterator[None]:
    """DuckDB's memory limit lowered to MEMORY_LIMIT for a run of loads (it spills to disk past
    it), then put back. The run's checkpoint is made before it is put back: a checkpoint under no
    limit took 2 GB at 5M rows loaded."""
    previous = wh.scalar("SELECT current_setting('memory_limit')")
    wh.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    try:
        yield
    finally:
        with suppress(duckdb.Error):  # after a failed transaction the checkpoint may be refused
            wh.con.execute("CHECKPOINT")
        wh.con.execute(f"SET memory_limit = '{previous}'")


class ManyLoader(BulkLoader, Protocol):
    """A bulk loader that also loads several prepared files of its format in one go, each with its
    own ingest id, report and quarantine (police.uk: one query per group, not per file)."""

    def rows(self, prepared: Any) -> int: ...

    def load_many(self, con: duckdb.DuckDBPyConnection,
                  items: list[tuple[Any, BulkContext, IngestReport]]) -> None: ...


def _many(staged: Staged) -> ManyLoader | None:
    """The loader of a staged file that can be loaded with others of its format, if any."""
    loader = staged.fmt.bulk
    if staged.identical is not None or loader is None or not hasattr(loader, "load_many"):
        return None
    return loader  # type: ignore[return-value]


def load_queue(wh: Warehouse, queue: list[Source],
               stage: Callable[[Source, Mapping[tuple[str, str], Seen]], Staged], *,
               adapter: str | None = None,
               on_file: Callable[[IngestReport], None] | None = None) -> list[IngestReport]:
    """Stage (``stage(source, known)``, on a second thread, one file ahead) and load every source,
    about BATCH_ROWS rows to a transaction; consecutive files of one format that can be loaded
    together (:class:`ManyLoader`) go in groups of about GROUP_ROWS rows. ``on_file`` hears of each
    file once its batch has committed. A file that fails rolls its batch back; the batch's files
    are then loaded one per transaction, so the error stops the run where it did when every file
    committed alone."""
    known = known_files(wh)
    reports: list[IngestReport] = []
    with memory_capped(wh), ThreadPoolExecutor(max_workers=1) as pool:
        ahead: dict[int, Future[Staged]] = {}

        def staged_at(i: int) -> Staged:
            future = ahead.pop(i, None) or pool.submit(stage, queue[i], known)
            if i + 1 < len(queue) and i + 1 not in ahead:
                ahead[i + 1] = pool.submit(stage, queue[i + 1], known)
            return future.result()

        def put_back(i: int, staged: Staged) -> None:
            done: Future[Staged] = Future()
            done.set_result(staged)
            ahead[i] = done

        i = 0
        while i < len(queue):
            start, rows, upto = i, 0, i
            done: list[IngestReport] = []
            try:
                with batch(wh):
                    while i < len(queue) and rows < BATCH_ROWS and len(done) < BATCH_FILES:
                        staged = staged_at(i)
                        upto = i
                        loader = _many(staged)
                        if loader is None:
                            report = load_staged(wh, staged, adapter=adapter)
                            rows += 0 if staged.identical is not None else report.rows_read
                            del staged
                            done.append(report)
                            i += 1
                            continue
                        group, size = [staged], loader.rows(staged.prepared)
                        while (i + len(group) < len(queue) and size < GROUP_ROWS
                               and len(group) < GROUP_FILES and rows + size < BATCH_ROWS
                               and len(done) + len(group) < BATCH_FILES):
                            following = staged_at(i + len(group))
                            if _many(following) is not loader or following.fmt is not staged.fmt:
                                put_back(i + len(group), following)
                                break
                            group.append(following)
                            size += loader.rows(following.prepared)
                        upto = i + len(group) - 1
                        group_reports = load_group(wh, group, loader, adapter=adapter)
                        rows += size
                        del staged, group
                        done.extend(group_reports)
                        i = upto + 1
            except Exception:  # rolled back: again, each file alone (the failing one raises)
                ahead.pop(upto, None)
                for j in range(start, upto + 1):
                    done = [load_staged(wh, stage(queue[j], known), adapter=adapter)]
                    _heard(done, reports, on_file)
                i = upto + 1
                continue
            _heard(done, reports, on_file)
    return reports


def load_group(wh: Warehouse, group: list[Staged], loader: ManyLoader, *,
               adapter: str | None = None) -> list[IngestReport]:
    """Load staged files of one format together, inside the open batch (see :func:`batch`): each
    file gets its own ingest id, report and ``ingests`` row, as if loaded one after another."""
    if len(group) == 1:
        return [load_staged(wh, group[0], adapter=adapter)]
    _flush(wh)
    started = datetime.now()
    reports = [IngestReport(path=s.source.path, kind=s.fmt.kind) for s in group]
    with _transaction(wh) as con:
        ids = sorted(int(i) for (i,) in con.execute(
            f"SELECT nextval('ingest_id_seq') FROM range({len(group)})").fetchall())
        before = _seen_many(con, group)
        seen: list[int | None] = []
        for s, ingest_id in zip(group, ids, strict=True):  # the same bytes twice in the group
            seen.append(before.get(s.sha256))
            before.setdefault(s.sha256, ingest_id)
        items = [(s.prepared, BulkContext(s.source, ingest_id, first is None), report)
                 for s, ingest_id, report, first in zip(group, ids, reports, seen, strict=True)]
        loader.load_many(con, items)
        for report, first in zip(reports, seen, strict=True):
            if first is not None:
                report.message = "; ".join(m for m in (
                    f"identical to ingest {first}: nothing new loaded", report.message) if m)
        _insert_ingests(con, ids, group, [adapter] * len(group), [started] * len(group),
                        reports)
    for ingest_id, report in zip(ids, reports, strict=True):
        report.ingest_id = ingest_id
        _check_counts(report)
    return reports


def _seen_many(con: duckdb.DuckDBPyConnection, group: list[Staged]) -> dict[str, int]:
    """SHA-256 -> first complete ingest of those bytes as the group's kind (see :func:`_seen`)."""
    shas = ", ".join(f"'{s.sha256}'" for s in group)
    return {str(sha): int(first) for sha, first in con.execute(
        f"SELECT sha256, min(ingest_id) FROM ingests WHERE sha256 IN ({shas}) AND kind = ? "
        f"AND status = 'complete' GROUP BY sha256", [group[0].fmt.kind]).fetchall()}


def _heard(done: list[IngestReport], reports: list[IngestReport],
           on_file: Callable[[IngestReport], None] | None) -> None:
    for report in done:
        if on_file:
            on_file(report)
        reports.append(report)


def ingest_source(wh: Warehouse, source: Source, fmt: Format, *, adapter: str | None = None,
                  progress: Callable[[int], None] | None = None) -> IngestReport:
    """Ingest one file (on disk or in an archive) in one transaction and return its report."""
    return load_staged(wh, stage_source(source, fmt), adapter=adapter, progress=progress)


def _ingest_rows(wh: Warehouse, source: Source, data: bytes, sha256: str, fmt: Format,
                 adapter: str | None, report: IngestReport) -> None:
    text, encoding = decode(data, source.name)
    lines = iter_lines(text)
    first = next(lines, None)
    if first is None:
        raise IngestError(f"{source.name}: the file is empty")
    header = read_header(source.name, first[1])
    check_header(source.name, header, fmt)
    bad: list[_Quarantined] = []
    records = list(_rows(source.name, lines, header, fmt, report, bad))
    if encoding != "utf-8":
        report.message = f"decoded as {encoding}"
    _commit(wh, source, sha256, fmt, adapter, records, bad, report)


def known_files(wh: Warehouse) -> dict[tuple[str, str], Seen]:
    """(SHA-256, kind) -> first complete ingest, for every file ingested completely (read once
    per run, in two queries): :func:`stage_source` skips them."""
    first = ("SELECT sha256, kind, min(ingest_id) AS first_id FROM ingests "
             "WHERE status = 'complete' GROUP BY sha256, kind")
    reasons: dict[int, dict[str, int]] = {}
    for ingest_id, reason, n in wh.con.execute(
            f"SELECT ingest_id, reason, count(*) FROM quarantine WHERE ingest_id IN "
            f"(SELECT first_id FROM ({first})) GROUP BY ingest_id, reason").fetchall():
        reasons.setdefault(int(ingest_id), {})[str(reason)] = int(n)
    return {(str(sha), str(kind)): Seen(int(i), int(read), int(quarantined), str(message or ""),
                                        reasons.get(int(i), {}))
            for sha, kind, i, read, quarantined, message in wh.con.execute(
                f"SELECT f.sha256, f.kind, i.ingest_id, i.rows_read, i.rows_quarantined, "
                f"i.message FROM ({first}) f JOIN ingests i ON i.ingest_id = f.first_id"
            ).fetchall()}


_BATCHES: dict[int, duckdb.DuckDBPyConnection] = {}  # id(warehouse) -> its open batch


@contextmanager
def batch(wh: Warehouse) -> Iterator[None]:
    """Load the files staged inside in one transaction: all of them commit together (one commit
    for many files, a sixth of a small file's ingest time) or none do. A file that fails inside a
    batch rolls the batch back; the caller loads the batch's files again one per transaction."""
    with wh.transaction() as con:
        _BATCHES[id(wh)] = con
        _PENDING[id(wh)] = []
        try:
            yield
            _flush(wh)
        finally:
            del _BATCHES[id(wh)]
            del _PENDING[id(wh)]


@contextmanager
def _transaction(wh: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """The open batch's transaction, or one for this file alone."""
    con = _BATCHES.get(id(wh))
    if con is not None:
        yield con
        return
    with wh.transaction() as con:
        yield con


NOTE = re.compile(r"([0-9,]+) rows with (.+) \(kept\)")


def _ingest_identical(wh: Warehouse, staged: Staged, seen: Seen, adapter: str | None,
                      report: IngestReport) -> None:
    """A file ingested before, byte for byte: nothing is parsed or loaded; the report gives the
    first ingest's rows read, quarantined (with their reasons) and notes, every other row a
    duplicate, and is recorded like any ingest (in a batch, with the batch's other such files in
    one statement, before the next file that loads and at the batch's end)."""
    report.rows_read, report.rows_quarantined = seen.rows_read, seen.rows_quarantined
    report.rows_duplicate = report.rows_read - report.rows_quarantined
    report.reasons = Counter(seen.reasons)
    if report.rows_duplicate:
        report.reasons["duplicate"] = report.rows_duplicate
    for n, note in NOTE.findall(seen.message):
        report.notes[note] = int(n.replace(",", ""))
    report.message = "; ".join(
        m for m in (f"identical to ingest {seen.ingest_id}: nothing new loaded", seen.message) if m)
    _check_counts(report)
    item = _Checked(staged, adapter, datetime.now(), report)
    pending = _PENDING.get(id(wh))
    if pending is not None:
        pending.append(item)
        return
    with wh.transaction() as con:
        _record_checked(con, [item])


@dataclass
class _Checked:
    staged: Staged
    adapter: str | None
    started: datetime
    report: IngestReport


_PENDING: dict[int, list[_Checked]] = {}  # id(warehouse) -> checked files not yet recorded


def _flush(wh: Warehouse) -> None:
    pending = _PENDING.get(id(wh))
    con = _BATCHES.get(id(wh))
    if pending and con is not None:
        _record_checked(con, pending)
        pending.clear()


def _record_checked(con: duckdb.DuckDBPyConnection, items: list[_Checked]) -> None:
    """The ``ingests`` rows of checked (identical) files, in one statement."""
    ids = sorted(int(i) for (i,) in con.execute(
        f"SELECT nextval('ingest_id_seq') FROM range({len(items)})").fetchall())
    for ingest_id, item in zip(ids, items, strict=True):
        item.report.ingest_id = ingest_id
    _insert_ingests(con, ids, [i.staged for i in items], [i.adapter for i in items],
                    [i.started for i in items], [i.report for i in items])


def _insert_ingests(con: duckdb.DuckDBPyConnection, ids: list[int], staged: list[Staged],
                    adapters: list[str | None], started: list[datetime],
                    reports: list[IngestReport]) -> None:
    """``ingests`` rows for several files, in one statement."""
    con.register("_checked", pa.table({
        "ingest_id": pa.array(ids, pa.int64()),
        "path": [s.source.path for s in staged],
        "file_name": [s.source.name for s in staged],
        "sha256": [s.sha256 for s in staged],
        "kind": [s.fmt.kind for s in staged],
        "adapter": pa.array(adapters, pa.string()),
        "started_at": pa.array(started, pa.timestamp("us")),
        "rows_read": pa.array([r.rows_read for r in reports], pa.int64()),
        "rows_loaded": pa.array([r.rows_loaded for r in reports], pa.int64()),
        "rows_quarantined": pa.array([r.rows_quarantined for r in reports], pa.int64()),
        "rows_duplicate": pa.array([r.rows_duplicate for r in reports], pa.int64()),
        "status": [r.status for r in reports],
        "message": pa.array([r.message or None for r in reports], pa.string()),
    }))
    con.execute("INSERT INTO ingests BY NAME SELECT *, now()::TIMESTAMP AS finished_at "
                "FROM _checked")
    con.unregister("_checked")


def _ingest_bulk(wh: Warehouse, staged: Staged, loader: BulkLoader, adapter: str | None,
                 report: IngestReport) -> None:
    try:
        _load_bulk(wh, staged, loader, adapter, report, careful=False)
    except duckdb.ConstraintException:  # a key thought new was not: again, checking each key
        if id(wh) in _BATCHES:
            raise  # the batch is lost: its files are loaded again one by one
        fresh = IngestReport(path=report.path, kind=report.kind)
        _load_bulk(wh, staged, loader, adapter, fresh, careful=True)
        report.__dict__.update(fresh.__dict__)


def _load_bulk(wh: Warehouse, staged: Staged, loader: BulkLoader, adapter: str | None,
               report: IngestReport, *, careful: bool) -> None:
    started = datetime.now()
    with _transaction(wh) as con:
        ingest_id = _next_ingest_id(con)
        seen = _seen(con, staged.sha256, staged.fmt.kind)
        ctx = BulkContext(staged.source, ingest_id, seen is None, careful)
        loader.load(con, staged.prepared, ctx, report)
        if seen is not None:
            report.message = "; ".join(
                m for m in (f"identical to ingest {seen}: nothing new loaded", report.message) if m
            )
        _record_ingest(con, ingest_id, staged.source, staged.sha256, staged.fmt, adapter, started,
                       report)
    report.ingest_id = ingest_id
    _check_counts(report)


def _next_ingest_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT nextval('ingest_id_seq')").fetchall()[0][0])


def _seen(con: duckdb.DuckDBPyConnection, sha256: str, kind: str) -> int | None:
    """The first complete ingest of a file with these exact bytes, as this kind, if any."""
    row = con.execute(
        "SELECT min(ingest_id) FROM ingests WHERE sha256 = ? AND kind = ? AND status = 'complete'",
        [sha256, kind]).fetchall()[0][0]
    return None if row is None else int(row)


def _record_ingest(con: duckdb.DuckDBPyConnection, ingest_id: int, source: Source, sha256: str,
                   fmt: Format, adapter: str | None, started: datetime,
                   report: IngestReport) -> None:
    con.execute(
        "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?)",
        [ingest_id, source.path, source.name, sha256, fmt.kind, adapter, started,
         report.rows_read, report.rows_loaded, report.rows_quarantined,
         report.rows_duplicate, report.status, report.message or None],
    )


def _check_counts(report: IngestReport) -> None:
    if report.rows_read != report.rows_loaded + report.rows_quarantined + report.rows_duplicate:
        raise IngestError(f"{report.path}: internal error: rows read != loaded + quarantined + "
                          f"duplicate ({report.as_dict()})")


def _records_table(fmt: Format, records: list[dict[str, Any]]) -> pa.Table:
    schema = pa.schema([(name, dtype) for name, dtype in fmt.columns.items()])
    columns = {name: [r.get(name) for r in records] for name in fmt.columns}
    return pa.table(columns, schema=schema)


def _quarantine_table(ingest_id: int, file_name: str, bad: list[_Quarantined]) -> pa.Table:
    return pa.table(
        {
            "ingest_id": pa.array([ingest_id] * len(bad), pa.int64()),
            "file_name": [file_name] * len(bad),
            "line_number": pa.array([q.line for q in bad], pa.int64()),
            "column_name": pa.array([q.column for q in bad], pa.string()),
            "reason": [q.reason for q in bad],
            "raw_text": [q.raw for q in bad],
        }
    )


def _commit(wh: Warehouse, source: Source, sha256: str, fmt: Format, adapter: str | None,
            records: list[dict[str, Any]], bad: list[_Quarantined], report: IngestReport) -> None:
    started = datetime.now()
    table = _records_table(fmt, records)
    if fmt.finalize is not None:
        table = fmt.finalize(table)
    with _transaction(wh) as con:
        ingest_id = _next_ingest_id(con)
        table = table.append_column("ingest_id", pa.array([ingest_id] * len(records), pa.int64()))
        con.register("incoming", table)
        key = fmt.key_column
        inserted = con.execute(  # an INSERT returns how many rows went in
            f"INSERT INTO {fmt.table} BY NAME "
            f"SELECT * FROM incoming i WHERE NOT EXISTS "
            f"(SELECT 1 FROM {fmt.table} t WHERE t.{key} = i.{key}) "
            f"QUALIFY row_number() OVER (PARTITION BY i.{key} ORDER BY i.{key}) = 1"
        ).fetchall()[0][0]
        con.unregister("incoming")
        report.rows_loaded = int(inserted)
        report.rows_quarantined = len(bad)
        report.rows_duplicate = len(records) - report.rows_loaded
        report.reasons = Counter(q.reason for q in bad)
        if report.rows_duplicate:
            report.reasons["duplicate"] = report.rows_duplicate
        seen = _seen(con, sha256, fmt.kind)
        if seen is not None:
            report.message = f"identical to ingest {seen}: nothing new loaded"
        if bad and seen is None:
            con.register("bad_rows", _quarantine_table(ingest_id, source.name, bad))
            con.execute("INSERT INTO quarantine BY NAME SELECT * FROM bad_rows")
            con.unregister("bad_rows")
        _record_ingest(con, ingest_id, source, sha256, fmt, adapter, started, report)
    report.ingest_id = ingest_id
    _check_counts(report)
