"""`paragon hotspots backtest|predict`: harm-weighted hotspots that are checked before use."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from paragon.cli_common import (
    DbOption,
    FormatOption,
    OutputFormat,
    err_console,
    open_warehouse,
    out_console,
    plan_for,
    print_json,
    run,
    settings_for,
)
from paragon.errors import ParagonError

if TYPE_CHECKING:  # the methods (numpy, scipy) are imported when a command runs
    from paragon.plan import Plan
    from paragon.tasking.backtest import BacktestReport, Events
    from paragon.tasking.grid import Grid
    from paragon.tasking.harm import HarmWeights
    from paragon.tasking.metrics import Summary
    from paragon.tasking.predict import Centroids

HotspotPlanOption = Annotated[
    Path | None,
    typer.Option("--plan", help="Plan YAML (or PARAGON_PLAN): cells over the plan's force area and "
                 "each cell's LPU from the plan's LSOAs. Without it: the warehouse's geography "
                 "and the events' convex hull."),
]

# The names of paragon.tasking.methods.METHODS (a test keeps them equal), for the options' help.
METHOD_NAMES = ("counts", "kde", "prospective", "decay_kde", "neighbour_counts")

InputOption = Annotated[
    Path | None,
    typer.Option("--input", help="CSV of points: Month (YYYY-MM) and Longitude/Latitude "
                 "(or Easting/Northing); optional Crime type column. Gzip is fine."),
]
CrimeTypeOption = Annotated[
    str | None,
    typer.Option("--crime-type", help="police.uk category from the warehouse (e.g. Burglary); "
                 "with --input, filters the CSV's crime type column."),
]
AreaOption = Annotated[
    Path | None,
    typer.Option("--area", help="GeoJSON polygon(s) to mask the cells to (WGS84, or BNG when the "
                 "file's crs says EPSG:27700). Default: the convex hull of the events."),
]
CellOption = Annotated[float, typer.Option("--cell", help="Cell size in metres.")]
TrainOption = Annotated[int, typer.Option("--train-months", help="Months of training data.")]
TuneOption = Annotated[
    int, typer.Option("--tune-months", help="Months before the first predicted month used to "
                      "choose each method's parameters (0: use the documented defaults).")]
ForceOption = Annotated[
    str | None, typer.Option("--force", help="Only this force's crimes (warehouse input).")]
WeightsOption = Annotated[
    Path | None,
    typer.Option("--weights", help="Harm weights CSV (key,weight; '# source:' line required) "
                 "instead of the shipped ONS Crime Severity Score weights."),
]


class Weight(StrEnum):
    counts = "counts"
    harm = "harm"


WeightOption = Annotated[
    Weight, typer.Option("--weight", help="counts: every crime counts 1 (demand); harm: every "
                         "crime counts its ONS Crime Severity Score weight (or --weights).")]


def _events(input_path: Path | None, crime_type: str | None, force: str | None,
            weights: HarmWeights | None, db: Path | None, plan: Plan | None = None
            ) -> tuple[Events, Centroids | None]:
    """The events, and the LSOA centroids that give a cell its LPU: the plan's LSOAs and LPUs when
    a plan is given, else the warehouse's geography."""
    from paragon.tasking.sources import (
        centroids_from_warehouse,
        events_from_csv,
        events_from_warehouse,
    )

    if input_path is not None:
        events, dropped = events_from_csv(input_path, crime_type, weights)
        if dropped:
            err_console.print(f"{dropped:,} rows without a month or coordinates were left out")
        return events, _plan_centroids(plan)
    if crime_type is None:
        raise ParagonError("Give --input CSV or --crime-type TYPE.")
    with open_warehouse(settings_for(db), read_only=True) as wh:
        return (events_from_warehouse(wh, crime_type, force, weights),
                _plan_centroids(plan) if plan is not None else centroids_from_warehouse(wh, force))


def _plan_centroids(plan: Plan | None) -> Centroids | None:
    """The plan's LSOA centroids (BNG) with the plan's LPU of each."""
    if plan is None:
        return None
    import numpy as np

    from paragon.geography.lpus import plan_lsoas
    from paragon.tasking.predict import Centroids

    lsoas = plan_lsoas(plan)
    return Centroids(np.array([x.bng_x for x in lsoas], dtype=float),
                     np.array([x.bng_y for x in lsoas], dtype=float), [x.lpu_id for x in lsoas])


