"""The vectorised ingest path: a whole file validated and loaded at once, not row by row.

How one file goes through (the engine runs ``load`` inside the file's one transaction):

1. ``lines.parse_lines``: bytes to rows of text columns in Arrow, with physical line numbers;
   rows with the wrong field count or an open quote are row errors already;
2. one DuckDB query over those columns casts the values (``try_cast``) and gives each row its
   first failing check, in the spec's order, as ``reason`` and ``column_name``;
3. the typed values join the text columns in Arrow (no copy); ``geo`` adds British National Grid
   (or lon/lat) with pyproj;
4. each target table gets its good rows in one ``INSERT``. The tables have no primary-key index
   (it was most of the warehouse file and of the ingest time): police.uk publishes a force's month
   whole, so the small ``loaded_months`` ledger says which forces and months a table holds; rows
   of a force-month it lacks go in unchecked, and rows of one it holds are checked against that
   force-month's keys only (a key already there is a duplicate). Rows of the file that share a
   key are numbered, so every row of a file is loaded once and the same file again loads nothing;
5. bad rows go to ``quarantine`` with their line, column, reason and raw text.

A :class:`Spec` declares all of this for one format (street.py, outcomes.py, stop_search.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from paragon.ingest.engine import BulkContext, Format, IngestReport, Source, check_columns
from paragon.ingest.policeuk import geo
from paragon.ingest.policeuk.lines import Parsed, parse_lines

CONTENT = "{content}"  # stands, in a Target's key, for the hash of the row's fields
MAX_PAIRS = 60  # force-months in one file beyond which keys are always checked


def literal(value: str | None) -> str:
    """A SQL string literal (or NULL)."""
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Check:
    """A row is bad when ``bad`` (SQL) is true; ``reason`` is a SQL string expression."""

    column: str
    bad: str
    reason: str


@dataclass(frozen=True)
class Lookup:
    """A small Arrow table the verdict query joins (``join`` is over the rows ``n``)."""

    name: str
    table: Callable[[], pa.Table]
    join: str


@dataclass(frozen=True)
class Target:
    """One table a format fills with the good rows where ``where`` holds. Every row is kept: its
    key is ``key`` (SQL) then ``:<n>``, its occurrence among the file's rows with the same ``key``
    (in line order), except that the first occurrence keeps the bare key where ``plain`` holds."""

    table: str
    key_column: str
    key: str
    where: str
    columns: dict[str, str]
    plain: str = "false"
    joins: str = ""  # extra joins (the rows are ``_pu_v v``)


@dataclass(frozen=True)
class Spec:
    kind: str
    columns: tuple[str, ...]  # the published header
    fields: dict[str, str]  # alias -> header column, as text ('' is NULL)
    typed: dict[str, str]  # alias -> SQL over the fields
    checks: tuple[Check, ...]
    targets: tuple[Target, ...]
    coordinates: str | None = None  # 'lonlat' or 'bng': which pair the file publishes
    places: bool = True  # located rows without an LSOA are placed in one (a target stores it)
    file_values: Callable[[Source], dict[str, str | None]] = lambda _s: {}
    after: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None
    # what ``after`` does, for the files of several ingest ids at once
    after_many: Callable[[duckdb.DuckDBPyConnection, list[int]], None] | None = None
    notes: dict[str, str] = field(default_factory=dict)  # note -> column NULL on good rows
    lookups: tuple[Lookup, ...] = ()

    def content(self) -> str:
        """SQL: MD5 of the row's fields, the key of rows published without an identifier."""
        ordered = sorted(self.fields, key=lambda a: self.columns.index(self.fields[a]))
        return "md5(concat_ws(chr(31), " + ", ".join(f"coalesce({a}, '')" for a in ordered) + "))"


@dataclass(frozen=True)
class Prepared:
    parsed: Parsed
    values: dict[str, str | None]


