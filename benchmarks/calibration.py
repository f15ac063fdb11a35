"""Calibration of Paragon's monitoring statistics by rolling-origin backtests.

For simulated monthly series (Poisson and overdispersed, autocorrelated, with trends and steps)
and for real series (data.police.uk: Greater Manchester burglary force-wide and in each of its
ten districts; Merseyside shoplifting and Nottingham burglary and robbery are too short for a
projection and show the refusal; Tempe's opioid-overdose calls for service, seven and a half
years), it prints:

* the false-signal rate of the measure control chart (:func:`paragon.stats.control.count_chart`,
  seasonally adjusted XmR) on the last 12 months of series with no real change, per point (with
  its standard error: signals come in runs, so the charts, not the months, are the independent
  units) and per chart, against the rules' own rate on 12 independent normal months with limits
  set from those months as the chart sets them (20,000 charts; also shown with the limits known,
  rule by rule, and checked through the full chart on a flat series, and with the seasonal
  profile estimated against the true one);
* the false "real change" rate of the period comparison (:func:`paragon.stats.counts.
  compare_periods`, quasi-Poisson) of the last 12 months with the 12 before, nominal 5%;
* the coverage of the year-end projection's 80% and 95% intervals
  (:func:`paragon.stats.projection.project_count_year_end`) at rolling origins: the projection is
  made after 2, 4, 6, 8 and 10 months (1 to 11 on the real series) from the two or three years
  before, and the year's true total is checked against the intervals.

Rows outside twice the nominal false-alarm rate, or more than 0.05 from the nominal coverage, are
marked ``!``. "moving" is the share of charts that say their months move together (the chart's
caveat that it cannot claim its usual false-signal rate); "claimed/pt" is the per-point rate of
the charts without that caveat, the ones that claim the usual rate. The last line counts the
forces outside the Home Office 2017/18 domestic burglary funnel, plain Poisson and
overdispersion-adjusted. Real series have real changes, so their signal and change rates are not
false-alarm rates; they are shown for reference. Run: ``.venv/bin/python
benchmarks/calibration.py`` (a few minutes on one core; ``--runs`` sets the simulated series per
case, 600 by default: at 150 a coverage has a standard error near 0.015, too much for a band of
±0.05).

Data: ``benchmarks/data/gm_burglary_by_district.csv`` (monthly burglaries per Greater Manchester
district, counted from the data.police.uk points in ``gmp_bur.csv`` by the bundled 2011 district
boundaries), ``benchmarks/data/tempe_opioid_calls_by_month.csv`` (see benchmarks/data/SOURCES.md)
and ``tests/data/policeuk/monthly/monthly_counts.csv``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from paragon.stats.control import RARE_TAIL, count_chart, rare_months_chart
from paragon.stats.counts import compare_periods
from paragon.stats.funnel import funnel_rates
from paragon.stats.projection import project_count_year_end
from paragon.stats.spc import LIMIT_FACTOR, NEAR_FACTOR, classify, mean_moving_range

ROOT = Path(__file__).resolve().parent.parent
DISTRICTS = ROOT / "benchmarks" / "data" / "gm_burglary_by_district.csv"
TEMPE = ROOT / "benchmarks" / "data" / "tempe_opioid_calls_by_month.csv"
MONTHLY = ROOT / "tests" / "data" / "policeuk" / "monthly" / "monthly_counts.csv"
HOME_OFFICE = ROOT / "tests" / "data" / "homeoffice"
GM_POINTS = ROOT / "tests" / "data" / "policeuk" / "derived" / "gmp_bur.csv.gz"
PROFILE = 1 + 0.25 * np.cos(2 * np.pi * (np.arange(12) - 9) / 12)  # April first; peak in winter
ORIGINS = (2, 4, 6, 8, 10)
YEARS = 4  # simulated: three earlier years and the year projected


def periods(n: int, first_year: int = 2015, first_month: int = 4) -> list[str]:
    out = []
    for i in range(n):
        m = first_month - 1 + i
        out.append(f"{first_year + m // 12}-{m % 12 + 1:02d}")
    return out


def simulate(
    rng: np.random.Generator,
    level: float,
    phi: float = 1.0,
    ar: float = 0.0,
    trend: float = 0.0,
    step: tuple[int, float] | None = None,
    wobble: float = 0.0,
) -> np.ndarray:
    """``YEARS`` years of monthly counts from April: seasonal profile, a yearly ``trend`` (log),
    a ``step`` (from month index, factor), a yearly wobble of the profile (lognormal sd), and
    gamma-Poisson-like extra variation with dispersion about ``phi`` whose log follows an AR(1)
    with coefficient ``ar``."""
    n = 12 * YEARS
    t = np.arange(n)
    mu = level * np.tile(PROFILE, YEARS) * np.exp(trend * t / 12)
    if step is not None:
        mu[step[0]:] *= step[1]
    if wobble:
        mu *= np.exp(rng.normal(0, wobble, n))
    if phi > 1:
        sd = np.sqrt(np.log(1 + (phi - 1) / mu))  # lognormal: var = mu + (phi - 1) mu
        e = np.empty(n)
        z = rng.normal(size=n)
        e[0] = z[0]
        for i in range(1, n):
            e[i] = ar * e[i - 1] + np.sqrt(1 - ar**2) * z[i]
        mu = mu * np.exp(sd * e - sd**2 / 2)
    return rng.poisson(mu).astype(float)


@dataclass
class Tally:
    points: int = 0
    point_signals: int = 0
    charts: int = 0
    chart_signals: int = 0
    moving_together: int = 0
    claimed_points: int = 0
    claimed_signals: int = 0
    comparisons: int = 0
    changes: int = 0
    projections: int = 0
    in80: int = 0
    in95: int = 0
    refused: int = 0
    level_changes: int = 0
    shares: list[float] = field(default_factory=list)

    def chart(self, values: np.ndarray, months: list[str], show_from: str,
              seasonal: bool = True) -> None:
        chart = count_chart(values.tolist(), months, better="lower", show_from=show_from,
                            seasonal=seasonal)
        flags = [p.signal != "none" for p in chart.points if p.centre is not None]
        self.shares.append(sum(flags) / len(flags) if flags else 0.0)
        self.points += len(flags)
        self.point_signals += sum(flags)
        self.charts += 1
        self.chart_signals += any(flags)
        moving = any("move together" in c for c in chart.caveats)
        self.moving_together += moving
        if not moving:  # the chart claims its usual false-signal rate
            self.claimed_points += len(flags)
            self.claimed_signals += sum(flags)

    def point_se(self) -> float:
        """Standard error of the per-point rate: signals come in runs within a chart, so it is
        the spread of the charts' shares of flagged months over √charts."""
        n = len(self.shares)
        return float(np.std(self.shares, ddof=1) / np.sqrt(n)) if n > 1 else math.nan

    def compare(self, before: np.ndarray, after: np.ndarray) -> None:
        c = compare_periods([int(v) for v in before], [int(v) for v in after])
        self.comparisons += 1
        self.changes += c.p_value < 0.05

    def project(self, earlier: np.ndarray, year: np.ndarray, origins: tuple[int, ...]) -> None:
        total = float(year.sum())
        for k in origins:
            r = project_count_year_end(year[:k].tolist(), earlier, 0.0)
            if r.interval_80 is None or r.interval_95 is None:
                self.refused += 1
                continue
            self.projections += 1
            self.in80 += r.interval_80[0] <= total <= r.interval_80[1]
            self.in95 += r.interval_95[0] <= total <= r.interval_95[1]
            self.level_changes += r.level_change is not None


