"""A file's bytes to named columns, one row per physical line, without a Python loop over lines.

Line numbers are physical: the header is line 1, and CRLF, LF and a lone CR each end one line (as
in the row-by-row engine; CRLF is left in place and stripped from the last field). A line with
nothing on it is not a row. Every other line is a row read:

- most lines are split on ``,`` by pyarrow (``split_pattern``), vectorised;
- the few lines holding a double quote, a NUL byte, or more than MAX_FIELD_CHARS bytes are parsed
  one by one with :mod:`csv` (a quote left open is a row error, not a swallowed file);
- a row with the wrong number of fields is a row error naming the count.

The result is an Arrow table (``line_number`` and one text column per header column, ``c0``...),
which DuckDB scans without copying, plus the row errors found on the way.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from paragon.errors import IngestError
from paragon.ingest.engine import MAX_FIELD_CHARS, RAW_TEXT_CHARS, decode, read_header

BOM = b"\xef\xbb\xbf"
NUL_MARK = "\ufffd".encode()


@dataclass
class Parsed:
    header: list[str]
    encoding: str
    rows_read: int
    table: pa.Table  # line_number, c0 .. c{width-1}: the rows with the right number of fields
    bad: list[tuple[int, str | None, str]] = field(default_factory=list)  # line, column, reason
    data: bytes = b""
    starts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def raw(self, line_number: int) -> str:
        """The text of a physical line (for the quarantine), at most RAW_TEXT_CHARS."""
        i = line_number - 1
        text = self.data[self.starts[i]:self.starts[i + 1]].decode("utf-8", "replace")
        return text.rstrip("\r\n")[:RAW_TEXT_CHARS]


def to_utf8(data: bytes, name: str) -> tuple[bytes, str]:
    """UTF-8 (BOM dropped) as it is; anything else decoded as Windows-1252 and re-encoded."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        data.decode("utf-8")
        return data, "utf-8"
    except UnicodeDecodeError:
        text, encoding = decode(data, name)
        return text.encode("utf-8"), encoding


def _starts(buf: np.ndarray) -> np.ndarray:
    """Offsets where each physical line starts, then the end of the data."""
    ends = np.flatnonzero(buf == 10) + 1
    if len(ends) and ends[-1] == len(buf):
        ends = ends[:-1]
    return np.concatenate(([0], ends, [len(buf)])).astype(np.int64)


def _lone_cr(buf: np.ndarray) -> bool:
    """Whether a CR ends a line on its own (not followed by LF)."""
    cr = np.flatnonzero(buf == 13)
    return bool(len(cr)) and not bool(np.all(buf[np.minimum(cr + 1, len(buf) - 1)] == 10)
                                      and cr[-1] + 1 < len(buf))


def _lines_with(buf: np.ndarray, starts: np.ndarray, byte: int) -> np.ndarray:
    """Line indexes (0-based) of the lines that contain ``byte``."""
    where = np.flatnonzero(buf == byte)
    return np.unique(np.searchsorted(starts, where, side="right") - 1)


def _parse_one(text: str, width: int, has_nul: bool) -> tuple[list[str] | None, str | None]:
    """Fields of one awkward line, or why it cannot be read."""
    if has_nul:
        return None, "line holds a NUL byte"
    if text.count('"') % 2:
        return None, "quote left open"
    try:
        fields = next(csv.reader([text], strict=True))
    except (csv.Error, StopIteration):
        return None, "badly quoted field"
    if len(fields) != width:
        return None, f"expected {width} fields, found {len(fields)}"
    return fields, None


def _slow_rows(parsed: Parsed, indexes: np.ndarray, nul: set[int]) -> pa.Table:
    """Rows of the lines parsed one by one; errors go to ``parsed.bad``."""
    width = len(parsed.header)
    numbers: list[int] = []
    columns: list[list[str]] = [[] for _ in range(width)]
    for index in indexes.tolist():
        fields, reason = _parse_one(parsed.raw(index + 1), width, index in nul)
        long = next((i for i, v in enumerate(fields or []) if len(v) > MAX_FIELD_CHARS), None)
        if fields is None or long is not None:
            column = None if long is None else parsed.header[long]
            parsed.bad.append((index + 1, column, reason or
                               f"field longer than {MAX_FIELD_CHARS:,} characters"))
            continue
        numbers.append(index + 1)
        for i, value in enumerate(fields):
            columns[i].append(value)
    texts = {f"c{i}": pa.array(col, pa.large_string()) for i, col in enumerate(columns)}
    return pa.table({"line_number": pa.array(numbers, pa.int64()), **texts})


def _fast_rows(parsed: Parsed, lines: pa.Array, fast: np.ndarray) -> pa.Table:
    """Rows of the ordinary lines, split by pyarrow; wrong field counts go to ``parsed.bad``."""
    width = len(parsed.header)
    split = pc.split_pattern(lines, ",")
    counts = pc.list_value_length(split).to_numpy(zero_copy_only=False)
    good = fast & (counts == width)
    for index in np.flatnonzero(fast & (counts != width)).tolist():
        parsed.bad.append((index + 1, None, f"expected {width} fields, found {counts[index]}"))
    kept = pc.filter(split, pa.array(good))
    columns = {f"c{i}": pc.list_element(kept, i) for i in range(width)}
    columns[f"c{width - 1}"] = pc.utf8_rtrim(columns[f"c{width - 1}"], characters="\r\n")
    numbers = pa.array(np.flatnonzero(good) + 1)
    return pa.table({"line_number": numbers, **columns})


def parse_lines(data: bytes, name: str) -> Parsed:
    """Decode ``data`` and split it into rows of named columns (see the module docstring)."""
    data, encoding = to_utf8(data, name)
    buf = np.frombuffer(data, dtype=np.uint8)
    if _lone_cr(buf):  # old Mac line ends: make them LF (CRLF stays: it ends a line as it is)
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buf = np.frombuffer(data, dtype=np.uint8)
    if not data.strip():
        raise IngestError(f"{name}: the file is empty")
    starts = _starts(buf)
    nul = _lines_with(buf, starts, 0) if b"\x00" in data else np.empty(0, dtype=np.int64)
    if len(nul):
        data = data.replace(b"\x00", NUL_MARK)
        buf = np.frombuffer(data, dtype=np.uint8)
        starts = _starts(buf)
    ends_lf = buf[starts[1:] - 1] == 10
    ends_crlf = ends_lf & (buf[np.maximum(starts[1:] - 2, 0)] == 13) & (np.diff(starts) >= 2)
    lengths = np.diff(starts) - ends_lf - ends_crlf
    header = read_header(name, data[: starts[0] + lengths[0]].decode("utf-8"))
    parsed = Parsed(header, encoding, 0, pa.table({}), data=data, starts=starts)
    rows = lengths > 0
    rows[0] = False
    parsed.rows_read = int(rows.sum())
    slow = np.zeros(len(lengths), dtype=bool)
    slow[nul] = True
    if b'"' in data:
        slow[_lines_with(buf, starts, 34)] = True
    slow |= lengths > MAX_FIELD_CHARS
    slow &= rows
    lines = pa.LargeStringArray.from_buffers(len(lengths), pa.py_buffer(starts),
                                             pa.py_buffer(data))
    fast = _fast_rows(parsed, lines, rows & ~slow)
    parsed.table = fast if not slow.any() else pa.concat_tables(
        [fast, _slow_rows(parsed, np.flatnonzero(slow), set(nul.tolist()))])
    return parsed