class SqlLoader:
    """The engine's BulkLoader for one :class:`Spec`; it also loads many files of the spec at once
    (``load_many``): one verdict query, one insert per target, one outcome update for them all."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def prepare(self, data: bytes, source: Source) -> Prepared:
        parsed = parse_lines(data, source.name)
        check_columns(source.name, parsed.header, self.spec.kind, self.spec.columns)
        return Prepared(parsed, self.spec.file_values(source))

    def rows(self, prepared: Any) -> int:
        """Rows read of a prepared file (the engine sizes its groups of files by them)."""
        assert isinstance(prepared, Prepared)
        return prepared.parsed.rows_read

    def load(self, con: duckdb.DuckDBPyConnection, prepared: Any, ctx: BulkContext,
             report: IngestReport) -> None:
        assert isinstance(prepared, Prepared)
        self.load_many(con, [(prepared, ctx, report)])

    def load_many(self, con: duckdb.DuckDBPyConnection,
                  items: list[tuple[Prepared, BulkContext, IngestReport]]) -> None:
        """Load several files together, each with its own ingest id, report and quarantine, with
        the same result as loading them one after another. Files that share a force-month of a
        table (a later one's duplicates are an earlier one's rows) are loaded one by one."""
        spec = self.spec
        if len(items) > 1 and spec.after is not None and spec.after_many is None:
            for item in items:
                self.load_many(con, [item])
            return
        named = _named(spec, items)
        try:
            con.register("_pu_named", named)
            for lookup in spec.lookups:
                con.register(lookup.name, lookup.table())
            rows = _validated(con, spec, named)
            rows = geo.add_coordinates(rows, spec.coordinates, place=spec.places)
            pairs = _pairs(rows)
            if len(items) > 1 and _overlapping(pairs):
                _unregister(con, spec)
                for item in items:
                    self.load_many(con, [item])
                return
            rows = rows.append_column("_ingest", pc.take(
                pa.array([ctx.ingest_id for _, ctx, _ in items], pa.int64()), rows["_file"]))
            forces = pc.unique(rows["force"].drop_null()).to_pylist()
            con.register("_pu_area", geo.areas_of(tuple(sorted(forces))))
            con.register("_pu_v", rows)
            bad = _bad(items, rows)
            for (prepared, _, report), file_bad in zip(items, bad, strict=True):
                _report_counts(report, prepared.parsed, file_bad)
            months = held_months(con, spec, rows, pairs)
            careful = any(ctx.careful for _, ctx, _ in items)
            loaded = np.zeros(len(items), dtype=np.int64)
            for index in range(len(spec.targets)):
                loaded += _insert(con, spec, index, months[index], careful, rows, items)
            for (_, _, report), n in zip(items, loaded.tolist(), strict=True):
                report.rows_loaded = int(n)
                report.rows_duplicate = (report.rows_read - report.rows_quarantined
                                         - report.rows_loaded)
                if report.rows_duplicate:
                    report.reasons["duplicate"] = report.rows_duplicate
            kept = [(prepared.parsed, ctx, file_bad)
                    for (prepared, ctx, _), file_bad in zip(items, bad, strict=True)
                    if ctx.keep_quarantine and file_bad]
            if kept:
                _quarantine_many(con, kept)
            _notes(spec, rows, items)
            ids = [ctx.ingest_id for _, ctx, _ in items]
            if spec.after_many is not None:
                spec.after_many(con, ids)
            elif spec.after is not None:
                spec.after(con, ids[0])
        finally:
            _unregister(con, spec)


def _unregister(con: duckdb.DuckDBPyConnection, spec: Spec) -> None:
    with suppress(duckdb.Error):  # after an error the transaction rolls back anyway
        for view in ("_pu_named", "_pu_area", "_pu_v", "_pu_bad",
                     *(lookup.name for lookup in spec.lookups)):
            con.unregister(view)


def _pairs(rows: pa.Table) -> pa.Table:
    """The targets, forces and months of the good rows, with how many files have rows of each."""
    good = rows.select(["_file", "_target", "force", "month"]).filter(rows["reason"].is_null())
    return good.group_by(["_target", "force", "month"]).aggregate([("_file", "count_distinct")])


def _overlapping(pairs: pa.Table) -> bool:
    """Whether two files of a group have good rows of the same table, force and month."""
    counts = pairs["_file_count_distinct"]
    return len(counts) > 0 and int(pc.max(counts).as_py() or 0) > 1


def bulk_format(spec: Spec, table: str, key_column: str,
                detect: Callable[[list[str]], bool]) -> Format:
    """The engine's Format for a spec: ``table`` and ``key_column`` name its main target."""
    return Format(
        kind=spec.kind,
        table=table,
        key_column=key_column,
        required_columns=spec.columns,
        columns={key_column: pa.string()},
        detect=detect,
        bulk=SqlLoader(spec),
    )