RULES = ("outside_limits", "trend", "two_of_three", "shift")


def rules_rates(rng: np.random.Generator, runs: int, known: bool, n: int = 12) -> dict[str, float]:
    """The chart rules' own false-signal rates on ``n`` independent normal months: per point
    (``"point"``, and per rule), and per chart (``"chart"``). ``known``: limits at the true mean
    ± 3 (near limits ± 2) standard deviations; else set from the same months as the chart does
    (mean ± 2.66 mean moving ranges, after the moving-range screen)."""
    counts = dict.fromkeys(RULES, 0)
    charts = 0
    for _ in range(runs):
        y = rng.normal(1000.0, 10.0, n).tolist()
        if known:
            centre, half, near = 1000.0, 30.0, 20.0
        else:
            centre, mr = sum(y) / n, mean_moving_range(y)
            half, near = LIMIT_FACTOR * mr, NEAR_FACTOR * mr
        signals = classify(y, centre, [centre - half] * n, [centre + half] * n,
                           [centre - near] * n, [centre + near] * n, "lower")
        for s, _ in signals:
            if s != "none":
                counts[s] += 1
        charts += any(s != "none" for s, _ in signals)
    out = {rule: c / (runs * n) for rule, c in counts.items()}
    out["point"] = sum(counts.values()) / (runs * n)
    out["chart"] = charts / runs
    return out


