"""Hotspot backtest speed: each method's 12-month rolling-origin backtest, vectorised, against the
plain per-cell implementation of the same method (``paragon.tasking.reference``) in the same run.

The protocol is the issue's: real Greater Manchester burglary (data.police.uk, 36 months
2016-02..2019-01), 250 m cells masked to the force area, train 12 months, predict each month
2018-02..2019-01. Each method runs with its documented default parameters (tuning time is
reported separately by ``paragon hotspots backtest``). Both implementations score the same months
and must agree on every month's PAI at 5%; the ratio is per-cell seconds / vectorised seconds.

    .venv/bin/python benchmarks/hotspots.py                  # all methods, 12 months
    .venv/bin/python benchmarks/hotspots.py --months 2 --format json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from paragon.tasking import reference
from paragon.tasking.backtest import evaluate, month_index, monthly_grids
from paragon.tasking.grid import grid_for_area, load_area
from paragon.tasking.methods import METHODS
from paragon.tasking.metrics import ranking, score_month
from paragon.tasking.sources import events_from_csv

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
POINTS = DATA / "policeuk" / "derived" / "gmp_bur.csv.gz"
AREA = DATA / "geography" / "greater-manchester-police-force-area.geojson.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12, help="predicted months (from 2018-02)")
    parser.add_argument("--train-months", type=int, default=12)
    parser.add_argument("--cell", type=float, default=250.0)
    parser.add_argument("--method", action="append", choices=list(METHODS))
    parser.add_argument("--format", choices=["table", "json"], default="table")
    args = parser.parse_args()

    t0 = time.perf_counter()
    grid = grid_for_area(load_area(AREA), args.cell)
    events, _ = events_from_csv(POINTS)
    setup = time.perf_counter() - t0
    start = month_index("2018-02")
    end = start + args.months - 1
    first = start - args.train_months
    rows = []
    for name in args.method or list(METHODS):
        m = METHODS[name]
        params = dict(m.defaults)

        t1 = time.perf_counter()
        stack = monthly_grids(grid, events, first, end)
        fast = evaluate(m, params, grid, stack, first, start, end, args.train_months)
        fast_s = time.perf_counter() - t1

        t2 = time.perf_counter()
        slow = []
        for month in range(start, end + 1):
            lo = month - args.train_months - first
            scores = reference.score_window(name, params, grid, stack[lo:lo + args.train_months])
            slow.append(score_month(ranking(scores, grid.mask), stack[month - first], grid.mask))
        slow_s = time.perf_counter() - t2

        agree = all(np.isclose(a.pai[5], b.pai[5]) for a, b in zip(fast, slow, strict=True))
        rows.append({
            "method": name, "parameters": params, "months": args.months,
            "vectorised_seconds": round(fast_s, 4), "per_cell_seconds": round(slow_s, 2),
            "ratio": round(slow_s / fast_s, 1) if fast_s > 0 else None,
            "mean_pai_5": round(float(np.mean([s.pai[5] for s in fast])), 4),
            "same_pai_5_every_month": bool(agree),
        })
        print(f"{name}: vectorised {fast_s:.3f} s, per-cell {slow_s:.1f} s", file=sys.stderr)

    out = {"cells": grid.cells_in_area, "events": len(events.x), "cell_metres": args.cell,
           "setup_seconds": round(setup, 2), "methods": rows}
    if args.format == "json":
        print(json.dumps(out, indent=2))
        return
    print(f"{out['cells']:,} cells of {args.cell:g} m, {out['events']:,} events; "
          f"reading the CSV and masking the grid took {setup:.2f} s (once, not in the times)")
    print(f"{'method':18} {'vectorised s':>13} {'per-cell s':>11} {'ratio':>8} "
          f"{'PAI@5%':>7}  same")
    for r in rows:
        print(f"{r['method']:18} {r['vectorised_seconds']:13.3f} {r['per_cell_seconds']:11.1f} "
              f"{r['ratio']:8.0f} {r['mean_pai_5']:7.3f}  {r['same_pai_5_every_month']}")


if __name__ == "__main__":
    main()
