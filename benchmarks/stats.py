"""Statistics cost: the E-test at 1k, 100k and 1M counts and the funnel limits, old against new
in the same run.

"Old" is a straightforward reference written here with scipy.stats distribution objects: the
E-test summed over every pair of counts within 1e-15 of each tail (as paragon.stats.counts did),
and funnel limits from one frozen Poisson per unit and coverage (as paragon.stats.funnel did).
"New" is paragon.stats as it is. Each case is timed ``--runs`` times (best reported) and the
results of the two are checked to agree. At 1M the new E-test takes the normal score test (see
paragon.stats.counts.ASYMPTOTIC_FROM); its exact tail sum is timed too.

    .venv/bin/python benchmarks/stats.py            # 3 runs each
    .venv/bin/python benchmarks/stats.py --runs 1
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from scipy import stats

from paragon.stats.counts import _etest_exact, _score, etest_pvalue
from paragon.stats.funnel import funnel_rates, limits_curve


def old_etest(c1: float, c2: float, e1: float = 1.0, e2: float = 1.0) -> float:
    """The E-test over every pair of counts, with scipy.stats Poisson objects."""
    r_d = e1 / e2
    pooled = (c1 + c2) / (e1 + e2)
    d1, d2 = stats.poisson(pooled * e1), stats.poisson(pooled * e2)
    g1 = np.arange(max(0.0, d1.ppf(1e-15) - 1), d1.isf(1e-15) + 2)
    g2 = np.arange(max(0.0, d2.ppf(1e-15) - 1), d2.isf(1e-15) + 2)
    p1, p2 = d1.pmf(g1), d2.pmf(g2)
    obs = abs(float(_score(float(c1), float(c2), r_d))) - 1e-15
    rows = max(1, 4_000_000 // len(g2))
    total = 0.0
    for start in range(0, len(g1), rows):
        mask = np.abs(_score(g1[start : start + rows, None], g2[None, :], r_d)) >= obs
        total += float((p1[start : start + rows, None] * p2[None, :] * mask).sum())
    return min(1.0, total)


def _smoothed(q: float, dist: Any) -> float:
    r = float(dist.ppf(q))
    f_r = float(dist.cdf(r))
    f_below = float(dist.cdf(r - 1.0)) if r > 0 else 0.0
    return r if f_r == f_below else r - (f_r - q) / (f_r - f_below)


def old_funnel(events: list[int], pops: list[float], curve: np.ndarray) -> np.ndarray:
    """Per-unit and per-curve-point limits from frozen scipy.stats Poissons (per 1,000)."""
    target = sum(events) / sum(pops)
    out = []
    for size in [*pops, *curve]:
        for cov in (0.95, 0.998):
            tail = (1 - cov) / 2
            d = stats.poisson(target * size)
            out.append(max(0.0, _smoothed(tail, d)) / size * 1000)
            out.append(max(0.0, _smoothed(1 - tail, d)) / size * 1000)
    return np.array(out)


def new_funnel(events: list[int], pops: list[float], curve: np.ndarray) -> np.ndarray:
    plot = funnel_rates(events, pops, [f"u{i}" for i in range(len(events))], per=1000.0)
    out = []
    for u in plot.units:
        out += [u.lower_95, u.upper_95, u.lower_998, u.upper_998]
    target = plot.target / 1000.0
    lo95, hi95 = limits_curve("rate", target, curve, 0.95)
    lo998, hi998 = limits_curve("rate", target, curve, 0.998)
    points = np.column_stack([lo95, hi95, lo998, hi998]) * 1000
    return np.concatenate([np.array(out), points.ravel()])


def best(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(runs):
        t = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t)
    return min(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'case':<34}{'old s':>10}{'new s':>10}{'old/new':>10}  agreement")
    for n in (1_000, 100_000, 1_000_000):
        c1, c2 = n, int(n + 2.0 * math.sqrt(2.0 * n))
        t_old, p_old = best(partial(old_etest, c1, c2), args.runs)
        t_new, p_new = best(partial(etest_pvalue, c1, c2), args.runs)
        print(
            f"{f'E-test {n:,} v {c2:,}':<34}{t_old:>10.4f}{t_new:>10.6f}{t_old / t_new:>10.0f}"
            f"  |dp| = {abs(p_old - p_new):.1e}"
        )
        if n == 1_000_000:
            obs = abs(float(_score(float(c1), float(c2), 1.0))) - 1e-15
            pooled = (c1 + c2) / 2.0
            t_ex, p_ex = best(partial(_etest_exact, obs, pooled, pooled, 1.0), args.runs)
            print(
                f"{'  exact tail sum at 1M':<34}{t_old:>10.4f}{t_ex:>10.6f}"
                f"{t_old / t_ex:>10.0f}  |dp| = {abs(p_old - p_ex):.1e}"
            )
    rng = np.random.default_rng(3)
    events = [int(e) for e in rng.integers(200, 6_000, 40)]
    pops = [float(p) for p in rng.uniform(5e4, 9e5, 40)]
    curve = np.linspace(min(pops) * 0.8, max(pops) * 1.1, 40)
    t_old, v_old = best(lambda: old_funnel(events, pops, curve), args.runs)
    t_new, v_new = best(lambda: new_funnel(events, pops, curve), args.runs)
    rel = float(np.max(np.abs(v_old - v_new) / np.maximum(np.abs(v_old), 1e-12)))
    print(
        f"{'funnel: 40 units + 40-point curve':<34}{t_old:>10.4f}{t_new:>10.6f}"
        f"{t_old / t_new:>10.0f}  max rel diff = {rel:.1e}"
    )
    print(f"load average (1 min): {__import__('os').getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
