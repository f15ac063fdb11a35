"""CLI commands for getting data in and seeing what was refused: ``fetch`` and ``quarantine``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from paragon.cli_common import (
    DbOption,
    FormatOption,
    OutputFormat,
    PlanOption,
    err_console,
    open_warehouse,
    out_console,
    plan_for,
    print_csv,
    print_json,
    run,
    settings_for,
)

if TYPE_CHECKING:  # ingest modules are imported by the commands that use them
    from paragon.ingest.engine import IngestReport
    from paragon.warehouse import Warehouse

quarantine_app = typer.Typer(help="See the rows ingest refused, and why.", no_args_is_help=True)
TOP_REASONS = 3


def _force(value: str) -> str:
    from paragon.ingest.policeuk.vocab import FORCES

    if value not in FORCES:
        raise typer.BadParameter(f"unknown police.uk force '{value}' (one of: {', '.join(FORCES)})")
    return value


def _month(value: str) -> str:
    from paragon.ingest.policeuk.fetch import MONTH

    if not MONTH.match(value):
        raise typer.BadParameter(f"'{value}' is not a month (YYYY-MM)")
    return value


def _reports_table(reports: list[IngestReport]) -> Table:
    table = Table("file", "kind", "read", "loaded", "quarantined", "duplicate", "reasons")
    for r in reports:
        reasons = "; ".join(f"{k}: {v}" for k, v in r.reasons.most_common(4))
        table.add_row(
            Path(r.path.split("!")[-1]).name,
            r.kind,
            f"{r.rows_read:,}",
            f"{r.rows_loaded:,}",
            f"{r.rows_quarantined:,}",
            f"{r.rows_duplicate:,}",
            reasons,
        )
    return table


def fetch(
    force: Annotated[
        str,
        typer.Option("--force", callback=_force, help="police.uk force slug, e.g. west-midlands."),
    ],
    first: Annotated[str, typer.Option("--from", callback=_month, help="First month, YYYY-MM.")],
    last: Annotated[str, typer.Option("--to", callback=_month, help="Last month, YYYY-MM.")],
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="Where archives are kept (default: policeuk-archives/ beside the warehouse).",
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
    plan: PlanOption = None,
) -> None:
    """Download data.police.uk archives (resumable, verified) and ingest one force's files."""

    def body() -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskID,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        settings = settings_for(db, plan)
        folder = cache or Path(settings.db).parent / "policeuk-archives"
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err_console,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(name: str, done: int, total: int | None) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(f"{name}.zip", total=total)
                bar.update(tasks[name], completed=done, total=total)

            from paragon.ingest.policeuk.fetch import fetch as fetch_archives

            archives, sources = fetch_archives(
                force,
                first,
                last,
                cache=folder,
                base_url=settings.policeuk_base_url,
                progress=progress,
            )
        err_console.print(f"ingesting {len(sources)} files for {force}")
        with open_warehouse(settings) as wh:
            from paragon.ingest.registry import ingest_sources

            reports = ingest_sources(wh, sources, plan_for(settings))
        if fmt is OutputFormat.json:
            print_json(
                {
                    "archives": [a.as_dict() for a in archives],
                    "files": [r.as_dict() for r in reports],
                }
            )
        else:
            out_console.print(_reports_table(reports))

    run(body)


def _ingests(wh: Warehouse, limit: int) -> list[dict[str, Any]]:
    rows = wh.query(
        "SELECT ingest_id, path, file_name AS file, kind, started_at, rows_read, rows_loaded, "
        "rows_quarantined, rows_duplicate, status, message FROM ingests "
        "ORDER BY ingest_id DESC",
        limit=limit,
    )
    top: dict[int, dict[str, int]] = {r["ingest_id"]: {} for r in rows}
    for r in wh.query(  # only each ingest's commonest reasons leave the database
        "SELECT ingest_id, reason, count(*) AS n FROM quarantine "
        "WHERE ingest_id >= ? GROUP BY ingest_id, reason "
        "QUALIFY row_number() OVER (PARTITION BY ingest_id ORDER BY n DESC, reason) <= ? "
        "ORDER BY n DESC, reason",
        [min(top, default=0), TOP_REASONS],
    ):
        top[r["ingest_id"]][r["reason"]] = r["n"]
    for row in rows:
        row["top_reasons"] = top[row["ingest_id"]]
    return rows


@quarantine_app.command("list")
def quarantine_list(
    fmt: FormatOption = OutputFormat.table,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most recent ingests shown.")] = 100,
    db: DbOption = None,
) -> None:
    """Every ingest, most recent first: file, counts and the commonest reasons for refused rows."""

    def body() -> None:
        with open_warehouse(settings_for(db), read_only=True) as wh:
            rows = _ingests(wh, limit)
        if fmt is OutputFormat.json:
            print_json({"ingests": rows})
        elif fmt is OutputFormat.csv:
            print_csv([{**r, "top_reasons": "; ".join(r["top_reasons"])} for r in rows])
        else:
            table = Table(
                "id", "file", "kind", "read", "loaded", "quarantined", "duplicate", "top reasons"
            )
            for r in rows:
                table.add_row(
                    str(r["ingest_id"]),
                    r["file"],
                    r["kind"],
                    f"{r['rows_read']:,}",
                    f"{r['rows_loaded']:,}",
                    f"{r['rows_quarantined']:,}",
                    f"{r['rows_duplicate']:,}",
                    "; ".join(f"{k}: {v}" for k, v in r["top_reasons"].items()),
                )
            out_console.print(table)

    run(body)


@quarantine_app.command("show")
def quarantine_show(
    ingest: Annotated[int | None, typer.Option("--ingest", help="One ingest's rows.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most rows shown.")] = 50,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """The refused rows: file, line number, column, reason and the raw text of the line."""

    def body() -> None:
        where, params = ("WHERE ingest_id = ?", [ingest]) if ingest is not None else ("", [])
        with open_warehouse(settings_for(db), read_only=True) as wh:
            total = int(wh.scalar(f"SELECT count(*) FROM quarantine {where}", params))
            rows = wh.query(
                "SELECT ingest_id, file_name AS file, line_number AS line, column_name AS column, "
                f"reason, raw_text FROM quarantine {where} "
                "ORDER BY ingest_id DESC, line_number",
                params,
                limit=limit,
            )
        if fmt is OutputFormat.json:
            print_json({"total": total, "rows": rows})
        elif fmt is OutputFormat.csv:
            print_csv(rows)
        else:
            table = Table(
                "ingest",
                "file",
                "line",
                "column",
                "reason",
                "raw text",
                title=f"{len(rows)} of {total:,} quarantined rows",
            )
            for r in rows:
                table.add_row(
                    str(r["ingest_id"]),
                    r["file"],
                    str(r["line"]),
                    r["column"] or "",
                    r["reason"],
                    (r["raw_text"] or "")[:120],
                )
            out_console.print(table)

    run(body)


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""
    app.command("fetch")(fetch)
    app.add_typer(quarantine_app, name="quarantine")
