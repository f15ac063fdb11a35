"""The `paragon` command. Each command is a thin layer over the package's functions; figures go to
stdout, progress and messages to stderr; exit 0 on success, 1 on a user error, 2 on bad
arguments."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from paragon import cli_data, cli_figures, cli_policeuk, cli_tasking, cli_web
from paragon.cli_common import (
    DbOption,
    FormatOption,
    OutputFormat,
    PlanOption,
    err_console,
    open_warehouse,
    out_console,
    plan_for,
    print_json,
    run,
    settings_for,
)
from paragon.web.figures import warm_after_publish

if TYPE_CHECKING:  # heavy modules are imported by the commands that need them (fast start)
    from paragon.ingest.engine import IngestReport
    from paragon.plan import Plan
    from paragon.warehouse import Warehouse

app = typer.Typer(
    name="paragon",
    help="Turn a police force's strategic plan into live, honest performance monitoring.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
warm_after_publish()  # what a command publishes while a web server serves it is warmed for it
plan_app = typer.Typer(help="Show or validate the strategic plan.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")


@plan_app.command("show")
def plan_show(
    file: Annotated[
        Path | None, typer.Argument(help="Plan YAML (default: the active plan).")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
    plan: PlanOption = None,
) -> None:
    """Print the plan: priorities, control plans, LPUs and every measure with its id and title."""

    def body() -> None:
        from paragon.plan import load_plan

        the_plan = load_plan(file) if file else plan_for(settings_for(db, plan))
        if fmt is OutputFormat.json:
            data = the_plan.model_dump(mode="json")
            data["measures"] = [
                {**m, "table": _table_of(the_plan, m["id"])} for m in data["measures"]
            ]
            print_json(data)
            return
        out_console.print(f"[bold]{the_plan.title}[/bold]  ({the_plan.id})")
        out_console.print(f"Vision: {the_plan.vision}\n")
        out_console.print("[bold]Strategic priorities[/bold]")
        for i, p in enumerate(the_plan.priorities, 1):
            out_console.print(f"  {i}. {p.title}  [dim]({p.id})[/dim]")
        out_console.print(
            "\n[bold]Control plans[/bold]: " + "; ".join(c.title for c in the_plan.control_plans)
        )
        out_console.print("[bold]LPUs[/bold]: " + "; ".join(lpu.name for lpu in the_plan.lpus))
        table = Table("id", "title", "kind", "better", "milestone table", title="Measures")
        for m in the_plan.measures:
            table.add_row(m.id, m.title, m.kind, m.better, _table_of(the_plan, m.id) or "")
        out_console.print(table)

    run(body)


def _table_of(plan: Plan, measure_id: str) -> str | None:
    """The milestone table a measure appears in, if any."""
    return next((r.table for r in plan.milestones if r.measure == measure_id), None)


@plan_app.command("validate")
def plan_validate(
    file: Annotated[
        Path | None, typer.Argument(help="Plan YAML to check (default: the shipped plan).")
    ] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Check a plan file; a bad plan is reported with its file, line and reason."""

    def body() -> None:
        from paragon.plan import load_plan

        the_plan = load_plan(file)
        summary = {
            "ok": True,
            "id": the_plan.id,
            "priorities": len(the_plan.priorities),
            "control_plans": len(the_plan.control_plans),
            "lpus": len(the_plan.lpus),
            "measures": len(the_plan.measures),
            "milestone_rows": len(the_plan.milestones),
        }
        if fmt is OutputFormat.json:
            print_json(summary)
        else:
            out_console.print(
                f"{file or 'default plan'}: valid — {summary['priorities']} priorities, "
                f"{summary['control_plans']} control plans, {summary['lpus']} LPUs, "
                f"{summary['measures']} measures, {summary['milestone_rows']} milestone rows"
            )

    run(body)


