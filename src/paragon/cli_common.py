"""What every CLI command shares: the --db option, opening the warehouse, output and errors."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from paragon.errors import ParagonError

if TYPE_CHECKING:  # imported when a command runs, not when the command line starts
    from paragon.plan import Plan
    from paragon.settings import Settings
    from paragon.warehouse import Warehouse

err_console = Console(stderr=True)
# Wide tables when piped: figures are read in files and logs, not only on an 80-column terminal.
out_console = Console(width=None if sys.stdout.isatty() else 180)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="DuckDB warehouse file (default: PARAGON_DB or the user data dir)."),
]
PlanOption = Annotated[
    Path | None,
    typer.Option("--plan", help="Plan YAML (default: PARAGON_PLAN or the shipped 2011-15 plan)."),
]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="Figures as a table, JSON or CSV.")
]


def settings_for(db: Path | None = None, plan: Path | None = None) -> Settings:
    from paragon.settings import Settings

    overrides: dict[str, Any] = {}
    if db is not None:
        overrides["db"] = db
    if plan is not None:
        overrides["plan"] = plan
    return Settings(**overrides)


def plan_for(settings: Settings) -> Plan:
    from paragon.plan import load_plan

    return load_plan(settings.plan)


@contextmanager
def open_warehouse(settings: Settings, *, read_only: bool = False) -> Iterator[Warehouse]:
    """The warehouse, closed afterwards. Reading opens the newest published version, so it works
    while the site runs or another command writes; writing waits for any other writer, and
    publishes on close (docs/architecture.md, "Publishing and workers"). A warehouse file this
    command created is removed again if the command fails (a failed first ingest leaves nothing
    behind)."""
    import shutil

    from paragon.publish import layout
    from paragon.warehouse import Warehouse

    db = Path(settings.db)
    new = not read_only and not db.exists()
    wh = Warehouse.open(settings.db, read_only=read_only,
                        on_wait=lambda message: err_console.print(f"note: {message}",
                                                                  highlight=False))
    try:
        yield wh
    except BaseException:
        wh.close(publish_changes=not new)
        if new:
            lay = layout(db)
            for leftover in (db, db.with_name(db.name + ".wal"), lay.lock):
                leftover.unlink(missing_ok=True)
            shutil.rmtree(lay.folder, ignore_errors=True)
        raise
    else:
        wh.close()


def fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def run(action: Callable[[], None]) -> None:
    """Run a command body: a ParagonError becomes one readable line and exit code 1."""
    try:
        action()
    except ParagonError as exc:
        raise fail(exc.message) from None


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def print_csv(rows: Sequence[dict[str, Any]]) -> None:
    from paragon.csv_safe import safe_cell

    if not rows:
        return
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else safe_cell(v)) for k, v in row.items()})
    sys.stdout.write(buf.getvalue())
