"""How noisy real police counts are, measured, so the demo can be as noisy.

Three properties of a series of counts decide how well the methods (control charts, the change
test, projections) behave, and each is measured here the same way on real series and on the demo:

- **overdispersion**: a Poisson model of the counts with one level per month of the year and a
  straight-line trend on the log scale is fitted; φ is Pearson's χ² over its degrees of freedom
  (1 for Poisson counts). Because φ grows with the size of the counts when the extra noise is a
  share of the level, ``alpha`` is also given: the negative-binomial (NB2) moment estimate
  Σ[(y − μ)² − y] / Σμ², the squared coefficient of variation of the level beyond Poisson noise,
  which carries over from a big series to a small one (φ ≈ 1 + α·μ);
- **autocorrelation**: the lag-1 correlation of the Pearson residuals of that fit (0 for
  independent months);
- **seasonal-share variation**: for each complete year, each month's share of the year's total; the
  standard deviation across years of a month's share, over the mean share, as a root mean square
  over the months of the year (the projection leans on this share being stable).

The real series (copies in tests/data, see its SOURCES.md) and what can be fitted on each:

- Greater Manchester burglary, February 2016 to January 2019 (36 months: month of year + trend,
  three complete February-to-January years for the seasonal share; recording practice changed in
  October 2016 and is left in: real series have such breaks);
- Merseyside shoplifting, May 2019 to February 2020 (10 months; the file runs to May 2020 but the
  March to May 2020 lockdown months are left out as a one-off collapse), trend only;
- Nottingham burglary and robbery, 2022 (12 months), trend only: a year cannot separate the
  month-of-year pattern from noise, so φ there includes the seasonal pattern and is an upper bound;
- Home Office recorded crime, 2017/18, by force and quarter (43 territorial police force areas;
  domestic burglary, robbery, vehicle crime, violence with injury): one level per force and one
  quarterly pattern shared by all forces, so φ measures how far each force's quarters stray from
  the common pattern, and the quarterly share's variation is across forces rather than years.

:data:`MEASURED` holds the figures as measured; tests/test_demo.py recomputes them from the files.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

MERSEYSIDE_LAST_MONTH = "2020-02"  # the months after are the 2020 lockdown
HOME_OFFICE_SUBGROUPS = {
    "domestic burglary": ("Domestic burglary",),
    "robbery": ("Robbery of personal property", "Robbery of business property"),
    "vehicle crime": ("Theft from a vehicle", "Theft of a motor vehicle", "Vehicle interference"),
    "violence with injury": ("Violence with injury",),
}
NOT_TERRITORIAL = ("Action Fraud", "British Transport Police", "CIFAS", "UK Finance")


@dataclass(frozen=True)
class Noise:
    """What one series (or panel of series) shows beyond Poisson noise."""

    series: str
    periods: int  # months or quarters fitted
    mean: float  # mean count per period
    phi: float  # Pearson chi-squared / degrees of freedom
    alpha: float  # NB2 moment estimate: squared coefficient of extra variation
    lag1: float | None  # lag-1 autocorrelation of the Pearson residuals
    season_cv: float | None  # year-to-year (or force-to-force) variation of the seasonal share
    model: str  # what was fitted

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class DemoNoise:
    """How the demo's monthly counts vary around their expected level: a latent AR(1) on the log
    scale (``rho``, marginal standard deviation ``sd``) plus an independent monthly deviation of
    the seasonal factor (``season_sd``), then Poisson noise."""

    rho: float
    sd: float
    season_sd: float


# Measured by :func:`measure_real` on the files in tests/data (recomputed by tests/test_demo.py).
MEASURED: dict[str, dict[str, float | None]] = {
    "Greater Manchester burglary 2016-02..2019-01": {
        "phi": 25.65, "alpha": 0.00589, "lag1": 0.84, "season_cv": 0.082},
    "Merseyside shoplifting 2019-05..2020-02": {
        "phi": 2.72, "alpha": 0.00179, "lag1": 0.04, "season_cv": None},
    "Nottingham burglary 2022": {"phi": 2.81, "alpha": 0.00896, "lag1": -0.02, "season_cv": None},
    "Nottingham robbery 2022": {"phi": 1.81, "alpha": 0.01107, "lag1": 0.09, "season_cv": None},
    "Home Office 2017/18 domestic burglary, force x quarter": {
        "phi": 13.92, "alpha": 0.00621, "lag1": None, "season_cv": 0.112},
    "Home Office 2017/18 robbery, force x quarter": {
        "phi": 2.86, "alpha": 0.00054, "lag1": None, "season_cv": 0.132},
    "Home Office 2017/18 vehicle crime, force x quarter": {
        "phi": 12.3, "alpha": 0.00149, "lag1": None, "season_cv": 0.085},
    "Home Office 2017/18 violence with injury, force x quarter": {
        "phi": 5.85, "alpha": 0.00063, "lag1": None, "season_cv": 0.052},
}

# The demo's noise, chosen so that the measurements above, made on 36 simulated months at Greater
# Manchester's size (2,574 a month), give about what Greater Manchester burglary gives: median
# alpha 0.0049 (real 0.0059), phi 21.6 (25.7), seasonal-share variation 0.082 (0.082), lag-1
# autocorrelation 0.51 (0.84). The real series' autocorrelation is not reached: most of it is a
# lasting step (a change of recording practice in October 2016), which a stationary AR(1) does not
# make; the other real monthly series show little autocorrelation (-0.02 to 0.09). Series smaller
# than Greater Manchester's get proportionally less overdispersion (phi nearer 1), as real
# small series do (Nottingham robbery, 46 a month: phi 1.8).
DEMO_NOISE = DemoNoise(rho=0.85, sd=0.11, season_sd=0.04)


def poisson_fit(y: np.ndarray, x: np.ndarray, iterations: int = 50) -> np.ndarray:
    """Fitted means of a log-link Poisson regression of ``y`` on the columns of ``x`` (IRLS)."""
    y = np.asarray(y, float)
    mu = y + 0.5
    eta = np.log(mu)
    for _ in range(iterations):
        z = eta + (y - mu) / mu
        w = np.sqrt(mu)
        beta, *_ = np.linalg.lstsq(x * w[:, None], z * w, rcond=None)
        new = x @ beta
        if np.max(np.abs(new - eta)) < 1e-10:
            eta = new
            break
        eta = new
        mu = np.exp(eta)
    return np.asarray(np.exp(eta))


def design(n: int, *, period: int | None, trend: bool = True, start: int = 0) -> np.ndarray:
    """Columns: one per position in the period (or an intercept), and a centred trend."""
    if period is None:
        cols = [np.ones(n)]
    else:
        position = (np.arange(n) + start) % period
        cols = [(position == k).astype(float) for k in range(period)]
    if trend:
        cols.append((np.arange(n) - (n - 1) / 2) / n)
    return np.column_stack(cols)


def lag1(r: np.ndarray) -> float:
    """Lag-1 autocorrelation (the usual estimator: mean-centred, over the whole variance)."""
    d = np.asarray(r, float) - np.mean(r)
    return float(np.sum(d[1:] * d[:-1]) / np.sum(d * d))


def seasonal_share_cv(counts: np.ndarray, period: int = 12) -> float:
    """Root mean square over the positions of the period of (SD across years of the position's
    share of its year) / (mean share). ``counts`` has whole years only, in order."""
    years = np.asarray(counts, float).reshape(-1, period)
    if len(years) < 2:
        raise ValueError("the seasonal share's variation needs at least two complete years")
    shares = years / years.sum(axis=1, keepdims=True)
    cv = shares.std(axis=0, ddof=1) / shares.mean(axis=0)
    return float(np.sqrt(np.mean(cv**2)))


def noise(
    series: str, counts: Sequence[float] | np.ndarray, *, period: int | None = 12, start: int = 0
) -> Noise:
    """Overdispersion and autocorrelation of one series after level(s) by position in the period
    (when it has at least two full periods) and a log-linear trend."""
    y = np.asarray(counts, float)
    seasonal = period is not None and len(y) >= 2 * period
    x = design(len(y), period=period if seasonal else None, start=start)
    mu = poisson_fit(y, x)
    resid = (y - mu) / np.sqrt(mu)
    df = len(y) - x.shape[1]
    if df < 1:
        raise ValueError(f"{series}: {len(y)} periods cannot fit {x.shape[1]} parameters")
    whole = len(y) // period * period if seasonal and period else 0
    return Noise(
        series=series,
        periods=len(y),
        mean=round(float(y.mean()), 1),
        phi=round(float(np.sum(resid**2) / df), 2),
        alpha=round(float(np.sum((y - mu) ** 2 - y) / np.sum(mu**2)), 5),
        lag1=round(lag1(resid), 2),
        season_cv=(round(seasonal_share_cv(y[:whole], period), 3) if period and whole else None),
        model=("month of year + trend" if seasonal else "trend only"),
    )


def panel_noise(series: str, table: np.ndarray) -> Noise:
    """Overdispersion of a forces x quarters table: a level per force and one shared quarterly
    pattern (log-linear Poisson). ``season_cv`` is the force-to-force variation of a quarter's
    share of the force's year."""
    forces, quarters = table.shape
    y = table.reshape(-1).astype(float)
    force = np.repeat(np.arange(forces), quarters)
    quarter = np.tile(np.arange(quarters), forces)
    x = np.column_stack(
        [(force == f).astype(float) for f in range(forces)]
        + [(quarter == q).astype(float) for q in range(1, quarters)]
    )
    mu = poisson_fit(y, x)
    resid = (y - mu) / np.sqrt(mu)
    shares = table / table.sum(axis=1, keepdims=True)
    return Noise(
        series=series,
        periods=int(y.size),
        mean=round(float(y.mean()), 1),
        phi=round(float(np.sum(resid**2) / (y.size - x.shape[1])), 2),
        alpha=round(float(np.sum((y - mu) ** 2 - y) / np.sum(mu**2)), 5),
        lag1=None,
        season_cv=round(float(np.sqrt(np.mean((shares.std(0, ddof=1) / shares.mean(0)) ** 2))), 3),
        model="level per force + common quarterly pattern",
    )


