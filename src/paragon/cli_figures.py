"""CLI commands that print figures: milestones and control charts."""

from __future__ import annotations

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

if TYPE_CHECKING:  # the figures' modules are imported by the command that needs them
    from paragon.ops import OpsStore
    from paragon.plan.schema import Break, Measure
    from paragon.settings import Settings

TABLE_TITLES = {
    "trust_confidence": "Trust and Confidence",
    "service_standards": "Service Standards",
    "reducing_crime": "Reducing crime",
    "detections": "Solved and resolved crime",
}


def _num(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if unit == "count" else f"{value:.1f}%"


def _change(row: dict[str, Any]) -> str:
    if row.get("change_pct") is None:
        return "—"
    unit = "%" if row["change_unit"] == "%" else " pts"
    upper = row["change_upper"]
    upper_text = "∞" if upper is None else f"{upper:+.1f}"
    sig = "" if row["change_significant"] else " (not significant)"
    return f"{row['change_pct']:+.1f}{unit} [{row['change_lower']:+.1f}, {upper_text}]{sig}"


def _against(row: dict[str, Any]) -> str:
    if row["value"] is not None and row.get("comparison_value") is None:
        return f"not compared: no data for the same months of {row['compared_with']}"
    return f"{_change(row)} vs {row['compared_with']}"


def _status(row: dict[str, Any]) -> str:
    status = row.get("status")
    if status == "in progress":
        p = row.get("probability_met")
        return f"{row.get('assurance')} (P={p:.2f})" if p is not None else str(row.get("assurance"))
    if status in ("met", "missed"):
        return f"{status}{'' if row.get('beyond_noise') else ' (within noise)'}"
    return status.replace("_", " ") if status else "—"


def _print_milestones(rows: list[dict[str, Any]], year: str) -> None:
    for table_id, title in TABLE_TITLES.items():
        table = Table(
            "row",
            "value (95% CI)",
            "published",
            "baseline",
            "change vs " + "comparison",
            "milestone",
            "status",
            title=f"{title} — {year}",
            show_lines=False,
        )
        for r in (r for r in rows if r["table"] == table_id):
            unit = r["unit"]
            value = _num(r["value"], unit)
            if r["value_lower"] is not None:
                value += f" ({_num(r['value_lower'], unit)}–{_num(r['value_upper'], unit)})"
            if r["partial_year"]:
                value += f" YTD {r['months']}m"
            elif r.get("coverage") == "incomplete" and r["value"] is not None:
                value += f" ({r['months_covered']} of {r['months_expected']} months)"
            published = r["published_text"] or "—"
            if r["performance_matches"] is False:
                published += " [red]≠[/red]"
            milestone = r["milestone_published"] or _num(r["milestone"], unit)
            if r["milestone_matches_rule"] is False:
                milestone += " [red]≠[/red]"
            if (
                r["milestone_recomputed"] is not None
                and r["milestone"] is not None
                and r["milestone_recomputed"] != r["milestone"]
            ):
                milestone += f" [red](rule gives {_num(r['milestone_recomputed'], unit)})[/red]"
            table.add_row(
                r["title"],
                value,
                published,
                _num(r["baseline"], unit),
                _against(r),
                milestone,
                _status(r),
            )
        out_console.print(table)
    for r in rows:
        if r.get("coverage") == "incomplete" and r["value"] is not None:
            out_console.print(
                f"[yellow]incomplete[/yellow] {r['title']}: data for {r['months_covered']} of "
                f"{r['months_expected']} months ({r['months_text']}); not judged against the "
                "milestone",
                highlight=False,
                soft_wrap=True,
            )
    unavailable = [r for r in rows if r.get("status") == "data not available" and r.get("note")]
    for r in unavailable:
        out_console.print(
            f"[yellow]not available[/yellow] {r['title']} ({r['measure']}): {r['note']}",
            highlight=False,
            soft_wrap=True,
        )
    flagged = [r for r in rows if r["flags"]]
    for r in flagged:
        out_console.print(f"[red]≠[/red] {r['title']} ({r['table']}): " + "; ".join(r["flags"]))


def _limit(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def too_short_chart(
    measure: Measure, lpu: str | None, series: list[dict[str, Any]]
) -> dict[str, Any]:
    """A chart of fewer than 2 months: the months there are, and no limits (a control chart needs
    at least two months of data; missing months are never filled with zeros)."""
    return {
        "measure": measure.id,
        "title": measure.title,
        "kind": measure.kind,
        "better": measure.better,
        "lpu": lpu,
        "unit": "count per month" if measure.kind == "count" else "percent",
        "centre": None,
        "lower_limit": None,
        "upper_limit": None,
        "trial_limits": None,
        "note": f"only {len(series)} month{'' if len(series) == 1 else 's'} of data: a control "
        "chart needs at least 2, so no limits are drawn",
        "points": [{**p, "signal": None, "variation": None} for p in series],
    }


def register(app: typer.Typer) -> None:
    """Add the figure commands to ``app``."""

    @app.command("milestones")
    def milestones(
        year: Annotated[str, typer.Option("--year", help="Financial year, e.g. 2010-11.")],
        lpu: Annotated[
            str | None, typer.Option("--lpu", help="An LPU id (default: force-wide).")
        ] = None,
        fmt: FormatOption = OutputFormat.table,
        db: DbOption = None,
        plan: PlanOption = None,
    ) -> None:
        """Every milestone row: computed value with its interval, the plan's published figure
        (flagged where they differ), baseline, change with uncertainty, milestone (published and
        recomputed from its rule) and status (met/missed, or projection and assurance)."""

        def body() -> None:
            settings = settings_for(db, plan)
            with open_warehouse(settings, read_only=True) as wh:
                from paragon.measures.milestones import milestone_table

                rows = milestone_table(wh, plan_for(settings), year, lpu)
            if fmt is OutputFormat.json:
                print_json(rows)
            elif fmt is OutputFormat.csv:
                print_csv(
                    [
                        {k: (";".join(v) if isinstance(v, list) else v) for k, v in r.items()}
                        for r in rows
                    ]
                )
            else:
                _print_milestones(rows, year)

        run(body)

    @app.command("spc")
    def spc(
        measure: Annotated[
            str, typer.Option("--measure", help="A measure id (see `paragon plan show`).")
        ],
        lpu: Annotated[
            str | None, typer.Option("--lpu", help="An LPU id (default: force-wide).")
        ] = None,
        months: Annotated[
            int, typer.Option("--months", min=2, help="How many months to chart.")
        ] = 36,
        breaks: Annotated[
            list[str] | None,
            typer.Option(
                "--break",
                help="A month (YYYY-MM) where recording practice changed: the chart starts a new "
                "segment with its own limits there. Repeat for several; the plan's breaks and "
                "those recorded with `paragon breaks add` always apply.",
            ),
        ] = None,
        baseline: Annotated[
            str | None,
            typer.Option(
                "--baseline",
                help="Months (YYYY-MM:YYYY-MM) that set the limits of the segment they lie in; "
                "later months are judged against them.",
            ),
        ] = None,
        fmt: FormatOption = OutputFormat.table,
        db: DbOption = None,
        plan: PlanOption = None,
    ) -> None:
        """The measure's monthly control chart: centre, limits and each point's signal.

        Counts are seasonally adjusted when there are two years to estimate the season from;
        detection rates and survey results use Laney's u′ and p′ charts, and months with too few
        offences or responses are shown but not judged.
        """

        def body() -> None:
            from paragon.measures import breaks as recorded_breaks
            from paragon.measures.charts import check_breaks, parse_baseline
            from paragon.measures.series import control_chart, monthly_series

            settings = settings_for(db, plan)
            store = recorded_breaks.read_store(settings.ops_location())
            try:
                recorded = recorded_breaks.analyst_breaks(store, measure)
            finally:
                if store is not None:
                    store.close()
            with open_warehouse(settings, read_only=True) as wh:
                the_plan = plan_for(settings)
                series = monthly_series(wh, the_plan, measure, lpu, months)
                if len(series) < 2:
                    chart = too_short_chart(the_plan.measure(measure), lpu, series)
                else:
                    chart = control_chart(
                        wh, the_plan, measure, lpu, months, breaks=check_breaks(breaks or []),
                        recorded=recorded, baseline=parse_baseline(baseline),
                    )
            if chart.get("note"):
                err_console.print(f"note: {chart['note']}", highlight=False, soft_wrap=True)
            if fmt is OutputFormat.json:
                print_json(chart)
                return
            if fmt is OutputFormat.csv:
                print_csv(chart["points"])
                return
            _print_chart(chart)

        run(body)

    breaks_app = typer.Typer(
        help="Breaks in recording practice recorded by analysts: control charts start a new "
        "segment (own centre line and limits) at each. Kept in the operational store beside "
        "the warehouse, with the plan's own breaks always applying too.",
        no_args_is_help=True,
    )
    app.add_typer(breaks_app, name="breaks")

    @breaks_app.command("add")
    def breaks_add(
        month: Annotated[str, typer.Argument(help="First month of the new practice, YYYY-MM.")],
        reason: Annotated[str, typer.Option("--reason", help="What changed (shown on charts).")],
        measure: Annotated[
            str | None,
            typer.Option("--measure", help="A measure id (default: every measure)."),
        ] = None,
        db: DbOption = None,
        plan: PlanOption = None,
    ) -> None:
        """Record a break: every chart of the measure (or of every measure) rebases there."""

        def body() -> None:
            from paragon.measures import breaks as recorded_breaks

            settings = settings_for(db, plan)
            the_plan = plan_for(settings)
            with _open_store(settings) as store:
                new_id = recorded_breaks.add_break(store, the_plan, month, reason, measure,
                                                   added_by="command line")
            out_console.print(f"break #{new_id} at {month.strip()} for "
                              f"{measure or 'every measure'}: {reason.strip()}",
                              highlight=False, soft_wrap=True)

        run(body)

    @breaks_app.command("list")
    def breaks_list(
        measure: Annotated[
            str | None,
            typer.Option("--measure", help="Only the breaks that apply to this measure."),
        ] = None,
        fmt: FormatOption = OutputFormat.table,
        db: DbOption = None,
        plan: PlanOption = None,
    ) -> None:
        """The breaks charts use: the plan's and the recorded ones, in month order."""

        def body() -> None:
            from paragon.measures import breaks as recorded_breaks

            settings = settings_for(db, plan)
            the_plan = plan_for(settings)
            if measure is not None:
                the_plan.measure(measure)
            store = recorded_breaks.read_store(settings.ops_location())
            try:
                stored = recorded_breaks.list_breaks(store, measure) if store else []
            finally:
                if store is not None:
                    store.close()
            planned: list[tuple[str | None, Break]] = (
                [(None, b) for b in the_plan.breaks] if measure is None
                else [(None, b) for b in the_plan.breaks_of(measure)])
            if measure is None:
                planned += [(m.id, b) for m in the_plan.measures for b in m.breaks]
            rows = [{"id": None, "month": b.month, "measure": mid, "reason": b.reason,
                     "source": "plan"} for mid, b in planned]
            rows += [{"id": r["break_id"], "month": r["month"], "measure": r["measure"],
                      "reason": r["reason"], "source": "recorded"} for r in stored]
            rows.sort(key=lambda r: (r["month"], r["source"]))
            if fmt is OutputFormat.json:
                print_json(rows)
            elif fmt is OutputFormat.csv:
                print_csv(rows)
            else:
                table = Table("id", "month", "measure", "reason", "source")
                for r in rows:
                    table.add_row("—" if r["id"] is None else str(r["id"]), r["month"],
                                  r["measure"] or "every measure", r["reason"], r["source"])
                out_console.print(table)

        run(body)

    @breaks_app.command("remove")
    def breaks_remove(
        break_id: Annotated[int, typer.Argument(help="The break's id (`paragon breaks list`).",
                                                min=1)],
        db: DbOption = None,
        plan: PlanOption = None,
    ) -> None:
        """Remove a recorded break (the plan's own are changed in the plan)."""

        def body() -> None:
            from paragon.measures import breaks as recorded_breaks

            settings = settings_for(db, plan)
            with _open_store(settings) as store:
                gone = recorded_breaks.remove_break(store, break_id)
            out_console.print(f"removed break #{break_id} at {gone['month']} for "
                              f"{gone['measure'] or 'every measure'}", highlight=False)

        run(body)


def _open_store(settings: Settings) -> OpsStore:
    """The operational store for writing (created beside the warehouse if need be)."""
    from paragon.cli_web import open_ops

    return open_ops(settings)


def _print_chart(chart: dict[str, Any]) -> None:
    """The chart as a table, with its method, limits, breaks and caveats."""
    head = f"[bold]{chart['title']}[/bold] ({chart['unit']})"
    if chart.get("method"):
        from paragon.measures.charts import CHART_METHODS

        head += f" — {CHART_METHODS[chart['method']]}"
    if chart["centre"] is None:
        head += " — no limits"
    else:
        head += (
            f" — centre {chart['centre']:,.1f}, limits {_limit(chart['lower_limit'])} to "
            f"{_limit(chart['upper_limit'])}" + (" (trial limits)" if chart["trial_limits"] else "")
        )
    out_console.print(head)
    for b in chart.get("breaks") or []:
        out_console.print(f"New segment from {b['month']}: {b['reason']}", highlight=False)
    for caveat in chart.get("caveats") or []:
        out_console.print(caveat, highlight=False)
    adjusted = chart.get("method") == "xmr_seasonal"
    rate = chart.get("kind") == "detection_rate"
    if rate and any((p.get("value") or 0) > 100 for p in chart["points"]):
        out_console.print("A rate above 100% means more crimes were detected in the month than "
                          "were recorded in it: detections include crimes recorded earlier.",
                          highlight=False)
    table = Table("month", "value (detected of recorded)" if rate else "value",
                  *(["adjusted"] if adjusted else []), "signal", "variation")
    for p in chart["points"]:
        extra = [f"{p['plotted']:,.1f}"] if adjusted else []
        signal = f"not judged: {p['suppressed']}" if p.get("suppressed") else p.get("signal")
        value = f"{p['value']:,.1f}"
        if p.get("counts"):
            value = f"{p['value']:,.1f}% ({p['counts']})"
        table.add_row(
            p["period"],
            value,
            *extra,
            signal or "—",
            p.get("variation") or "—",
        )
    out_console.print(table)
    rare = chart.get("rare_events")
    if rare and rare["method"] == "g":
        last = rare["since_last"]
        out_console.print(
            f"Days between events, {rare['from']} to {rare['to']} (g chart): {rare['events']} "
            f"events, on average {rare['centre']:,.1f} days apart; a gap over "
            f"{rare['upper_limit']:,.1f} days would mean they have become rarer. Longest gap "
            f"{max(g['days'] for g in rare['gaps']):,} days; {last['days']:,} days since the last "
            f"event ({last['after']})"
            + (", longer than that limit." if last["variation"] != "common" else "."),
            highlight=False)
        for g in rare["gaps"]:
            if g["variation"] != "common":
                out_console.print(f"  {g['after']} to {g['until']}: {g['days']:,} days "
                                  f"({g['variation']})", highlight=False)
    elif rare and rare["method"] == "months":
        last = rare["since_last"]
        out_console.print(
            f"Rare events month by month, {rare['from']} to {rare['to']} (probability limits): "
            f"{rare['events']:,} events in {len(rare['months'])} months, {rare['centre']:,.2f} a "
            f"month; {rare['upper_count']:,} or more in a month would be more than chance, "
            f"{rare['empty_run']:,} or more months in a row with none would be fewer. "
            f"{last['months']:,} month(s) with none since the last event ({last['after']})"
            + (", as long as that limit." if last["variation"] != "common" else "."),
            highlight=False)
        for r in rare["months"]:
            if r["variation"] != "common":
                out_console.print(f"  {r['period']}: {r['events']:,} events ({r['variation']})",
                                  highlight=False)
    elif rare:
        out_console.print(f"No chart of the rare events: {rare['reason']}.", highlight=False)
