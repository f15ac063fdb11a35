"""Open data: what is public, as CSV or Parquet (written by DuckDB).

Every dataset is an aggregate: counts by month, category and area. No crime references, no
coordinates finer than an LSOA, no survey responses. Files are written once per data version and
reused until the data changes.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paragon.errors import NotFoundError
from paragon.web.context import WebContext
from paragon.web.data.adapters import display_year, milestones, source_of
from paragon.web.data.local import PUBLIC_PRIORITY_FIELDS

if TYPE_CHECKING:  # pyarrow loads when a file is first written, not with the field names
    import pyarrow as pa

FORMATS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    description: str
    columns: tuple[str, ...]


DATASETS = (
    Dataset("crimes-by-neighbourhood-month", "Recorded crime by neighbourhood, month and category",
            "Every month in the warehouse. Neighbourhoods are MSOAs (about 7,000 residents).",
            ("month", "lpu_id", "neighbourhood_id", "neighbourhood_name", "category", "crimes")),
    Dataset("crimes-by-lsoa-last-12-months", "Recorded crime by LSOA and category, last 12 months",
            "LSOAs are small census areas of about 1,500 residents.",
            ("lsoa_code", "lsoa_name", "neighbourhood_id", "lpu_id", "category", "crimes")),
    Dataset("asb-by-neighbourhood-month", "Anti-social behaviour incidents by neighbourhood and "
            "month", "Every month in the warehouse.",
            ("month", "lpu_id", "neighbourhood_id", "neighbourhood_name", "incidents")),
    Dataset("outcomes-by-lpu-month", "What happened: crimes by LPU, month recorded and outcome",
            "The latest outcome of each crime, grouped by the month it was recorded.",
            ("month", "lpu_id", "outcome", "crimes")),
    Dataset("milestones", "The plan's milestones this year, with status and uncertainty",
            "One row per milestone of the plan's four tables.", ()),
    Dataset("local-priorities", "Local priorities and results (you said, we did)",
            "Every local priority, open and closed.", PUBLIC_PRIORITY_FIELDS),
)

PUBLIC_MILESTONE_FIELDS = (
    "table", "title", "measure", "kind", "better", "year", "period_start", "period_end", "months",
    "partial_year", "unit", "value", "value_lower", "value_upper", "published_value",
    "baseline_year", "baseline", "compared_with", "comparison_value", "milestone_published",
    "milestone", "change_pct", "change_lower", "change_upper", "change_unit",
    "change_significant", "status", "beyond_noise", "projected", "probability_met", "assurance",
)


def dataset(dataset_id: str) -> Dataset:
    for d in DATASETS:
        if d.id == dataset_id:
            return d
    raise NotFoundError(f"There is no dataset called '{dataset_id[:60]}'.")


def _sql(ctx: WebContext, dataset_id: str) -> tuple[str, list[Any]]:
    force, source = ctx.plan().force, source_of(ctx)
    geo = ("LEFT JOIN (SELECT DISTINCT neighbourhood_id, neighbourhood_name FROM geography) g "
           "USING (neighbourhood_id)")
    if dataset_id == "crimes-by-neighbourhood-month":
        return (f"SELECT strftime(month, '%Y-%m') AS month, lpu_id, neighbourhood_id, "
                f"neighbourhood_name, coalesce(category, 'Other crime') AS category, "
                f"count(*) AS crimes FROM crimes {geo} WHERE force = ? AND source = ? "
                f"GROUP BY ALL ORDER BY ALL", [force, source])
    if dataset_id == "crimes-by-lsoa-last-12-months":
        return ("SELECT lsoa_code, lsoa_name, neighbourhood_id, lpu_id, "
                "coalesce(category, 'Other crime') AS category, count(*) AS crimes FROM crimes "
                "WHERE force = ? AND source = ? AND lsoa_code IS NOT NULL AND month > "
                "(SELECT max(month) FROM crimes WHERE force = ? AND source = ?) "
                "- INTERVAL 12 MONTH "
                "GROUP BY ALL ORDER BY ALL", [force, source, force, source])
    if dataset_id == "asb-by-neighbourhood-month":
        return (f"SELECT strftime(month, '%Y-%m') AS month, lpu_id, neighbourhood_id, "
                f"neighbourhood_name, count(*) AS incidents FROM asb_incidents {geo} "
                f"WHERE force = ? GROUP BY ALL ORDER BY ALL", [force])
    if dataset_id == "outcomes-by-lpu-month":
        return ("SELECT strftime(month, '%Y-%m') AS month, lpu_id, "
                "coalesce(outcome_type, last_outcome, 'under investigation') AS outcome, "
                "count(*) AS crimes FROM crimes WHERE force = ? AND source = ? "
                "GROUP BY ALL ORDER BY ALL", [force, source])
    raise NotFoundError(f"There is no dataset called '{dataset_id[:60]}'.")


def _arrow(ctx: WebContext, dataset_id: str) -> pa.Table:
    import pyarrow as pa

    if dataset_id == "milestones":
        rows = milestones(ctx, display_year(ctx, ctx.plan()))
        return pa.Table.from_pylist([
            {k: (None if isinstance(r.get(k), list) else r.get(k)) for k in PUBLIC_MILESTONE_FIELDS}
            for r in rows
        ])
    rows = ctx.ops.query(
        f"SELECT {', '.join(PUBLIC_PRIORITY_FIELDS)} FROM priorities ORDER BY priority_id"
    )
    return pa.Table.from_pylist(rows) if rows else pa.table(
        {k: pa.array([], pa.string()) for k in PUBLIC_PRIORITY_FIELDS})


_write_lock = threading.Lock()
_directory: tempfile.TemporaryDirectory[str] | None = None
_directory_pid = 0


def _folder() -> Path:
    """This process's folder of export files, made when first needed (a process that exports
    nothing leaves no folder behind) and never shared with a forked worker (a worker that exits
    would remove it under the others)."""
    global _directory, _directory_pid
    with _write_lock:
        if _directory is None or _directory_pid != os.getpid():
            _directory = tempfile.TemporaryDirectory(prefix="paragon-opendata-")
            _directory_pid = os.getpid()
        return Path(_directory.name)


def export_file(ctx: WebContext, dataset_id: str, fmt: str) -> Path:
    """The dataset as a file (written by DuckDB's COPY), reused while the data is unchanged; the
    files of older data versions are deleted when a newer one is written. CSV text cells are
    formula-safe (:mod:`paragon.csv_safe`)."""
    from paragon.csv_safe import safe_table

    if fmt not in FORMATS:
        raise NotFoundError(f"Downloads come as {' or '.join(FORMATS)}, not '{fmt[:20]}'.")
    dataset(dataset_id)
    version = "-".join(str(v) for v in ctx.data_version())
    folder = _folder()
    path = folder / f"{id(ctx)}-{version}-{dataset_id}.{fmt}"
    with _write_lock:
        if path.exists():
            return path
        options = "FORMAT CSV, HEADER" if fmt == "csv" else "FORMAT PARQUET"
        cur = ctx.warehouse.cursor()
        try:
            if dataset_id in ("milestones", "local-priorities"):
                table = _arrow(ctx, dataset_id)
            else:
                sql, params = _sql(ctx, dataset_id)
                table = cur.execute(sql, params).to_arrow_table()
            if fmt == "csv":
                table = safe_table(table)
            cur.register("export_rows", table)
            partial = path.with_name(path.name + ".partial")
            cur.execute(f"COPY export_rows TO '{partial}' ({options})")
            partial.replace(path)
        finally:
            cur.close()
        for old in folder.glob(f"{id(ctx)}-*-{dataset_id}.{fmt}"):
            if old != path:
                old.unlink(missing_ok=True)
    return path
