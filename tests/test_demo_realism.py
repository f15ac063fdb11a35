"""The demo's monthly counts are as noisy as real police series: overdispersed, autocorrelated and
with a seasonal pattern that varies from year to year, measured the same way on both."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from paragon.demo.crimes import group_months, monthly_counts
from paragon.demo.realism import MEASURED, DemoNoise, measure_real, noise
from paragon.measures.engine import monthly_components
from paragon.plan import Plan
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data"
MONTHLY = [k for k in MEASURED if not k.startswith("Home Office")]  # the real monthly series


def _range(field: str) -> tuple[float, float]:
    values = [float(MEASURED[k][field] or 0) for k in MONTHLY]
    return min(values), max(values)


def test_real_series_are_measured_as_recorded() -> None:
    got = {n.series: n for n in measure_real(DATA)}
    assert set(got) == set(MEASURED)
    for series, figures in MEASURED.items():
        for field, value in figures.items():
            assert getattr(got[series], field) == value, (series, field)
    # Real counts are not Poisson: every monthly series is overdispersed, and Greater Manchester
    # burglary (36 months) is strongly autocorrelated with a seasonal share that moves by ~8%.
    assert all(got[k].phi > 1.5 for k in MONTHLY)
    gm = got["Greater Manchester burglary 2016-02..2019-01"]
    assert gm.lag1 is not None and gm.lag1 > 0.5 and gm.season_cv == pytest.approx(0.08, abs=0.01)


def _demo_months(wh: Warehouse, plan: Plan, measure: str) -> np.ndarray:
    """The measure's monthly counts in the warehouse, April 2008 to March 2011 (36 months)."""
    parts, _ = monthly_components(wh, plan, measure, date(2008, 4, 1), date(2011, 4, 1))
    assert len(parts) == 36, measure
    return np.array([parts[m].numerator for m in sorted(parts)])


@pytest.mark.parametrize("measure", ["burglary-dwelling", "robbery", "vehicle-crime"])
def test_demo_months_are_as_noisy_as_real_series(
    demo_wh: Warehouse, plan: Plan, measure: str
) -> None:
    got = noise(measure, _demo_months(demo_wh, plan, measure), period=12)
    assert got.model == "month of year + trend"
    # Overdispersion: well above Poisson's 1, and per unit of size (alpha) where real series are.
    lo_alpha, hi_alpha = _range("alpha")
    assert got.phi > 3, got
    assert lo_alpha <= got.alpha <= hi_alpha, got
    # Autocorrelation within what the real monthly series show, and clearly not independent.
    lo_lag, hi_lag = _range("lag1")
    assert got.lag1 is not None and max(0.2, lo_lag) <= got.lag1 <= hi_lag, got
    # The seasonal share moves from year to year about as much as Greater Manchester burglary's.
    assert got.season_cv is not None and 0.04 <= got.season_cv <= 0.16, got


def test_the_measurement_tells_noisy_from_poisson_counts() -> None:
    """Without the latent noise the same measurements give Poisson values: the test above would
    fail on a demo drawn as independent Poisson months."""
    rng = np.random.default_rng(7)
    pace = dict.fromkeys(range(2007, 2012), 18_000.0)
    flat = monthly_counts(rng, "burglary_dwelling", pace, DemoNoise(rho=0.0, sd=0.0, season_sd=0.0))
    got = noise("Poisson", flat[12:48], period=12)
    assert got.phi < 2 and got.alpha < _range("alpha")[0] and abs(got.lag1 or 0) < 0.4
    # The demo's own noise on a series of the same size: overdispersed like the real ones.
    noisy = group_months(np.random.default_rng(7))["burglary_dwelling"]
    assert noise("demo", noisy[12:48], period=12).phi > 3
