"""Property test: real police.uk files, corrupted in the ways real files go wrong, never break the
ingest invariants, and every corrupted line is quarantined with its exact line number.

Corruptions: truncated last line, wrong field counts, quotes left open, Windows-1252 and UTF-8 with
BOM, CRLF, blank lines, out-of-range and non-numeric coordinates, unknown categories and outcomes,
a 1 MB field, and the same file again under another name.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paragon.ingest.engine import IngestReport
from paragon.ingest.registry import ingest_paths
from paragon.plan import default_plan
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "policeuk"
PLAN = default_plan()
TABLES = ("crimes", "asb_incidents", "outcomes", "stop_search")


@dataclass(frozen=True)
class Base:
    """A real file (its first ``rows`` rows) and which columns to corrupt."""

    path: Path
    rows: int
    coordinate: int
    category: int
    outcome: int | None
    text: int

    def lines(self) -> list[str]:
        return self.path.read_text("utf-8").splitlines()[: self.rows + 1]


BASES = [
    Base(DATA / "street" / "2021-01-city-of-london-street.csv", 247, 4, 9, 10, 6),
    Base(DATA / "street" / "2011-02-west-midlands-street.csv", 300, 3, 6, None, 5),
    Base(DATA / "outcomes" / "2016-11-city-of-london-outcomes.csv", 173, 5, 9, 9, 6),
    Base(DATA / "stop-and-search" / "2019-12-durham-stop-and-search.csv", 145, 5, 0, None, 11),
]
ROW_CORRUPTIONS = ("extra field", "missing field", "open quote", "coordinate out of range",
                   "coordinate not a number", "unknown category", "unknown outcome", "1 MB field")


def corrupt_row(line: str, how: str, base: Base) -> str:
    fields = line.split(",")
    if how == "extra field":
        return line + ",extra"
    if how == "missing field":
        return ",".join([*fields[:-2], fields[-2] + fields[-1]])
    if how == "open quote":
        fields[base.text] = '"' + fields[base.text]
    elif how == "coordinate out of range":
        fields[base.coordinate] = "99999999"
    elif how == "coordinate not a number":
        fields[base.coordinate] = "fifty-one"
    elif how == "unknown category":
        fields[base.category] = "Teleportation"
    elif how == "unknown outcome":
        fields[base.outcome if base.outcome is not None else base.category] = "Sent to the moon"
    elif how == "1 MB field":
        fields[base.text] = "x" * 1_000_000
    return ",".join(fields)


@st.composite
def corrupted(draw: st.DrawFn) -> tuple[Base, bytes, str, set[int], int]:
    """A corrupted file: its bytes and encoding, the line numbers that must be quarantined, and
    how many physical lines hold a row."""
    base = draw(st.sampled_from(BASES))
    lines = base.lines()
    picks = draw(st.lists(st.tuples(st.integers(1, len(lines) - 1), st.sampled_from(ROW_CORRUPTIONS)),
                          max_size=6, unique_by=lambda p: p[0]))
    entries = [(line, False) for line in lines]
    for index, how in picks:
        entries[index] = (corrupt_row(lines[index], how, base), True)
    for at in draw(st.lists(st.integers(1, len(entries)), max_size=3)):
        entries.insert(at, ("", False))  # blank lines
    if draw(st.booleans()):  # the last line cut short (a download that stopped)
        text, _ = entries[-1]
        entries[-1] = (text[: draw(st.integers(0, max(0, len(text) - 1)))], False)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    if encoding == "cp1252":
        i = draw(st.integers(1, len(entries) - 1))
        entries[i] = (entries[i][0].replace("On or near ", "On or near Café "), entries[i][1])
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    data = (newline.join(t for t, _ in entries) + draw(st.sampled_from([newline, ""])))
    must_fail = {n for n, (_, bad) in enumerate(entries, start=1) if bad}
    rows = sum(1 for t, _ in entries[1:] if t)
    return base, data.encode(encoding), encoding, must_fail, rows


def loaded_rows(wh: Warehouse, report: IngestReport) -> int:
    return sum(wh.scalar(f"SELECT count(*) FROM {t} WHERE ingest_id = ?", [report.ingest_id])
               for t in TABLES)


def check(report: IngestReport, wh: Warehouse) -> None:
    assert report.rows_read == (report.rows_loaded + report.rows_quarantined
                                + report.rows_duplicate)
    assert loaded_rows(wh, report) == report.rows_loaded


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(corrupted())
def test_corrupted_files_keep_the_invariants(
        case: tuple[Base, bytes, str, set[int], int]) -> None:
    base, data, encoding, must_fail, rows = case
    with tempfile.TemporaryDirectory() as tmp, Warehouse.open(Path(tmp) / "w.duckdb") as wh:
        path = Path(tmp) / base.path.name
        path.write_bytes(data)
        [first] = ingest_paths(wh, [path], PLAN)
        check(first, wh)
        assert first.rows_read == rows
        quarantined = {r["line_number"]: r for r in wh.query(
            "SELECT line_number, reason, raw_text FROM quarantine WHERE ingest_id = ?",
            [first.ingest_id])}
        assert len(quarantined) == first.rows_quarantined
        assert must_fail <= set(quarantined), (must_fail - set(quarantined), quarantined)
        lines = data.decode(encoding).splitlines()
        for number, row in quarantined.items():  # the raw text is that physical line's
            assert lines[number - 1].startswith(row["raw_text"][:80])
        [again] = ingest_paths(wh, [path], PLAN)
        check(again, wh)
        assert again.rows_loaded == 0
        copy = Path(tmp) / ("copy-of-" + base.path.name)
        copy.write_bytes(data)
        [twin] = ingest_paths(wh, [copy], PLAN)
        check(twin, wh)
        assert twin.rows_loaded == 0
        assert wh.scalar("SELECT count(*) FROM quarantine") == first.rows_quarantined