def flat_chart_rate(rng: np.random.Generator, runs: int) -> tuple[float, float]:
    """Per-point rate and its standard error of the full seasonally adjusted chart on a flat
    Poisson series with a mean of 10,000 (independent, nearly normal months, no season)."""
    months = periods(12 * YEARS)
    t = Tally()
    for _ in range(runs):
        t.chart(rng.poisson(10_000, 12 * YEARS).astype(float), months, months[-12])
    return t.point_signals / t.points, t.point_se()


def seasonal_check(rng: np.random.Generator, runs: int) -> tuple[float, float, float, float]:
    """Poisson 200 a month with the winter peak, last 12 months charted: per-point rate (and
    standard error) when adjusted by the profile estimated from the four years (the product),
    and when divided by the true profile (limits from the same 12 months either way)."""
    months = periods(12 * YEARS)
    est, true = Tally(), Tally()
    for _ in range(runs):
        y = simulate(rng, 200)
        est.chart(y, months, months[-12])
        true.chart(y[-12:] / PROFILE, months[-12:], months[-12], seasonal=False)
    return (est.point_signals / est.points, est.point_se(),
            true.point_signals / true.points, true.point_se())


Case = tuple[str, bool, Callable[[np.random.Generator], np.ndarray]]
CASES: list[Case] = [
    ("Poisson, 200 a month", True, lambda g: simulate(g, 200)),
    ("Poisson, 15 a month", True, lambda g: simulate(g, 15)),
    ("phi 2", True, lambda g: simulate(g, 200, phi=2)),
    ("phi 3", True, lambda g: simulate(g, 200, phi=3)),
    ("phi 5", True, lambda g: simulate(g, 200, phi=5)),
    ("phi 3, profile wobble 8%", True, lambda g: simulate(g, 200, phi=3, wobble=0.08)),
    ("phi 3, autocorrelation 0.3", True, lambda g: simulate(g, 200, phi=3, ar=0.3)),
    ("phi 3, autocorrelation 0.6", True, lambda g: simulate(g, 200, phi=3, ar=0.6)),
    ("phi 2, trend -10% a year", False, lambda g: simulate(g, 200, phi=2, trend=-0.105)),
    ("phi 2, step -25% in month 6", False,
     lambda g: simulate(g, 200, phi=2, step=(36 + 5, 0.75))),
    ("phi 2, step +30% in month 3", False,
     lambda g: simulate(g, 200, phi=2, step=(36 + 2, 1.3))),
]


STEP_MONTH = {"phi 2, step -25% in month 6": 5, "phi 2, step +30% in month 3": 2}
"""Month of the year (0 = April) where a step case changes level: its projections are scored
only from two months after the change (a projection cannot foresee a change to come)."""


def simulated(runs: int, seed: int) -> list[tuple[str, bool, Tally]]:
    out = []
    months = periods(12 * YEARS)
    for i, (name, null, make) in enumerate(CASES):
        rng = np.random.default_rng(seed + i)
        t = Tally()
        origins = tuple(k for k in ORIGINS if k >= STEP_MONTH.get(name, -2) + 2)
        for _ in range(runs):
            y = make(rng)
            t.chart(y, months, months[-12])
            t.compare(y[-24:-12], y[-12:])
            t.project(y[:-12].reshape(YEARS - 1, 12), y[-12:], origins)
        out.append((name, null, t))
    return out