def _grid(area: Path | None, cell: float, events: Events, plan: Plan | None = None) -> Grid:
    """Cells over --area; else over the plan's force area (its council districts) when a plan is
    given and its districts' boundaries are held; else over the convex hull of the events."""
    from paragon.tasking.grid import grid_for_area, hull_of_points, load_area

    if area is not None:
        return grid_for_area(load_area(area), cell)
    if plan is not None:
        from paragon.geography.shapes import force_area_bng

        force_area = force_area_bng(plan.force)
        if force_area is not None:
            return grid_for_area(force_area, cell)
    return grid_for_area(hull_of_points(events.x, events.y), cell)


def _plan(plan: Path | None) -> Plan | None:
    """The plan given with --plan (or PARAGON_PLAN), None when neither is set."""
    import os

    if plan is None and not os.environ.get("PARAGON_PLAN"):
        return None
    return plan_for(settings_for(None, plan))


def _f(v: float, digits: int = 2) -> str:
    return "—" if not math.isfinite(v) else f"{v:.{digits}f}"


def _print_backtest(report: BacktestReport) -> None:
    from paragon.tasking.metrics import COVERAGES

    table = Table("method", "parameters", "seconds",
                  *[f"hit rate {c}%" for c in COVERAGES], *[f"PAI {c}%" for c in COVERAGES],
                  "PAI 5% − counts",
                  title=f"Backtest {report.start}..{report.end}"
                  + (" weighted by harm" if report.weight == "harm" else "")
                  + f": {report.cells:,} cells of "
                  f"{report.cell:g} m, {report.events:,} events, train {report.train_months} "
                  "months (mean [95% t-interval over months])")
    for r in report.results:
        vs = r.versus_counts
        table.add_row(
            r.method,
            ", ".join(f"{k}={v:g}" for k, v in r.params.items())
            + ("" if r.tuned or not r.params else " (default)"),
            f"{r.seconds:.3f}",
            *[_interval(r.summary("hit_rate", c), 3) for c in COVERAGES],
            *[_interval(r.summary("pai", c), 2) for c in COVERAGES],
            "baseline" if vs is None else _interval(vs, 2, signed=True),
        )
    out_console.print(table)
    best = report.best()
    if best is not None:
        s = best.summary("pai", 5)
        out_console.print(f"Best mean PAI at 5%: {best.method} {_f(s.mean)} "
                          f"[{_f(s.lower)}, {_f(s.upper)}]")


def _interval(s: Summary, digits: int, signed: bool = False) -> str:
    mean, lower, upper = s.mean, s.lower, s.upper
    fmt = f"{{:+.{digits}f}}" if signed else f"{{:.{digits}f}}"
    if not math.isfinite(mean):
        return "—"
    if not (math.isfinite(lower) and math.isfinite(upper)):
        return fmt.format(mean)
    return f"{fmt.format(mean)} [{fmt.format(lower)}, {fmt.format(upper)}]"


