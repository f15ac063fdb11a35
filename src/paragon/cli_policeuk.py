"""CLI commands for the police.uk data beyond street crime: ``stop-search``, ``residents`` and
``outcomes`` (detections from outcomes files and how late outcomes arrive)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
from paragon.errors import ParagonError

# The default --reference group: measures.stop_search.REFERENCE_GROUP (a test keeps them equal),
# written out so that the command line starts without importing the statistics.
REFERENCE_GROUP = "White"

ForceOption = Annotated[
    str | None,
    typer.Option("--force", help="police.uk force slug (default: the plan's force if it has data, "
                 "else the first force that has)."),
]
outcomes_app = typer.Typer(help="Detections from police.uk outcomes files, and how late outcomes "
                           "arrive.", no_args_is_help=True)
residents_app = typer.Typer(help="Residents by ethnic group: the denominators of stop-and-search "
                            "rates.", no_args_is_help=True)


def _pct(value: Any, lower: Any, upper: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}% [{lower:.1f}, {upper:.1f}]"


def _note(note: str | None) -> None:
    if note:
        err_console.print(note, highlight=False, soft_wrap=True)


def stop_search(
    force: ForceOption = None,
    by: Annotated[str, typer.Option(
        "--by", help="month|legislation|object|outcome|type|ethnicity|officer-ethnicity"),
    ] = "month",
    residents: Annotated[Path | None, typer.Option(
        "--residents", help="Residents file (docs/formats.md#residents) for searches per 1,000 "
        "residents and disproportionality with --by ethnicity (default: residents loaded with "
        "`paragon residents load`).")] = None,
    reference: Annotated[str, typer.Option(
        "--reference", help="Reference group of the disproportionality ratio."),
    ] = REFERENCE_GROUP,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
    plan: PlanOption = None,
) -> None:
    """Stop and search by month, legislation, object, outcome or ethnicity: searches, the share
    ending in arrest and the share with the object found, with 95% Wilson intervals; with --by
    ethnicity and residents, searches per 1,000 residents and the ratio to the reference group."""

    def body() -> None:
        from paragon.measures import stop_search as ss

        settings = settings_for(db, plan)
        if by not in ss.BY:
            raise ParagonError(f"--by must be one of {', '.join(ss.BY)} (not '{by}')")
        given = ss.read_residents(residents) if residents else None
        with open_warehouse(settings, read_only=True) as wh:
            the_force, note = ss.choose_force(wh, force, plan_for(settings).force)
            rows = ss.breakdown(wh, the_force, by)
            total = ss.totals(wh, the_force)
            ratio = None
            if by == "ethnicity":
                people = (next((r for r in given if r.force == the_force and not r.area_code),
                               None) if given else ss.stored_residents(wh, the_force))
                if given and people is None:
                    raise ParagonError(f"{residents}: no force-area rows (blank area_code) for "
                                       f"{the_force}")
                if people is not None:
                    ratio = ss.disproportionality(wh, the_force, people, reference)
        _note(note)
        if fmt is OutputFormat.json:
            print_json({"force": the_force, "note": note, "by": by, "totals": total,
                        "rows": rows, "disproportionality": ratio})
            return
        if fmt is OutputFormat.csv:
            print_csv(ratio["groups"] if ratio else rows)
            return
        out_console.print(
            f"[bold]Stop and search, {the_force}[/bold]: {total['searches']:,} searches in "
            f"{total['months_loaded']} month(s) {total['first']} to {total['last']}; arrest "
            f"{_pct(total['arrest_pct'], total['arrest_lower'], total['arrest_upper'])}, object "
            f"found {_pct(total['found_pct'], total['found_lower'], total['found_upper'])}",
            highlight=False)
        table = Table(ss.BY[by][1], "searches", "arrest % [95% CI]", "found % [95% CI]",
                      "link blank")
        for r in rows:
            if r["searches"] is None:
                table.add_row(r["key"], "missing", "", "", "")
                continue
            table.add_row("(not recorded)" if r["key"] is None else str(r["key"]),
                          f"{r['searches']:,}",
                          _pct(r["arrest_pct"], r["arrest_lower"], r["arrest_upper"]),
                          _pct(r["found_pct"], r["found_lower"], r["found_upper"]),
                          f"{r['link_not_recorded']:,}")
        out_console.print(table)
        if ratio:
            _print_ratio(ratio)

    run(body)


def _print_ratio(ratio: dict[str, Any]) -> None:
    table = Table("group", "searches", "residents", "per 1,000 a month [95% CI]",
                  f"ratio to {ratio['reference']} [95% CI]",
                  title=f"Searches per 1,000 residents ({ratio['residents_area']}; "
                        f"{ratio['ethnicity_not_stated']:,} searches with ethnicity not stated)")
    for g in ratio["groups"]:
        rate = (f"{g['rate_per_1000_per_month']:.3f} [{g['rate_lower']:.3f}, {g['rate_upper']:.3f}]"
                if g.get("rate_per_1000_per_month") is not None else "—")
        if g.get("ratio") is not None:
            upper = "∞" if g["ratio_upper"] is None else f"{g['ratio_upper']:.2f}"
            ratio_text = f"{g['ratio']:.2f} [{g['ratio_lower']:.2f}, {upper}]"
        else:
            ratio_text = "reference" if g["ethnic_group"] == ratio["reference"] else "—"
        table.add_row(g["ethnic_group"], f"{g['searches']:,}",
                      f"{g['residents']:,}" if g["residents"] else "—", rate, ratio_text)
    out_console.print(table)


@residents_app.command("load")
def residents_load(
    file: Annotated[Path, typer.Argument(help="Residents CSV (docs/formats.md#residents).")],
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Store residents by ethnic group (replacing those of the same forces)."""

    def body() -> None:
        from paragon.measures import stop_search as ss

        parsed = ss.read_residents(file)
        with open_warehouse(settings_for(db)) as wh:
            n = ss.save_residents(wh, parsed)
        forces = sorted({r.force for r in parsed})
        if fmt is OutputFormat.json:
            print_json({"file": str(file), "rows": n, "forces": forces, "areas": len(parsed)})
        else:
            out_console.print(f"{file}: {n} rows for {', '.join(forces)} "
                              f"({len(parsed)} area(s))", highlight=False)

    run(body)