def _named(spec: Spec, items: list[tuple[Prepared, BulkContext, IngestReport]]) -> pa.Table:
    """The parsed text columns of the files under the spec's names, file after file, with each
    row's file (``_file``, its index in ``items``), its position in the table (``_row``) and the
    values the file's name gives."""
    tables = []
    start = 0
    for number, (prepared, _, _) in enumerate(items):
        parsed = prepared.parsed
        table = parsed.table
        n = len(table)
        tables.append(pa.table({
            "line_number": table["line_number"],
            "_file": pa.array(np.full(n, number, dtype=np.int32)),
            "_row": pa.array(np.arange(start, start + n, dtype=np.int64)),
            **{alias: table[f"c{parsed.header.index(col)}"].cast(pa.large_string())
               for alias, col in spec.fields.items()},
            **{name: pa.array([value] * n, pa.string())
               for name, value in prepared.values.items()},
        }))
        start += n
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def verdict_sql(spec: Spec, values: list[str]) -> str:
    """The query giving each row of ``_pu_named`` (``values``: the columns the file names give),
    in no particular order, its position there (``_row``), its typed values, its first
    failing check (``reason``, ``column_name``), the target table it goes to (``_target``, the
    index in spec.targets), its key there before numbering (``_key``) and that key's hash
    (``_hash``), and whether the first row with that key keeps it bare (``_plain``)."""
    texts = ", ".join(f"nullif({alias}, '') AS {alias}" for alias in spec.fields)
    extra = "".join(f", {k}" for k in values)
    typed = ", ".join(f"{expr} AS {alias}" for alias, expr in spec.typed.items())
    joins = " ".join(lookup.join for lookup in spec.lookups)
    first = "CASE " + " ".join(f"WHEN {c.bad} THEN {i}" for i, c in enumerate(spec.checks)) + " END"
    reason = "CASE _check " + " ".join(
        f"WHEN {i} THEN {c.reason}" for i, c in enumerate(spec.checks)) + " END"
    columns = "[" + ", ".join(literal(c.column) for c in spec.checks) + "]"
    outputs = ", ".join(spec.typed)  # not the text, line and file: the caller has them
    return f"""
        SELECT *, hash(_key) AS _hash FROM (
        SELECT _row, {outputs}, {reason} AS reason,
               {columns}[_check + 1] AS column_name, {_by_target(spec, "where")},
               {_by_target(spec, "key")}, {_by_target(spec, "plain")}
        FROM (SELECT *, {first} AS _check FROM (SELECT *, {typed} FROM (
            SELECT * FROM (SELECT _row, line_number, _file, {texts}{extra} FROM _pu_named) n
            {joins}))) v)"""


def _by_target(spec: Spec, part: str) -> str:
    """SQL for each row's target index (``where``), key before numbering, or plain flag."""
    if part == "where":
        whens = " ".join(f"WHEN {t.where} THEN {i}" for i, t in enumerate(spec.targets))
        return f"CASE {whens} END AS _target"
    values = {i: (t.key.replace(CONTENT, spec.content()) if part == "key" else t.plain)
              for i, t in enumerate(spec.targets)}
    whens = " ".join(f"WHEN {i} THEN {v}" for i, v in values.items())
    return f"CASE _target {whens} END AS _{part}"


def _line_order(named: pa.Table) -> np.ndarray | None:
    """Indexes putting ``named`` in file and line order, or None when it already is (the lines
    parsed one by one come last in their file)."""
    files = named["_file"].to_numpy(zero_copy_only=False)
    lines = named["line_number"].to_numpy(zero_copy_only=False)
    if bool(np.all((files[1:] > files[:-1])
                   | ((files[1:] == files[:-1]) & (lines[1:] > lines[:-1])))):
        return None
    return np.lexsort((lines, files))