def register(app: typer.Typer) -> None:
    """Add ``paragon hotspots`` to ``app``."""
    hotspots = typer.Typer(help="Hotspot backtests and predictions.", no_args_is_help=True)
    app.add_typer(hotspots, name="hotspots")

    @hotspots.command("backtest")
    def backtest(
        cell: CellOption,
        train_months: TrainOption,
        start: Annotated[str, typer.Option("--from", help="First predicted month, YYYY-MM.")],
        end: Annotated[str, typer.Option("--to", help="Last predicted month, YYYY-MM.")],
        input_path: InputOption = None,
        crime_type: CrimeTypeOption = None,
        area: AreaOption = None,
        methods: Annotated[
            list[str] | None,
            typer.Option("--method", help=f"Methods to compare ({', '.join(METHOD_NAMES)}); "
                         "repeatable; the naive counts are always included. Default: all."),
        ] = None,
        tune_months: TuneOption = 12,
        force: ForceOption = None,
        weights: WeightsOption = None,
        weight: WeightOption = Weight.counts,
        harm: Annotated[bool, typer.Option(
            "--harm", hidden=True, help="The same as --weight harm.")] = False,
        fmt: FormatOption = OutputFormat.table,
        db: DbOption = None,
        plan: HotspotPlanOption = None,
    ) -> None:
        """Rolling-origin backtest of every method: hit rate, PAI and PEI at 1/5/10/20%."""

        def body() -> None:
            from paragon.tasking.backtest import run_backtest
            from paragon.tasking.harm import load_weights
            from paragon.tasking.methods import METHODS

            for name in methods or []:
                if name not in METHODS:
                    raise ParagonError(
                        f"Unknown method '{name}'; choose from {', '.join(METHODS)}.")
            by_harm = harm or weight is Weight.harm
            w = load_weights(weights) if by_harm else None
            the_plan = _plan(plan)
            events, _ = _events(input_path, crime_type, force, w, db, the_plan)
            grid = _grid(area, cell, events, the_plan)
            report = run_backtest(grid, events, start, end, train_months, methods,
                                  tune_months=tune_months, harm=by_harm)
            report.weight = "harm" if by_harm else "counts"
            report.weight_source = w.source if w is not None else None
            if fmt is OutputFormat.json:
                print_json(report.as_dict())
            elif fmt is OutputFormat.csv:
                raise ParagonError("backtest prints a table or JSON, not CSV.")
            else:
                _print_backtest(report)

        run(body)

    @hotspots.command("predict")
    def predict_cmd(
        cell: CellOption,
        train_months: TrainOption,
        input_path: InputOption = None,
        crime_type: CrimeTypeOption = None,
        area: AreaOption = None,
        method_name: Annotated[str, typer.Option(
            "--method", help=f"One of {', '.join(METHOD_NAMES)}.")] = "neighbour_counts",
        top: Annotated[int, typer.Option("--top", help="Cells per LPU.")] = 10,
        tune_months: TuneOption = 12,
        force: ForceOption = None,
        weights: WeightsOption = None,
        weight: Annotated[Weight, typer.Option(
            "--weight", help="Rank cells by expected crimes (counts) or expected harm (harm: "
            "ONS Crime Severity Score weights, or --weights).")] = Weight.counts,
        geojson: Annotated[Path | None, typer.Option(
            "--geojson", help="Write the cells as GeoJSON polygons (WGS84).")] = None,
        csv_out: Annotated[Path | None, typer.Option(
            "--csv", help="Write cell, LPU, rank, expected crimes and harm as CSV.")] = None,
        fmt: FormatOption = OutputFormat.table,
        db: DbOption = None,
        plan: HotspotPlanOption = None,
    ) -> None:
        """The top cells per LPU for the month after the data ends, with expected crimes and
        harm; the LPU of a cell is that of the nearest LSOA centroid (warehouse input)."""

        def body() -> None:
            from paragon.tasking.harm import load_weights
            from paragon.tasking.predict import predict

            the_plan = _plan(plan)
            w: HarmWeights | None = load_weights(weights)
            try:
                events, centroids = _events(input_path, crime_type, force, w, db, the_plan)
            except ParagonError as exc:
                if weight is Weight.harm or weights is not None or "harm weight" not in str(exc):
                    raise
                err_console.print(f"Expected harm is left out: {exc}")
                w = None
                events, centroids = _events(input_path, crime_type, force, None, db, the_plan)
            grid = _grid(area, cell, events, the_plan)
            pred = predict(grid, events, method_name, train_months, top, centroids,
                           tune_months=tune_months, harm_source=w.source if w else None,
                           rank_by="harm" if weight is Weight.harm else "crimes")
            if geojson is not None:
                geojson.write_text(pred.geojson_text(), encoding="utf-8")
            if csv_out is not None:
                csv_out.write_text(pred.csv(), encoding="utf-8")
            if fmt is OutputFormat.json:
                print_json(pred.as_dict())
                return
            if fmt is OutputFormat.csv:
                out_console.file.write(pred.csv())
                return
            table = Table("LPU", "rank", "cell", "expected crimes [90%]", "expected harm [90%]",
                          title=f"Predicted hotspots for {pred.month} by expected "
                          f"{pred.rank_by}: {pred.title}, trained on "
                          f"{pred.train_from}..{pred.train_to}")
            for c in pred.cells:
                lo, hi = c.crimes_interval
                hint = c.harm_interval
                table.add_row(
                    c.lpu, str(c.rank), c.cell, f"{c.expected_crimes:.2f} [{lo:.0f}, {hi:.0f}]",
                    "—" if c.expected_harm is None or hint is None
                    else f"{c.expected_harm:.1f} [{hint[0]:.0f}, {hint[1]:.0f}]")
            out_console.print(table)

        run(body)