@outcomes_app.command("lag")
def outcomes_lag(
    force: ForceOption = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
    plan: PlanOption = None,
) -> None:
    """How many months after the crime's month its outcomes arrive (crimes matched to their street
    rows), and the window of recent months whose crimes are not yet fully resolved."""

    def body() -> None:
        from paragon.measures import outcomes as oc

        settings = settings_for(db, plan)
        the_plan = plan_for(settings)
        with open_warehouse(settings, read_only=True) as wh:
            the_force, note = oc.choose_force(wh, force, the_plan.force)
            report = oc.outcome_lag(wh, the_plan, the_force)
        _note(note)
        if fmt is OutputFormat.json:
            print_json({**report.as_dict(), "note": note})
            return
        if fmt is OutputFormat.csv:
            print_csv(report.distribution)
            return
        out_console.print(
            f"[bold]Outcome lag, {the_force}[/bold]: {report.outcome_rows:,} outcome rows "
            f"{report.first_outcome_month} to {report.last_outcome_month}, "
            f"{report.matched_rows:,} matched to a street row", highlight=False)
        table = Table("months after the crime", "outcomes", "detected", "detected so far")
        for r in report.distribution:
            share = r["cumulative_detected_share"]
            table.add_row(str(r["lag_months"]), f"{r['outcomes']:,}", f"{r['detected']:,}",
                          "—" if share is None else f"{100 * share:.1f}%")
        if report.distribution:
            out_console.print(table)
        if report.repeat_gaps:
            gaps = Table("months after the first outcome", "outcome rows", "crimes",
                         title="Later outcomes of crimes with an earlier one "
                               "(no street row needed)")
            for g in report.repeat_gaps:
                gaps.add_row(str(g["gap_months"]), f"{g['outcomes']:,}", f"{g['crimes']:,}")
            out_console.print(gaps)
        out_console.print(report.explanation, highlight=False)

    run(body)


@outcomes_app.command("detections")
def outcomes_detections(
    force: ForceOption = None,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
    plan: PlanOption = None,
) -> None:
    """Each outcome month loaded: outcome rows, crimes first detected that month (as the plan
    defines detected), and the rate against crimes recorded that month where street rows are
    loaded, with its 95% Wilson interval; then every outcome type and whether it counts as a
    detection."""

    def body() -> None:
        from paragon.measures import outcomes as oc
        from paragon.measures import stop_search as ss

        settings = settings_for(db, plan)
        the_plan = plan_for(settings)
        with open_warehouse(settings, read_only=True) as wh:
            the_force, note = oc.choose_force(wh, force, the_plan.force)
            months = oc.detections_by_month(wh, the_plan, the_force)
            for r in months:  # the detection rate's 95% Wilson interval, where it has one
                rate = (ss.share(min(r["detected"], r["recorded_street_rows"]),
                                 r["recorded_street_rows"])
                        if r["recorded_street_rows"] else {"lower": None, "upper": None})
                r["detection_rate_lower"], r["detection_rate_upper"] = (rate["lower"],
                                                                        rate["upper"])
            types = oc.detections_by_type(wh, the_plan, the_force)
            report = oc.outcome_lag(wh, the_plan, the_force)
        _note(note)
        if fmt is OutputFormat.json:
            print_json({"force": the_force, "note": note, "months": months, "types": types,
                        "detected_outcomes": the_plan.detected_outcomes,
                        "warning": report.explanation})
            return
        if fmt is OutputFormat.csv:
            print_csv(months)
            return
        table = Table("month", "outcome rows", "crimes with an outcome", "first detected",
                      "recorded (street)", "rate % [95%]", title=f"Detections, {the_force}")
        for r in months:
            table.add_row(r["month"], f"{r['outcome_rows']:,}", f"{r['crimes_with_outcome']:,}",
                          f"{r['detected']:,}",
                          "—" if r["recorded_street_rows"] is None
                          else f"{r['recorded_street_rows']:,}",
                          _pct(r["detection_rate_pct"], r["detection_rate_lower"],
                               r["detection_rate_upper"]))
        out_console.print(table)
        kinds = Table("outcome type", "published as", "rows", "crimes", "detected?")
        for t in types:
            kinds.add_row(t["outcome_type"], t["published_as"], f"{t['rows']:,}",
                          f"{t['crimes']:,}", "yes" if t["detected"] else "no")
        out_console.print(kinds)
        out_console.print("Recent months are incomplete: " + report.explanation,
                          highlight=False)

    run(body)


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""
    app.command("stop-search")(stop_search)
    app.add_typer(residents_app, name="residents")
    app.add_typer(outcomes_app, name="outcomes")