def read_series(path: Path, key: str) -> dict[str, list[tuple[str, float]]]:
    series: dict[str, list[tuple[str, float]]] = defaultdict(list)
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            series[row[key]].append((row["month"], float(row["crimes"])))
    return {k: sorted(v) for k, v in series.items()}


def real() -> list[tuple[str, Tally]]:
    """Greater Manchester burglary (36 months, Feb 2016 to Jan 2019): 'years' run February to
    January; the third is projected from the first two at every origin. Shorter series: charts
    only, and the projection's refusal."""
    out = []
    districts = read_series(DISTRICTS, "district")
    monthly = read_series(MONTHLY, "series")
    gm = {"Greater Manchester (force)": monthly["greater-manchester-burglary"]}
    gm.update({f"GM {name}": s for name, s in sorted(districts.items())})
    pooled = Tally()
    for name, s in gm.items():
        months, y = [m for m, _ in s], np.array([v for _, v in s])
        t = Tally()
        t.chart(y, months, months[-12])
        t.compare(y[-24:-12], y[-12:])
        t.project(y[:24].reshape(2, 12), y[24:], tuple(range(1, 12)))
        for f in vars(t):
            setattr(pooled, f, getattr(pooled, f) + getattr(t, f))
        out.append((f"burglary, {name}", t))
    out.insert(0, ("burglary, Greater Manchester: all 11 series pooled", pooled))
    out.append(("opioid calls for service, Tempe (Arizona)", tempe()))
    for key in ("merseyside-shoplifting", "nottingham-burglary", "nottingham-robbery"):
        s = monthly[key]
        months, y = [m for m, _ in s], np.array([v for _, v in s])
        t = Tally()
        t.chart(y, months, months[0])
        if len(y) >= 12:
            t.project(np.empty((0, 12)), y[:12], (6,))
        out.append((key.replace("-", " "), t))
    return out


