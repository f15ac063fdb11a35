"""The seasonal profile against an independent statsmodels fit (treatment coding, not the
module's sum-to-zero coding), on the real Greater Manchester burglary series (data.police.uk via
tests/data) and on short generated series; the month-label checks. Edges a small wrong change to
stats/seasonal.py would break."""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm

from paragon.stats.seasonal import (
    MIN_YEARS,
    MONTH_NAMES,
    calendar_month,
    month_number,
    seasonal_profile,
)

GM_POINTS = Path(__file__).parent / "data" / "policeuk" / "derived" / "gmp_bur.csv.gz"


def _periods(first_year: int, first_month: int, n: int) -> list[str]:
    start = first_year * 12 + first_month - 1
    return [f"{(start + i) // 12}-{(start + i) % 12 + 1:02d}" for i in range(n)]


def _reference(
    values: list[float], periods: list[str], segments: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Index, lower, upper and dispersion from a treatment-coded quasi-Poisson GLM."""
    n = len(values)
    months = np.array([int(p[5:7]) for p in periods])
    t = np.array([int(p[:4]) * 12 + int(p[5:7]) for p in periods], dtype=float)
    segs = np.zeros(n, dtype=int) if segments is None else np.array(segments)
    levels = sorted(set(segs.tolist()))
    cols = [(segs == lev).astype(float) for lev in levels]
    cols.append((t - t.mean()) / 12.0)
    cols += [(months == c).astype(float) for c in range(2, 13)]  # January is the baseline
    x = np.column_stack(cols)
    fit = sm.GLM(np.array(values), x, family=sm.families.Poisson()).fit()
    dispersion = float(fit.pearson_chi2 / (n - x.shape[1]))
    k = len(levels) + 1
    beta = np.concatenate([[0.0], np.asarray(fit.params)[k:]])  # effects of Jan..Dec
    cov = np.zeros((12, 12))
    cov[1:, 1:] = np.asarray(fit.cov_params())[k:, k:] * max(dispersion, 1.0)
    centre = np.eye(12) - np.full((12, 12), 1.0 / 12.0)  # effect minus the mean of the 12
    effects = centre @ beta
    se = np.sqrt(np.diag(centre @ cov @ centre.T))
    return np.exp(effects), np.exp(effects - 1.96 * se), np.exp(effects + 1.96 * se), dispersion


def _gm_series() -> tuple[list[str], list[float]]:
    with gzip.open(GM_POINTS, "rt") as f:
        next(f)
        counts = Counter(line[:7] for line in f)
    months = sorted(counts)
    return months, [float(counts[m]) for m in months]


def test_real_greater_manchester_burglary_profile_matches_statsmodels() -> None:
    periods, values = _gm_series()
    assert len(periods) == 36 and periods[0] == "2016-02"
    profile = seasonal_profile(values, periods)
    assert profile is not None
    index, lower, upper, dispersion = _reference(values, periods)
    assert profile.index == pytest.approx(list(index), rel=1e-7)
    assert profile.lower == pytest.approx(list(lower), rel=1e-7)
    assert profile.upper == pytest.approx(list(upper), rel=1e-7)
    assert profile.dispersion == pytest.approx(dispersion, rel=1e-9)
    assert dispersion > 1  # real months vary more than Poisson counts
    assert profile.months_used == 36 and profile.years == 3.0
    # burglary peaks in the dark months: November above May
    assert profile.of("2019-11") > 1.0 > profile.of("2019-05")
    assert profile.of("2016-11") == profile.index[10]
    data = profile.to_dict()
    assert data["months"] == list(MONTH_NAMES) and data["index"] == profile.index
    json.dumps(data)


def test_segments_each_get_their_own_level() -> None:
    periods, values = _gm_series()
    # a recording-practice break after 20 months, with a 30% step
    stepped = [v * (1.3 if i >= 20 else 1.0) for i, v in enumerate(values)]
    segments = [0 if i < 20 else 1 for i in range(len(values))]
    profile = seasonal_profile(stepped, periods, segments)
    assert profile is not None
    index, lower, upper, dispersion = _reference(stepped, periods, segments)
    assert profile.index == pytest.approx(list(index), rel=1e-7)
    assert profile.lower == pytest.approx(list(lower), rel=1e-7)
    assert profile.upper == pytest.approx(list(upper), rel=1e-7)
    assert profile.dispersion == pytest.approx(dispersion, rel=1e-9)
    # without the segments the step is partly read as season
    plain = seasonal_profile(stepped, periods)
    assert plain is not None and plain.index != pytest.approx(profile.index, rel=1e-3)


def test_an_underdispersed_series_keeps_the_poisson_intervals() -> None:
    # counts that vary less than Poisson counts would: the intervals are not narrowed below
    # the Poisson ones (dispersion floored at 1)
    periods = _periods(2019, 1, 24)
    season = [100, 90, 95, 105, 110, 100, 98, 102, 97, 120, 130, 125]
    values = [float(season[i % 12] + (1 if i >= 12 else 0)) for i in range(24)]
    profile = seasonal_profile(values, periods)
    assert profile is not None and profile.dispersion < 1
    index, lower, upper, dispersion = _reference(values, periods)
    assert profile.dispersion == pytest.approx(dispersion, rel=1e-6)
    assert profile.index == pytest.approx(list(index), rel=1e-7)
    assert profile.lower == pytest.approx(list(lower), rel=1e-7)
    assert profile.upper == pytest.approx(list(upper), rel=1e-7)
    # geometric mean of the indices is 1
    assert math.exp(float(np.mean(np.log(profile.index)))) == pytest.approx(1.0, rel=1e-12)


def test_two_years_exactly_is_enough_and_less_is_not() -> None:
    rng = np.random.default_rng(3)
    periods = _periods(2020, 1, 24)
    values = [float(v) for v in rng.poisson(80, size=24)]
    assert MIN_YEARS == 2
    assert seasonal_profile(values, periods) is not None
    # a gap: one calendar month seen once
    assert seasonal_profile(values[:5] + values[6:], periods[:5] + periods[6:]) is None
    # January seen once (and December once)
    assert seasonal_profile(values[1:23], periods[1:23]) is None
    assert seasonal_profile(values[1:], periods[1:]) is None
    assert seasonal_profile(values[:-1], periods[:-1]) is None
    # a calendar month with no events at all
    empty = list(values)
    empty[3] = empty[15] = 0.0
    assert seasonal_profile(empty, periods) is None
    january = list(values)
    january[0] = january[12] = 0.0
    assert seasonal_profile(january, periods) is None
    # one event in that month is enough
    empty[3] = 1.0
    assert seasonal_profile(empty, periods) is not None
    # zero counts elsewhere are fine
    zero = list(values)
    zero[3] = 0.0
    assert seasonal_profile(zero, periods) is not None


@pytest.mark.parametrize(
    ("values", "periods", "message"),
    [
        ([1.0], ["2020-01", "2020-02"], "^values and periods must have the same length$"),
        ([1.0, -1.0], ["2020-01", "2020-02"], "^counts must be finite and not negative$"),
        ([1.0, math.nan], ["2020-01", "2020-02"], "^counts must be finite and not negative$"),
        ([1.0, math.inf], ["2020-01", "2020-02"], "^counts must be finite and not negative$"),
    ],
)
def test_bad_series_are_refused(values: list[float], periods: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        seasonal_profile(values, periods)


def test_calendar_month_and_month_number() -> None:
    assert calendar_month("2016-01") == 1 and calendar_month("2016-12") == 12
    assert calendar_month("2016-10") == 10
    assert month_number("2016-01") == 2016 * 12
    assert month_number("2017-03") - month_number("2016-12") == 3


@pytest.mark.parametrize(
    "period", ["2016-13", "2016-00", "16-10", "20161-10", "2016-1x", "abcd-10", "2016", "2016-10-01"]
)
def test_calendar_month_refuses_anything_but_a_month(period: str) -> None:
    with pytest.raises(ValueError, match=f"^period '{period}' is not a month like 2016-10$"):
        calendar_month(period)