def _validated(con: duckdb.DuckDBPyConnection, spec: Spec, named: pa.Table) -> pa.Table:
    """The text columns in file and line order, with the typed values, reason, column_name and
    each good row's key occurrence (``_occ``, :func:`key_occurrences`) beside."""
    values = [name for name in named.column_names
              if name not in ("line_number", "_file", "_row", *spec.fields)]
    verdict = con.sql(verdict_sql(spec, values)).to_arrow_table()
    n = len(named)
    at = np.empty(n, dtype=np.int64)  # the verdict row of each row of ``named``
    at[verdict["_row"].to_numpy(zero_copy_only=False)] = np.arange(n)
    order = _line_order(named)
    if order is not None:
        named = named.take(order)
        at = at[order]
    if not np.array_equal(at, np.arange(n)):
        verdict = verdict.take(at)
    rows = named
    for name in verdict.column_names:
        if name not in ("_plain", "_hash") and name not in named.column_names:
            rows = rows.append_column(name, verdict[name])
    files = rows["_file"].to_numpy(zero_copy_only=False)
    return rows.append_column("_occ", pa.array(key_occurrences(verdict, files)))


def _occurrences(group: np.ndarray) -> np.ndarray:
    """Each row's occurrence (1, 2, ...) among the rows before it with the same ``group``."""
    order = np.argsort(group, kind="stable")  # rows are in line order: stable keeps it
    ranked = group[order]
    starts = np.r_[True, ranked[1:] != ranked[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(ranked)), 0))
    occurrence = np.empty(len(ranked), dtype=np.int64)
    occurrence[order] = np.arange(len(ranked)) - first + 1
    return occurrence


def key_occurrences(verdict: pa.Table, file: np.ndarray) -> np.ndarray:
    """For each good row, its occurrence ``n`` (in line order) among the good rows of its file
    (``file``, a row's index in the group) with the same target and key, or 0 where it keeps the
    bare key (the first, where ``_plain``): the row's key is ``_key`` then ``:<n>`` (see
    :func:`numbered_key`). Rows whose key's hash no other good row of the file and target shares
    are first; only the rest (rows sharing a key, and any hash collision) compare their keys.
    Done in NumPy: a SQL window over every row costs several times more."""
    n = len(verdict)
    good = verdict["reason"].is_null().to_numpy(zero_copy_only=False)
    target = verdict["_target"].fill_null(0).to_numpy(zero_copy_only=False).astype(np.uint64)
    files = file.astype(np.uint64)
    hashes = verdict["_hash"].fill_null(0).to_numpy(zero_copy_only=False).astype(np.uint64)
    candidates = np.flatnonzero(good)
    mixed = hashes[candidates] ^ ((files[candidates] << np.uint64(8)) | target[candidates])
    order = np.argsort(mixed)
    ranked = mixed[order]
    same = ranked[1:] == ranked[:-1]
    shared = np.r_[same, False] | np.r_[False, same]
    occurrence = np.ones(n, dtype=np.int64)
    rows = np.sort(candidates[order[shared]])
    if len(rows):
        codes = pc.dictionary_encode(verdict["_key"].take(pa.array(rows)).combine_chunks())
        code = codes.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        n_files = int(files.max()) + 1
        n_targets = int(target.max()) + 1
        occurrence[rows] = _occurrences(
            (code * n_files + files[rows].astype(np.int64)) * n_targets
            + target[rows].astype(np.int64))
    plain = verdict["_plain"].fill_null(False).to_numpy(zero_copy_only=False)
    return np.where((occurrence == 1) & plain, 0, occurrence)


def numbered_key(column: str = "_key", occurrence: str = "_occ") -> str:
    """SQL: a row's key as stored, from its key before numbering and its occurrence."""
    return (f"CASE WHEN {occurrence} = 0 THEN {column} "
            f"ELSE {column} || ':' || CAST({occurrence} AS VARCHAR) END")


def _bad(items: list[tuple[Prepared, BulkContext, IngestReport]],
         rows: pa.Table) -> list[list[tuple[int, str | None, str]]]:
    """Every row error of each file: from parsing, then from the checks; in line order."""
    failed = rows.filter(pc.is_valid(rows["reason"]))
    found: list[list[tuple[int, str | None, str]]] = [[] for _ in items]
    for file, line, column, reason in zip(
            failed["_file"].to_pylist(), failed["line_number"].to_pylist(),
            failed["column_name"].to_pylist(), failed["reason"].to_pylist(), strict=True):
        found[file].append((line, column, reason))
    return [sorted([*prepared.parsed.bad, *more])
            for (prepared, _, _), more in zip(items, found, strict=True)]