@plan_app.command("init")
def plan_init(
    force: Annotated[str, typer.Option("--force", help="police.uk force slug, e.g. merseyside.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the plan YAML.")],
    first_year: Annotated[
        str | None,
        typer.Option("--first-year", help="First financial year, e.g. 2016-17 (default: now)."),
    ] = None,
    years: Annotated[int, typer.Option("--years", help="How many financial years.")] = 4,
) -> None:
    """Write a starter plan for any force of England and Wales: LPUs are its local authority
    districts, measures what police.uk data can answer, milestones left for the force to set."""

    def body() -> None:
        from paragon.errors import ParagonError
        from paragon.plan.init import starter_plan_text

        if out.exists():
            raise ParagonError(f"{out} exists already: choose another --out or remove it")
        text = starter_plan_text(force, first_year, years)
        out.write_text(text, encoding="utf-8")
        from paragon.plan import load_plan

        the_plan = load_plan(out)
        err_console.print(
            f"wrote {out}: {len(the_plan.lpus)} LPUs, {len(the_plan.measures)} measures, "
            f"{the_plan.first_year} to {the_plan.last_year}; edit it, then use --plan {out}"
        )

    run(body)


# a points file with fewer police.uk crime types than this is told which measures it cannot fill
FEW_CRIME_TYPES = 8


def points_notes(wh: Warehouse, reports: list[IngestReport]) -> list[str]:
    """For each points file holding only a few crime types, a note that the plan's other count
    measures (total crime among them) have no data for the file's months."""
    notes = []
    for r in reports:
        if r.kind != "points" or r.ingest_id is None or not r.rows_loaded:
            continue
        types = [row["category"] for row in wh.query(
            "SELECT DISTINCT category FROM crimes WHERE ingest_id = ? ORDER BY category",
            [r.ingest_id])]
        if types and len(types) < FEW_CRIME_TYPES:
            notes.append(
                f"{Path(r.path).name} holds only {', '.join(types)}: the plan's measures of other "
                "crime types, and total crime, have no data for its months (load police.uk's "
                "full street files too)"
            )
    return notes


@app.command("ingest")
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or zip archives.")],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="street|outcomes|stop-search|force-crimes|survey|points "
            "(detected from the header when omitted).",
        ),
    ] = None,
    force: Annotated[
        str | None,
        typer.Option("--force", help="Points files: the force (default: the plan's)."),
    ] = None,
    crime_type: Annotated[
        str | None,
        typer.Option("--crime-type", help="Points files without a crime-type column: the "
                     "police.uk crime type of every row, e.g. Burglary."),
    ] = None,
    adapter: Annotated[
        str | None,
        typer.Option(
            "--adapter",
            help="Name of the system the files came from (e.g. a crime system's export), "
            "recorded with each ingest.",
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
    plan: PlanOption = None,
) -> None:
    """Load files into the warehouse. Bad rows are quarantined and counted, never dropped."""

    def body() -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        settings = settings_for(db, plan)
        the_plan = plan_for(settings)
        with (
            open_warehouse(settings) as wh,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task("ingesting", total=None)

            def on_file(report: object) -> None:
                progress.update(
                    task, advance=1, description=f"ingested {getattr(report, 'path', '')}"
                )

            from paragon.ingest.registry import ingest_paths

            reports = ingest_paths(wh, paths, the_plan, kind=kind, adapter=adapter, on_file=on_file,
                                   force=force, crime_type=crime_type)
            for note in points_notes(wh, reports):
                err_console.print(f"note: {note}")
        if fmt is OutputFormat.json:
            print_json({"files": [r.as_dict() for r in reports]})
            return
        table = Table("file", "kind", "read", "loaded", "quarantined", "duplicate", "reasons")
        for r in reports:
            reasons = "; ".join(f"{k}: {v}" for k, v in r.reasons.most_common(4))
            table.add_row(
                Path(r.path).name,
                r.kind,
                f"{r.rows_read:,}",
                f"{r.rows_loaded:,}",
                f"{r.rows_quarantined:,}",
                f"{r.rows_duplicate:,}",
                reasons,
            )
        out_console.print(table)

    run(body)


cli_data.register(app)
cli_figures.register(app)
cli_web.register(app)
cli_tasking.register(app)
cli_policeuk.register(app)


def main() -> None:  # pragma: no cover - console entry point
    app()
