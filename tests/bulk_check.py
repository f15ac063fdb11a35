"""Shared by the tests that hold a vectorised ingest path to its row path: load the same CSV files
through one path into a new warehouse, and read back the reports, the rows loaded and the
quarantine, ready to compare."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from paragon.ingest.engine import Format, ingest_file
from paragon.warehouse import Warehouse


def load_and_read(tmp_path: Path, name: str, header: str, files: list[list[str]],
                  fmt: Callable[[], Format], rows_query: str) -> dict[str, Any]:
    """Write each of ``files`` (lines under ``header``) to a CSV file and ingest it with a new
    ``fmt()`` into the warehouse ``name``; then ``reports`` (without path and ingest id), ``rows``
    (what ``rows_query`` returns) and ``quarantine`` (line, column, reason, raw text)."""
    with Warehouse.open(tmp_path / f"{name}.duckdb") as wh:
        reports = []
        for i, lines in enumerate(files):
            path = tmp_path / f"{name}-{i}.csv"
            path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
            got = ingest_file(wh, path, fmt()).as_dict()
            got.pop("path")
            got.pop("ingest_id")
            reports.append(got)
        rows = wh.cursor().execute(rows_query).fetchall()
        quarantine = wh.cursor().execute(
            "SELECT line_number, column_name, reason, raw_text FROM quarantine "
            "ORDER BY ingest_id, line_number"
        ).fetchall()
    return {"reports": reports, "rows": rows, "quarantine": quarantine}