def _report_counts(report: IngestReport, parsed: Parsed,
                   bad: list[tuple[int, str | None, str]]) -> None:
    report.rows_read = parsed.rows_read
    report.rows_quarantined = len(bad)
    report.reasons = Counter(reason for _, _, reason in bad)


def insert_sql(spec: Spec, index: int, *, scope: str | None = "true") -> str:
    """Insert the good rows of target ``index``; the statement returns how many went in. A row
    whose key the table already holds among its rows where ``scope`` (SQL) holds is skipped (a
    duplicate); ``scope=None`` inserts without looking (the file's forces and months are new)."""
    target = spec.targets[index]
    columns = ", ".join(f"{expr} AS {name}" for name, expr in target.columns.items())
    texts = ", ".join(f"nullif({alias}, '') AS {alias}" for alias in spec.fields)
    known = "" if scope is None else (
        f"WHERE NOT EXISTS (SELECT 1 FROM (SELECT {target.key_column} AS _held FROM "
        f"{target.table} WHERE {scope}) h WHERE h._held = v._key)")
    return f"""
        INSERT INTO {target.table} BY NAME
        SELECT v._key AS {target.key_column}, v._ingest AS ingest_id, {columns}
        FROM (SELECT * REPLACE ({texts}, {numbered_key()} AS _key) FROM _pu_v
              WHERE reason IS NULL AND _target = {index}) v
        {target.joins} {known}"""


TARGET_TABLES = ("crimes", "asb_incidents", "outcomes", "stop_search")


def _fill_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse made before ``loaded_months`` existed: list the forces and months its tables
    hold, once (while the ledger is empty and a table is not)."""
    if con.execute("SELECT count(*) FROM loaded_months").fetchall()[0][0]:
        return
    for table in TARGET_TABLES:
        con.execute(f"INSERT INTO loaded_months SELECT DISTINCT '{table}', force, month "
                    f"FROM {table} WHERE force IS NOT NULL AND month IS NOT NULL")


def held_months(con: duckdb.DuckDBPyConnection, spec: Spec, rows: pa.Table,
                pairs: pa.Table | None = None,
                ) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """For each target: the forces and months of the file's rows that go to it, and those of
    them its table already holds (from the small ``loaded_months`` ledger, never a scan of the
    table: police.uk publishes a force's month whole, so a force-month the table lacks has no row
    of the file already, and its rows need no key check). ``pairs``: :func:`_pairs` of ``rows``,
    if known."""
    _fill_ledger(con)
    listed = (_pairs(rows) if pairs is None else pairs).select(["_target", "force", "month"])
    found = [p for p in listed.to_pylist()
              if p["force"] is not None and p["month"] is not None and p["_target"] is not None]
    out = []
    for index, target in enumerate(spec.targets):
        mine = [{"force": p["force"], "month": p["month"]} for p in found
                if p["_target"] == index]
        held: list[dict[str, Any]] = []
        if mine:
            con.register("_pu_pairs", pa.Table.from_pylist(mine, pa.schema(
                [("force", pa.string()), ("month", pa.date32())])))
            held = [{"force": f, "month": m} for f, m in con.execute(
                "SELECT p.force, p.month FROM _pu_pairs p JOIN loaded_months l "
                "ON l.table_name = ? AND l.force = p.force AND l.month = p.month",
                [target.table]).fetchall()]
            con.unregister("_pu_pairs")
        out.append((mine, held))
    return out


def _scope(held: list[dict[str, Any]]) -> str:
    """SQL: the rows of the held forces and months (all rows beyond MAX_PAIRS of them)."""
    if len(held) > MAX_PAIRS:
        return "true"
    return " OR ".join(f"(force = {literal(p['force'])} AND month = DATE '{p['month']}')"
                       for p in held)


def _insert(con: duckdb.DuckDBPyConnection, spec: Spec, index: int,
            months: tuple[list[dict[str, Any]], list[dict[str, Any]]], careful: bool,
            rows: pa.Table, items: list[tuple[Prepared, BulkContext, IngestReport]]) -> np.ndarray:
    """Insert target ``index``'s new rows; returns how many went in, per file."""
    mine, held = months
    per_file = np.zeros(len(items), dtype=np.int64)
    if not mine:
        return per_file
    scope = "true" if careful else (_scope(held) if held else None)
    sql = insert_sql(spec, index, scope=scope)
    inserted = int(con.execute(sql).fetchall()[0][0])
    table = spec.targets[index].table
    if len(items) == 1:
        per_file[0] = inserted
    elif scope is None:  # every good row of the target went in
        mask = pc.and_(rows["reason"].is_null(), pc.equal(rows["_target"], index))
        files = rows["_file"].filter(mask).to_numpy(zero_copy_only=False)
        per_file += np.bincount(files, minlength=len(items))
    else:
        ids = {ctx.ingest_id: n for n, (_, ctx, _) in enumerate(items)}
        for ingest_id, n in con.execute(
                f"SELECT ingest_id, count(*) FROM {table} WHERE ingest_id IN "
                f"({', '.join(str(i) for i in ids)}) GROUP BY ingest_id").fetchall():
            per_file[ids[int(ingest_id)]] = int(n)
    new = [p for p in mine if p not in held]
    if new:
        con.register("_pu_pairs", pa.Table.from_pylist(new, pa.schema(
            [("force", pa.string()), ("month", pa.date32())])))
        con.execute(f"INSERT INTO loaded_months SELECT '{table}', force, month FROM _pu_pairs "
                     f"WHERE NOT EXISTS (SELECT 1 FROM loaded_months l WHERE l.table_name = "
                     f"'{table}' AND l.force = _pu_pairs.force AND l.month = _pu_pairs.month)")
        con.unregister("_pu_pairs")
    return per_file


