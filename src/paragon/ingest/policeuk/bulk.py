"""The vectorised ingest path: a whole file validated and loaded at once, not row by row.

How one file goes through (the engine runs ``load`` inside the file's one transaction):

1. ``lines.parse_lines``: bytes to rows of text columns in Arrow, with physical line numbers;
   rows with the wrong field count or an open quote are row errors already;
2. one DuckDB query over those columns casts the values (``try_cast``) and gives each row its
   first failing check, in the spec's order, as ``reason`` and ``column_name``;
3. the typed values join the text columns in Arrow (no copy); ``geo`` adds British National Grid
   (or lon/lat) with pyproj;
4. each target table gets its good rows in one ``INSERT OR IGNORE``: its primary key makes a row
   already in the warehouse a duplicate; rows of the file that share a key are numbered, so every
   row of a file is loaded once and the same file again loads nothing;
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

from paragon.ingest.engine import BulkContext, IngestReport, Source, check_columns
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
    file_values: Callable[[Source], dict[str, str | None]] = lambda _s: {}
    after: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None
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
    """The engine's BulkLoader for one :class:`Spec`."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def prepare(self, data: bytes, source: Source) -> Prepared:
        parsed = parse_lines(data, source.name)
        check_columns(source.name, parsed.header, self.spec.kind, self.spec.columns)
        return Prepared(parsed, self.spec.file_values(source))

    def load(self, con: duckdb.DuckDBPyConnection, prepared: Any, ctx: BulkContext,
             report: IngestReport) -> None:
        assert isinstance(prepared, Prepared)
        spec, parsed = self.spec, prepared.parsed
        named = _named(spec, parsed)
        try:
            con.register("_pu_named", named)
            con.register("_pu_area", geo.areas())
            for lookup in spec.lookups:
                con.register(lookup.name, lookup.table())
            rows = _validated(con, spec, prepared.values, named)
            rows = geo.add_coordinates(rows, spec.coordinates)
            con.register("_pu_v", rows)
            bad = _bad(parsed, rows)
            _report_counts(report, parsed, bad)
            report.rows_loaded = sum(_insert(con, spec, t, ctx) for t in spec.targets)
            report.rows_duplicate = report.rows_read - report.rows_quarantined - report.rows_loaded
            if report.rows_duplicate:
                report.reasons["duplicate"] = report.rows_duplicate
            if ctx.keep_quarantine and bad:
                _quarantine(con, ctx, parsed, bad)
            _notes(spec, rows, report, parsed.encoding)
            if spec.after is not None:
                spec.after(con, ctx.ingest_id)
        finally:
            with suppress(duckdb.Error):  # after an error the transaction rolls back anyway
                for view in ("_pu_named", "_pu_area", "_pu_v", "_pu_bad",
                             *(lookup.name for lookup in spec.lookups)):
                    con.unregister(view)


def _named(spec: Spec, parsed: Parsed) -> pa.Table:
    """The parsed text columns under the spec's names."""
    table = parsed.table
    return pa.table({
        "line_number": table["line_number"],
        **{alias: table[f"c{parsed.header.index(col)}"] for alias, col in spec.fields.items()},
    })


def verdict_sql(spec: Spec, values: dict[str, str | None]) -> str:
    """The query giving each row of ``_pu_named`` its typed values and first failing check, in
    line order."""
    texts = ", ".join(f"nullif({alias}, '') AS {alias}" for alias in spec.fields)
    extra = "".join(f", {literal(v)}::VARCHAR AS {k}" for k, v in values.items())
    typed = ", ".join(f"{expr} AS {alias}" for alias, expr in spec.typed.items())
    joins = " ".join(lookup.join for lookup in spec.lookups)
    reason = "CASE " + " ".join(f"WHEN {c.bad} THEN {c.reason}" for c in spec.checks) + " END"
    column = "CASE " + " ".join(f"WHEN {c.bad} THEN {literal(c.column)}" for c in spec.checks)
    outputs = ", ".join([*spec.typed, *values])
    return f"""
        SELECT line_number, {outputs}, {reason} AS reason, {column} END AS column_name
        FROM (SELECT *, {typed} FROM (
            SELECT * FROM (SELECT line_number, {texts}{extra} FROM _pu_named) n {joins}))
        ORDER BY line_number"""