def tempe() -> Tally:
    """Tempe opioid-overdose calls for service, January 2017 to September 2024: the financial
    years (April to March) 2019-20 to 2023-24 each projected after every month from the (at most
    three, as the product uses) complete years before; the chart and comparison on the last 24
    complete months."""
    with TEMPE.open(newline="") as fh:
        rows = [(r["month"], float(r["calls"])) for r in csv.DictReader(fh)]
    first = next(i for i, (m, _) in enumerate(rows) if m.endswith("-04"))
    fy = np.array([v for _, v in rows[first:]])
    years = fy[: len(fy) // 12 * 12].reshape(-1, 12)
    t = Tally()
    for j in range(2, len(years)):
        t.project(years[max(0, j - 3):j], years[j], tuple(range(1, 12)))
    y = years.ravel()
    months = [m for m, _ in rows[first:first + len(y)]]
    t.chart(y, months, months[-12])
    t.compare(y[-24:-12], y[-12:])
    return t


def rare_rates(series: list[list[int]]) -> tuple[float, float, int]:
    """Per-month and per-chart signal rates of the rare monthly chart over the series given."""
    months = signals = charts = flagged = 0
    for x in series:
        r = rare_months_chart(x, better="lower")
        flags = [v != "common" for v in r.signals]
        months += len(flags)
        signals += sum(flags)
        charts += 1
        flagged += any(flags)
    return signals / months, flagged / charts, charts


def rare_simulated(rng: np.random.Generator, runs: int, n: int = 24) -> list[tuple[str, float,
                                                                                     float]]:
    """The rare monthly chart (police.uk: months, no days) on ``n`` months of Poisson and
    overdispersed counts with no change, and with a real change (its detection rate)."""
    def nb(mean: float, phi: float, size: int) -> np.ndarray:
        return rng.negative_binomial(mean / (phi - 1), 1 / phi, size)

    cases: list[tuple[str, Callable[[], Any]]] = [
        (f"Poisson, {m} a month", partial(rng.poisson, m, n)) for m in (0.5, 1, 2, 3.5)]
    cases += [(f"phi 2, {m} a month", partial(nb, m, 2.0, n)) for m in (0.5, 1, 2, 3.5)]
    cases += [("step 2 -> 0.2 a month at month 13 (real change)",
               lambda: np.concatenate([rng.poisson(2, n // 2), rng.poisson(0.2, n - n // 2)])),
              ("step 1 -> 4 a month at month 13 (real change)",
               lambda: np.concatenate([rng.poisson(1, n // 2), rng.poisson(4, n - n // 2)]))]
    out = []
    for name, make in cases:
        series: list[list[int]] = []
        while len(series) < runs:
            x = make()
            if x.sum() > 0:
                series.append([int(v) for v in x])
        per_month, per_chart, _ = rare_rates(series)
        out.append((name, per_month, per_chart))
    return out


def rare_real() -> tuple[float, float, int]:
    """The rare monthly chart on real data.police.uk counts: Greater Manchester burglaries in
    the 1 km squares (by latitude and longitude) with 0.5 to 4 a month, 36 months each."""
    cells: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    months: set[str] = set()
    km_lon = 111.2 * math.cos(math.radians(53.5))
    with gzip.open(GM_POINTS, "rt") as fh:
        for r in csv.DictReader(fh):
            try:
                lat, lon = float(r["Latitude"]), float(r["Longitude"])
            except ValueError:
                continue
            cells[(int(lat * 111.2), int(lon * km_lon))][r["Month"]] += 1
            months.add(r["Month"])
    order = sorted(months)
    series = [[c.get(m, 0) for m in order] for c in cells.values()]
    return rare_rates([x for x in series if 0.5 * len(order) <= sum(x) <= 4 * len(order)])


def home_office_funnel() -> str:
    """Home Office 2017/18 domestic burglary per 1,000 households (2011) by English force: units
    outside the plain Poisson funnel and outside the overdispersion-adjusted one."""
    with (HOME_OFFICE / "force_households_2011.csv").open(newline="") as fh:
        households = {r["force"]: int(r["households_2011"]) for r in csv.DictReader(fh)}
    offences: dict[str, int] = defaultdict(int)
    with gzip.open(HOME_OFFICE / "prc-pfa-201718_new.csv.gz", "rt") as fh:
        for r in csv.DictReader(fh):
            if r["Offence_Subgroup"] == "Domestic burglary":
                offences[r["Force_Name"]] += int(r["Number_of_Offences"])
    forces = sorted(households)
    counts, sizes = [offences[f] for f in forces], [households[f] for f in forces]
    plain = funnel_rates(counts, sizes, forces)
    adjusted = funnel_rates(counts, sizes, forces, adjust="auto")
    od = adjusted.overdispersion
    out998 = sum(u.classification != "within" for u in adjusted.units)
    out95 = sum(u.classification_95 != "within" for u in adjusted.units)
    return (f"Home Office 2017/18 domestic burglary funnel, {len(forces)} forces: "
            f"{sum(u.classification != 'within' for u in plain.units)} outside the Poisson 99.8% "
            f"limits; with the overdispersion allowance ({od.method if od else 'none'}) "
            f"{out998} outside 99.8% and {out95} outside 95%")


def fmt(num: int, den: int) -> str:
    return f"{num / den:6.3f}" if den else "     —"


def mark(value: float | None, lo: float, hi: float) -> str:
    return "!" if value is not None and not lo <= value <= hi else " "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=600, help="simulated series per case")
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--rule-runs", type=int, default=20_000,
                        help="independent normal charts for the rules' own rate")
    args = parser.parse_args()
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed - 1)
    known = rules_rates(rng, args.rule_runs, known=True)
    estimated = rules_rates(rng, args.rule_runs, known=False)
    point_nominal, chart_nominal = estimated["point"], estimated["chart"]
    print(f"Chart rules' own false-signal rate on 12 independent normal months "
          f"({args.rule_runs} charts each):")
    for label, r in (("limits known (mean ± 3 sd)", known),
                     ("limits set from the same 12 months (the chart)", estimated)):
        rules = ", ".join(f"{k} {r[k]:.4f}" for k in RULES)
        print(f"  {label:48} {r['point']:.4f} per point ({rules}), "
              f"{r['chart']:.3f} per chart")
    print(f"Nominal used below: {point_nominal:.4f} per point, {chart_nominal:.3f} per chart "
          "(limits set from the months charted)")
    flat, flat_se = flat_chart_rate(rng, 4 * args.runs)
    print(f"The full chart on a flat Poisson series (mean 10,000, profile estimated from 4 years; "
          f"{4 * args.runs} charts): {flat:.4f} ± {flat_se:.4f} per point")
    est, est_se, true, true_se = seasonal_check(rng, 4 * args.runs)
    print(f"Poisson 200 a month with a winter peak ({4 * args.runs} charts): adjusted by the "
          f"estimated profile {est:.4f} ± {est_se:.4f}, by the true profile {true:.4f} ± "
          f"{true_se:.4f} per point")
    head = (f"{'case':52} {'signal/pt':>9} {'± se':>6} {'signal/chart':>12} {'change':>7} "
            f"{'cover80':>8} {'cover95':>8} {'n proj':>6} {'lvl chg':>7} {'moving':>6} "
            f"{'claimed/pt':>10}")
    print("\nSimulated (4 years from April; charts and comparisons on the last 12 months; "
          f"{args.runs} series per case)")
    print(head)
    for name, null, t in simulated(args.runs, args.seed):
        p = t.point_signals / t.points if null else None
        c = t.chart_signals / t.charts if null else None
        ch = t.changes / t.comparisons if null else None
        c80, c95 = t.in80 / t.projections, t.in95 / t.projections
        claimed = t.claimed_signals / t.claimed_points if null and t.claimed_points else None
        flags = (mark(p, 0, 2 * point_nominal) + mark(c, 0, 2 * chart_nominal)
                 + mark(ch, 0, 0.10) + mark(c80, 0.75, 0.85) + mark(c95, 0.90, 1.0)
                 + mark(claimed, 0, 2 * point_nominal))
        print(f"{name:52} {fmt(t.point_signals, t.points) if null else '     (real)':>9}"
              f"{flags[0]}{t.point_se() if null else math.nan:6.3f}"
              f"{fmt(t.chart_signals, t.charts) if null else '   (real)':>12}{flags[1]}"
              f"{fmt(t.changes, t.comparisons) if null else ' (real)':>7}{flags[2]}"
              f"{c80:8.3f}{flags[3]}{c95:8.3f}{flags[4]}{t.projections:6d} "
              f"{fmt(t.level_changes, t.projections):>7} {fmt(t.moving_together, t.charts):>6} "
              f"{fmt(t.claimed_signals, t.claimed_points) if null else '':>9}{flags[5]}")
    print("\nReal series (true changes unknown: signal and change rates are not false alarms)")
    print(head)
    for name, t in real():
        cov80 = t.in80 / t.projections if t.projections else None
        cov95 = t.in95 / t.projections if t.projections else None
        flags = mark(cov80, 0.75, 0.85) + mark(cov95, 0.90, 1.0)
        proj = (f"{fmt(t.in80, t.projections)}{flags[0]} {fmt(t.in95, t.projections)}{flags[1]}"
                f"{t.projections:6d}") if t.projections else (
            f"{'refused: fewer than 2 earlier years':>30}")
        print(f"{name[:52]:52} {fmt(t.point_signals, t.points):>9} {'':6} "
              f"{fmt(t.chart_signals, t.charts):>12} {fmt(t.changes, t.comparisons):>7}"
              f"  {proj} {fmt(t.level_changes, t.projections) if t.projections else '':>7} "
              f"{fmt(t.moving_together, t.charts):>6}")
    print(f"\nRare monthly counts (police.uk: months, no days; probability limits, 24 months, "
          f"{args.runs} series a case); each rule allows {RARE_TAIL} a month, "
          f"{2 * RARE_TAIL:.4f} for the two:")
    for name, per_month, per_chart in rare_simulated(rng, args.runs):
        real_change = "real change" in name
        flag = " " if real_change else mark(per_month, 0, 4 * RARE_TAIL)
        print(f"  {name:52} {per_month:7.4f}{flag} a month {per_chart:7.3f} a chart")
    per_month, per_chart, cells = rare_real()
    print(f"  {'real: GM burglary, 1 km squares with 0.5-4 a month':52} {per_month:7.4f}  a month "
          f"{per_chart:7.3f} a chart ({cells} squares, 36 months; real changes unknown)")
    print("\n" + home_office_funnel())
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
