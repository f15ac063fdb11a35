"""What the force-crimes and survey bulk paths (force_crimes_bulk.py, surveys_bulk.py) share: the
file read (pyarrow's CSV reader for a plain file, ``parse_lines`` for any other), the trim the row
path applies, the raw text of quarantined rows, and small pieces of the SQL that checks a row
(the date and LSOA patterns, a value shown in a reason, a list of allowed values)."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from paragon.ingest.engine import MAX_FIELD_CHARS, Source, check_columns, read_header
from paragon.ingest.policeuk.lines import Parsed, parse_lines, to_utf8

TRIM = " \t\r\n\x0b\x0c"  # what Python's str.strip() removes from these ASCII fields
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$|^[0-9]{8}$"
LSOA_PATTERN = r"^[EW]01[0-9]{6}$"


def shown(text: str, width: int = 40) -> str:
    """SQL for the first ``width`` characters of the text column ``text`` in single quotes, as a
    reason shows a value."""
    return f"'''' || left({text}, {width}) || ''''"


def sql_list(values: tuple[str, ...]) -> str:
    """SQL for a list of text values, for ``IN``."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def plain_read(data: bytes, name: str) -> Parsed | None:
    """The file split by pyarrow's CSV reader when that gives exactly what ``parse_lines`` would:
    UTF-8 rows without quotes, carriage returns or NUL bytes, every row with the header's number of
    fields and none longer than MAX_FIELD_CHARS. None for any other file."""
    data, encoding = to_utf8(data, name)
    first = data.find(b"\n")
    if first < 0 or encoding != "utf-8":
        return None
    start = first + 1
    if (start == len(data) or data[start] == 10 or data.find(b"\n\n", start) >= 0
            or data.find(b'"', start) >= 0 or b"\r" in data or b"\x00" in data):
        return None
    body = memoryview(data)[start:]
    header = read_header(name, data[:first].decode("utf-8"))
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                check_utf8=False),
        )
    except pa.ArrowInvalid:  # a row with the wrong number of fields, a blank line: row by row
        return None
    longest = max((pc.max(pc.utf8_length(c)).as_py() or 0 for c in table.columns), default=0)
    if longest > MAX_FIELD_CHARS:
        return None
    table = table.add_column(0, "line_number", pa.array(np.arange(2, table.num_rows + 2)))
    return Parsed(header, encoding, table.num_rows, table)  # the text is read again if needed


def trimmed(table: pa.Table) -> pa.Table:
    """Every text column trimmed as the row path trims (pyarrow's trim is several times faster
    than DuckDB's trim with a set of characters, which dominated the load); a column with nothing
    to trim is kept as it is."""
    edge = "[" + "".join(f"\\x{ord(c):02x}" for c in TRIM) + "]"
    for i, name in enumerate(table.column_names):
        if name != "line_number" and pc.any(
            pc.match_substring_regex(table[name], f"^{edge}|{edge}$")
        ).as_py():
            table = table.set_column(i, name, pc.utf8_trim(table[name], TRIM))
    return table


def raw_lines(parsed: Parsed, source: Source) -> None:
    """The text and line starts for :meth:`Parsed.raw` (the plain read keeps neither: it reads
    the file again when a row is quarantined)."""
    if not parsed.data:
        parsed.data = to_utf8(source.read(), source.name)[0]
    if len(parsed.starts) == 0:
        ends = np.flatnonzero(np.frombuffer(parsed.data, np.uint8) == 10) + 1
        parsed.starts = np.concatenate(([0], ends[ends < len(parsed.data)],
                                        [len(parsed.data)])).astype(np.int64)


def read_checked(data: bytes, source: Source, kind: str, columns: tuple[str, ...]) -> Parsed:
    """A plain file read by pyarrow (else line by line), its header checked for ``kind``'s
    columns and its values trimmed: the prepare step of the force-crimes and survey loaders."""
    parsed = plain_read(data, source.name) or parse_lines(data, source.name)
    check_columns(source.name, parsed.header, kind, columns)
    parsed.table = trimmed(parsed.table)
    return parsed


def empty_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """No rows at all yet in ``table``: every key is new, so an insert needs no per-key check."""
    return not con.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchall()[0][0]