def _read(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


def _month_counts(path: Path, column: str, last: str | None = None) -> np.ndarray:
    """Rows per month (the first seven characters of ``column``), every month present."""
    import csv

    rows = csv.DictReader(_read(path))
    months: dict[str, int] = {}
    for row in rows:
        month = row[column][:7]
        months[month] = months.get(month, 0) + 1
    keys = sorted(m for m in months if last is None or m <= last)
    return np.array([months[m] for m in keys])


def home_office_table(path: Path, subgroups: tuple[str, ...]) -> np.ndarray:
    """Forces x quarters offences in the given Home Office offence subgroups (territorial
    forces only)."""
    import csv

    counts: dict[str, np.ndarray] = {}
    for row in csv.DictReader(_read(path)):
        if row["Offence_Subgroup"] in subgroups and row["Force_Name"] not in NOT_TERRITORIAL:
            q = int(row["Financial_Quarter"]) - 1
            counts.setdefault(row["Force_Name"], np.zeros(4))[q] += float(row["Number_of_Offences"])
    return np.array([counts[f] for f in sorted(counts)])


def measure_real(data: Path) -> list[Noise]:
    """Measure every real series under ``data`` (the layout of tests/data)."""
    derived = data / "policeuk" / "derived"
    out = [
        # February start: month 0 of the fit is February (the months' pattern is per position).
        noise("Greater Manchester burglary 2016-02..2019-01",
              _month_counts(derived / "gmp_bur.csv.gz", "Month")),
        noise("Merseyside shoplifting 2019-05..2020-02",
              _month_counts(derived / "merseyside_shoplifting.csv.gz", "month",
                            MERSEYSIDE_LAST_MONTH)),
        noise("Nottingham burglary 2022", _month_counts(derived / "nottingham_burglary.csv.gz",
                                                         "month")),
        noise("Nottingham robbery 2022", _month_counts(derived / "nottingham_robbery.csv.gz",
                                                        "month")),
    ]
    home_office = data / "homeoffice" / "prc-pfa-201718_new.csv.gz"
    for name, subgroups in HOME_OFFICE_SUBGROUPS.items():
        out.append(panel_noise(f"Home Office 2017/18 {name}, force x quarter",
                               home_office_table(home_office, subgroups)))
    return out