def _validated(con: duckdb.DuckDBPyConnection, spec: Spec, values: dict[str, str | None],
               named: pa.Table) -> pa.Table:
    """The text columns with the typed values, reason and column_name beside them."""
    verdict = con.sql(verdict_sql(spec, values)).to_arrow_table()
    if not np.array_equal(verdict["line_number"].to_numpy(), named["line_number"].to_numpy()):
        named = named.take(pc.sort_indices(named["line_number"]))  # slow lines come last
    rows = named
    for name in verdict.column_names[1:]:
        rows = rows.append_column(name, verdict[name])
    return rows


def _bad(parsed: Parsed, rows: pa.Table) -> list[tuple[int, str | None, str]]:
    """Every row error of the file: from parsing, then from the checks; in line order."""
    failed = rows.filter(pc.is_valid(rows["reason"]))
    found = zip(failed["line_number"].to_pylist(), failed["column_name"].to_pylist(),
                failed["reason"].to_pylist(), strict=True)
    return sorted([*parsed.bad, *found])


def _report_counts(report: IngestReport, parsed: Parsed,
                   bad: list[tuple[int, str | None, str]]) -> None:
    report.rows_read = parsed.rows_read
    report.rows_quarantined = len(bad)
    report.reasons = Counter(reason for _, _, reason in bad)


def insert_sql(spec: Spec, target: Target, ingest_id: int, *, check_keys: bool = True) -> str:
    """Insert the good rows ``target`` takes; the statement returns how many went in. With
    ``check_keys`` a key already in the table is skipped (a duplicate); without, it is an error.
    Occurrences are numbered on a narrow projection (line, key), then joined to the wide rows."""
    columns = ", ".join(f"{expr} AS {name}" for name, expr in target.columns.items())
    key = target.key.replace(CONTENT, spec.content())
    texts = ", ".join(f"nullif({alias}, '') AS {alias}" for alias in spec.fields)
    return f"""
        WITH good AS (SELECT * REPLACE ({texts}) FROM _pu_v WHERE reason IS NULL),
        keys AS (
            SELECT _line, _key, _plain,
                   row_number() OVER (PARTITION BY _key ORDER BY _line) AS _occ
            FROM (SELECT line_number AS _line, {key} AS _key, ({target.plain}) AS _plain
                  FROM good v WHERE {target.where}))
        INSERT {"OR IGNORE " if check_keys else ""}INTO {target.table} BY NAME
        SELECT CASE WHEN k._plain AND k._occ = 1 THEN k._key ELSE k._key || ':' || k._occ END
                   AS {target.key_column},
               {ingest_id} AS ingest_id, {columns}
        FROM good v JOIN keys k ON k._line = v.line_number {target.joins}"""


def _new_to_table(con: duckdb.DuckDBPyConnection, target: Target) -> bool:
    """Whether the table holds no row of the forces and months this file's rows have: then their
    keys are new, and inserting needs no per-key check (checking costs more than inserting)."""
    pairs = con.execute(
        f"SELECT DISTINCT {target.columns['force']}, {target.columns['month']} "
        f"FROM _pu_v v WHERE reason IS NULL AND ({target.where}) LIMIT {MAX_PAIRS + 1}"
    ).fetchall()
    if len(pairs) > MAX_PAIRS:
        return False
    if not pairs:
        return True
    where = " OR ".join(f"(force = {literal(f)} AND month = DATE '{m}')" for f, m in pairs)
    return not con.execute(f"SELECT EXISTS (SELECT 1 FROM {target.table} WHERE {where})"
                           ).fetchall()[0][0]


def _insert(con: duckdb.DuckDBPyConnection, spec: Spec, target: Target, ctx: BulkContext) -> int:
    check_keys = ctx.careful or not _new_to_table(con, target)
    sql = insert_sql(spec, target, ctx.ingest_id, check_keys=check_keys)
    return int(con.execute(sql).fetchall()[0][0])


def _quarantine(con: duckdb.DuckDBPyConnection, ctx: BulkContext, parsed: Parsed,
                bad: list[tuple[int, str | None, str]]) -> None:
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


def _notes(spec: Spec, rows: pa.Table, report: IngestReport, encoding: str) -> None:
    """Kept rows worth knowing about (e.g. no location), counted in the report and message."""
    messages = []
    good = rows["reason"].is_null()
    for note, column in spec.notes.items():
        n = int(pc.sum(pc.and_(good, rows[column].is_null())).as_py() or 0)
        if n:
            report.notes[note] = n
            messages.append(f"{n:,} rows with {note} (kept)")
    if encoding != "utf-8":
        messages.append(f"decoded as {encoding}")
    report.message = "; ".join(messages)