def quarantine_rows(con: duckdb.DuckDBPyConnection, ctx: BulkContext, parsed: Parsed,
                    bad: list[tuple[int, str | None, str]]) -> None:
    """Keep a file's bad rows in quarantine: (line, column or None, reason), with the raw line."""
    lines = [line for line, _, _ in bad]
    con.register("_pu_bad", pa.table({
        "ingest_id": pa.array([ctx.ingest_id] * len(bad), pa.int64()),
        "file_name": pa.array([ctx.source.name] * len(bad), pa.string()),
        "line_number": pa.array(lines, pa.int64()),
        "column_name": pa.array([column for _, column, _ in bad], pa.string()),
        "reason": pa.array([reason for _, _, reason in bad], pa.string()),
        "raw_text": pa.array([parsed.raw(line) for line in lines], pa.string()),
    }))
    con.execute("INSERT INTO quarantine BY NAME SELECT * FROM _pu_bad")


def _quarantine_many(con: duckdb.DuckDBPyConnection,
                     kept: list[tuple[Parsed, BulkContext, list[tuple[int, str | None, str]]]],
                     ) -> None:
    """Keep the bad rows of several files in quarantine, in one statement."""
    con.register("_pu_bad", pa.table({
        "ingest_id": pa.array([ctx.ingest_id for _, ctx, bad in kept for _ in bad], pa.int64()),
        "file_name": pa.array([ctx.source.name for _, ctx, bad in kept for _ in bad],
                              pa.string()),
        "line_number": pa.array([line for _, _, bad in kept for line, _, _ in bad], pa.int64()),
        "column_name": pa.array([column for _, _, bad in kept for _, column, _ in bad],
                                pa.string()),
        "reason": pa.array([reason for _, _, bad in kept for _, _, reason in bad], pa.string()),
        "raw_text": pa.array([parsed.raw(line) for parsed, _, bad in kept for line, _, _ in bad],
                             pa.string()),
    }))
    con.execute("INSERT INTO quarantine BY NAME SELECT * FROM _pu_bad")


def _notes(spec: Spec, rows: pa.Table,
           items: list[tuple[Prepared, BulkContext, IngestReport]]) -> None:
    """Kept rows worth knowing about (e.g. no location), counted in each file's report and
    message."""
    messages: list[list[str]] = [[] for _ in items]
    good = rows["reason"].is_null()
    for note, column in spec.notes.items():
        files = rows["_file"].filter(pc.and_(good, rows[column].is_null()))
        counts = np.bincount(files.to_numpy(zero_copy_only=False), minlength=len(items))
        for (_, _, report), said, n in zip(items, messages, counts.tolist(), strict=True):
            if n:
                report.notes[note] = int(n)
                said.append(f"{n:,} rows with {note} (kept)")
    for (prepared, _, report), said in zip(items, messages, strict=True):
        if prepared.parsed.encoding != "utf-8":
            said.append(f"decoded as {prepared.parsed.encoding}")
        report.message = "; ".join(said)
