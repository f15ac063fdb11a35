"""Synthetic force crime records for the demo, as noisy as real counts, calibrated where published.

Each measure group's monthly counts are drawn (:func:`monthly_counts`): the stated yearly pace
(calibration.CRIME_TOTALS) times a seasonal profile times a latent AR(1) level with a month-to-month
seasonal deviation (realism.DEMO_NOISE, set from the dispersion, autocorrelation and seasonal-share
variation measured on real police series), with Poisson noise on top. Where the plan publishes a
year's count (PUBLISHED_COUNTS), that year's total is exact and its months are a multinomial draw
from the same noisy monthly means; every other year, and every month, is drawn. The whole of the
last financial year is drawn and the months after the data end dropped, so projections made from
the data can be checked against the year as it would have ended (:func:`whole_year_totals`).
Offences detected in 2010-11 are exact per detection measure (calibration.DETECTED_2010); business
and hate flags are set on exactly the published number of crimes in published years and on a
Poisson-drawn number otherwise. Everything else (offence mix, outcomes, dates within months) is
random from a fixed seed.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from paragon.demo.calibration import (
    CRIME_TOTALS,
    DETECTED_2010,
    DETECTION_RATES,
    FIRST_YEAR,
    LAST_MONTH,
    LAST_YEAR,
)
from paragon.demo.places import EPOCH, locations, lsoa_codes, place
from paragon.demo.realism import DEMO_NOISE, DemoNoise
from paragon.plan.schema import Plan

GROUP_CODES: dict[str, dict[str, float]] = {
    "burglary_dwelling": {"28E": 0.70, "28F": 0.20, "28G": 0.05, "28H": 0.03, "29A": 0.02},
    "robbery": {"34B": 0.88, "34A": 0.12},
    "vehicle": {"45": 0.60, "48": 0.25, "126": 0.10, "37.2": 0.05},
    "msv": {"5D": 0.70, "5E": 0.15, "2": 0.04, "1": 0.02, "4.4": 0.05, "37.1": 0.02, "4.8": 0.02},
    "sso": {
        "19C": 0.30,
        "19D": 0.08,
        "19E": 0.05,
        "19F": 0.03,
        "20A": 0.35,
        "20B": 0.08,
        "17A": 0.04,
        "21": 0.04,
        "22B": 0.03,
    },
    "other": {
        "8N": 0.11,
        "105A": 0.13,
        "8L": 0.03,
        "3B": 0.01,
        "8P": 0.004,
        "105B": 0.004,
        "8M": 0.002,
        "9A": 0.03,
        "9B": 0.003,
        "58A": 0.06,
        "58B": 0.04,
        "58C": 0.06,
        "58D": 0.02,
        "58J": 0.002,
        "56B": 0.01,
        "46": 0.12,
        "49": 0.13,
        "41": 0.005,
        "47": 0.005,
        "39": 0.03,
        "44": 0.03,
        "30C": 0.06,
        "30D": 0.01,
        "92D": 0.02,
        "92E": 0.03,
        "92A": 0.01,
        "10D": 0.01,
        "54": 0.005,
        "33": 0.005,
        "61": 0.004,
    },
}
MEASURE_GROUPS = ("burglary_dwelling", "robbery", "vehicle", "msv", "sso")
GROUPS = (*MEASURE_GROUPS, "other")  # rows carry the index of their group here
CODES = tuple(sorted({c for mix in GROUP_CODES.values() for c in mix}))  # and of their code here

# 2011 police.uk crime type whose real points each group's crimes are placed on.
PLACE_KIND = {
    "burglary_dwelling": "Burglary",
    "robbery": "Robbery",
    "vehicle": "Vehicle crime",
    "msv": "Violent crime",
    "sso": "Violent crime",
}
OTHER_PLACE_KIND = {
    "8N": "Violent crime",
    "105A": "Violent crime",
    "8P": "Violent crime",
    "105B": "Violent crime",
    "3B": "Violent crime",
    "30C": "Burglary",
    "30D": "Burglary",
}

# Seasonal profile, April (0) to March (11).
SEASON = {
    "acquisitive": [0.92, 0.90, 0.88, 0.92, 0.95, 0.98, 1.10, 1.15, 1.12, 1.05, 0.97, 1.00],
    "violence": [1.00, 1.08, 1.06, 1.10, 1.05, 0.97, 0.98, 0.97, 1.05, 0.92, 0.88, 0.96],
    "other": [1.00, 1.04, 1.02, 1.06, 1.03, 0.99, 1.05, 1.02, 0.95, 0.96, 0.90, 0.98],
}
GROUP_SEASON = {
    "burglary_dwelling": "acquisitive",
    "robbery": "acquisitive",
    "vehicle": "acquisitive",
    "msv": "violence",
    "sso": "violence",
    "other": "other",
}

BUSINESS_ALWAYS = {"46", "34A"}
BUSINESS_POOL = {"30C", "30D", "58B", "49", "41", "47"}
HATE_ALWAYS = {"8P", "105B", "8M", "9B", "58J"}
HATE_POOL = {"8N", "105A", "9A", "58A", "8L"}
DOMESTIC_SHARE = {"8N": 0.3, "105A": 0.3, "8L": 0.25, "3B": 0.2, "5D": 0.12, "5E": 0.1}

DETECTED_TYPES = [
    "charged_summonsed",
    "caution",
    "taken_into_consideration",
    "penalty_notice",
    "community_resolution",
]
DETECTED_P = [0.58, 0.16, 0.08, 0.06, 0.12]
CLOSED_TYPES = ["no_further_action", "evidential_difficulties", "victim_declined"]
OUTCOMES = (*DETECTED_TYPES, *CLOSED_TYPES, "cannabis_warning")  # rows: index here, -1 for none
DATA_END = date(LAST_MONTH[0], LAST_MONTH[1], calendar.monthrange(*LAST_MONTH)[1])


PUBLISHED_COUNTS: dict[str, tuple[int, ...]] = {
    # (group, years) whose counts the plan prints: reproduced exactly, the rest are drawn.
    "total": (2007, 2010),
    "burglary_dwelling": (2007, 2010),
    "robbery": (2007, 2010),
    "vehicle": (2007, 2010),
    "msv": (2008, 2010),
    "sso": (2010,),
    "business": (2007, 2010),
    "hate": (2010,),
}


YEAR_MONTHS = 12 * (LAST_YEAR - FIRST_YEAR + 1)  # months drawn: April FIRST_YEAR to March after
# LAST_YEAR; those after the data end are drawn (so whole_year_totals can report the year) and
# dropped.


def month_starts() -> np.ndarray:
    """First day (days since 1970) of every month from April of FIRST_YEAR to the data end."""
    first = np.datetime64(f"{FIRST_YEAR}-04", "M")
    last = np.datetime64(f"{LAST_MONTH[0]}-{LAST_MONTH[1]:02d}", "M")
    months = np.arange(first, last + 2)  # one more: the end of the last month
    return months.astype("datetime64[D]").astype(np.int64)


def whole_year_totals(seed: int) -> dict[str, int]:
    """Crimes each group would have recorded in the whole of the last financial year (to March
    LAST_YEAR + 1): the demo draws every month of that year and keeps those up to the data end,
    so a projection made from the data can be checked against the year as it would have ended."""
    months = group_months(np.random.default_rng(seed))  # the first draws generate_crimes makes
    last = slice(YEAR_MONTHS - 12, YEAR_MONTHS)
    out = {g: int(c[last].sum()) for g, c in months.items()}
    out["total"] = sum(out.values())
    return out


def latent_noise(rng: np.random.Generator, n: int, noise: DemoNoise) -> np.ndarray:
    """Multiplicative monthly noise on a series' expected level: exp(AR(1) + a seasonal
    deviation), with mean 1 (the lognormal's mean is taken out)."""
    innovation = noise.sd * np.sqrt(1 - noise.rho**2)
    shocks = rng.normal(0, 1, n)
    ar = np.empty(n)
    ar[0] = noise.sd * shocks[0]
    for t in range(1, n):
        ar[t] = noise.rho * ar[t - 1] + innovation * shocks[t]
    season = rng.normal(0, noise.season_sd, n)
    return np.asarray(np.exp(ar + season - (noise.sd**2 + noise.season_sd**2) / 2))


def monthly_counts(
    rng: np.random.Generator, group: str, pace: Mapping[int, float], noise: DemoNoise = DEMO_NOISE
) -> np.ndarray:
    """Crimes per month of ``group`` from April FIRST_YEAR to March after LAST_YEAR.

    Each month's expected count is the year's stated pace / 12 times the group's seasonal factor,
    times :func:`latent_noise`; the count is a Poisson draw around it (so overdispersed, and
    autocorrelated through the AR(1) level). In a year whose count the plan publishes, the months
    are instead a multinomial draw of exactly the published total with the same noisy monthly
    means (the Poisson counts given their sum), so the year is exact and the months still vary.
    """
    n = YEAR_MONTHS
    season = np.array(SEASON[GROUP_SEASON[group]])
    season = season / season.mean()
    year = FIRST_YEAR + np.arange(n) // 12
    expected = np.array([pace[int(y)] for y in year]) / 12 * season[np.arange(n) % 12]
    mean = expected * latent_noise(rng, n, noise)
    counts = rng.poisson(mean)
    for y in PUBLISHED_COUNTS.get(group, ()):
        months = year == y
        counts[months] = rng.multinomial(CRIME_TOTALS[group][y], mean[months] / mean[months].sum())
    return np.asarray(counts)


def group_months(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Monthly counts of every measure group and of "other" crimes (the rest of the total). In a
    year whose total the plan publishes, "other" makes the total exact: it is the published total
    less the groups' counts, spread over the months by its own noisy monthly means."""
    out = {g: monthly_counts(rng, g, CRIME_TOTALS[g]) for g in MEASURE_GROUPS}
    other_pace = {
        y: CRIME_TOTALS["total"][y] - sum(CRIME_TOTALS[g][y] for g in MEASURE_GROUPS)
        for y in CRIME_TOTALS["total"]
    }
    other = monthly_counts(rng, "other", other_pace)
    n = len(other)
    year = FIRST_YEAR + np.arange(n) // 12
    for y in PUBLISHED_COUNTS["total"]:
        months = year == y
        rest = CRIME_TOTALS["total"][y] - sum(int(out[g][months].sum()) for g in out)
        other[months] = rng.multinomial(rest, other[months] / other[months].sum())
    out["other"] = other
    return out


def _weights(mix: dict[str, float]) -> np.ndarray:
    p = np.array(list(mix.values()))
    return np.asarray(p / p.sum())


def _code_index(codes: set[str]) -> list[int]:
    return [CODES.index(c) for c in codes]


def _exact_flag(
    rng: np.random.Generator, codes: np.ndarray, target: int, always: set[str], pool: set[str]
) -> np.ndarray:
    """Flag exactly ``target`` crimes: the 'always' codes first, then others from the pool."""
    flag = np.zeros(len(codes), bool)
    must = np.flatnonzero(np.isin(codes, _code_index(always)))
    if len(must) > target:
        must = rng.choice(must, target, replace=False)
    flag[must] = True
    fill = target - len(must)
    candidates = np.flatnonzero(np.isin(codes, _code_index(pool)))
    if fill > len(candidates):
        raise ValueError(f"cannot flag exactly {target} crimes from {len(candidates)} candidates")
    flag[rng.choice(candidates, fill, replace=False)] = True
    return flag


def flag_target(rng: np.random.Generator, flag: str, year: int, drawn: int) -> int:
    """How many of a year's ``drawn`` crimes carry a flag: the published count, or else a Poisson
    draw around the flag's stated share of the year's total."""
    if year in PUBLISHED_COUNTS[flag]:
        return CRIME_TOTALS[flag][year]
    return int(rng.poisson(drawn * CRIME_TOTALS[flag][year] / CRIME_TOTALS["total"][year]))


def _rows(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One row per crime: group, offence code, recorded day, business and hate flags."""
    starts = month_starts()
    lengths = np.diff(starts)
    groups, codes, days = [], [], []
    for group, every_month in group_months(rng).items():
        counts = every_month[: len(lengths)]  # up to the data end
        n = int(counts.sum())
        mix = GROUP_CODES[group]
        index = np.array([CODES.index(c) for c in mix])
        codes.append(index[rng.choice(len(mix), n, p=_weights(mix))])
        groups.append(np.full(n, GROUPS.index(group), dtype=np.int8))
        month = np.repeat(np.arange(len(counts)), counts)
        days.append(starts[month] + (rng.random(n) * lengths[month]).astype(np.int64))
    rows = {
        "group": np.concatenate(groups),
        "code": np.concatenate(codes),
        "day": np.concatenate(days),
    }
    year_of_row = FIRST_YEAR + (np.searchsorted(starts, rows["day"], side="right") - 1) // 12
    rows["year"] = year_of_row
    for flag, always, pool in (
        ("business", BUSINESS_ALWAYS, BUSINESS_POOL),
        ("hate", HATE_ALWAYS, HATE_POOL),
    ):
        flags = np.zeros(len(rows["code"]), bool)
        for y in range(FIRST_YEAR, LAST_YEAR + 1):
            idx = np.flatnonzero(year_of_row == y)
            target = flag_target(rng, flag, y, len(idx))
            flags[idx] = _exact_flag(rng, rows["code"][idx], target, always, pool)
        rows[flag] = flags
    return rows


def _outcomes(rng: np.random.Generator, rows: dict[str, np.ndarray]) -> None:
    """Detected or closed outcomes with dates after recording; blank while still open."""
    n = len(rows["code"])
    rate = np.zeros(n)
    masks = _masks(rows)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        in_year = rows["year"] == year
        rate[in_year] = DETECTION_RATES["other"][year]
        for name, mask in masks.items():
            rate[in_year & mask] = _detection_rate(name, year)
    detected = rng.random(n) < rate
    lag = np.where(detected, 1 + rng.exponential(35, n), 7 + rng.exponential(60, n)).astype(int)
    outcome_day = rows["day"] + lag
    closed = rng.random(n) < 0.85
    kind = np.where(
        detected,
        rng.choice(len(DETECTED_TYPES), n, p=DETECTED_P),
        len(DETECTED_TYPES) + rng.integers(0, len(CLOSED_TYPES), n),
    )
    cannabis = detected & (rows["code"] == CODES.index("92E")) & (rng.random(n) < 0.5)
    kind[cannabis] = OUTCOMES.index("cannabis_warning")
    has_outcome = (detected | closed) & (outcome_day <= (DATA_END - EPOCH).days)
    rows["outcome"] = np.where(has_outcome, kind, -1)
    rows["outcome_day"] = np.where(has_outcome, outcome_day, -1)


def _detection_rate(name: str, year: int) -> float:
    """The chance a crime of a detection measure is detected: the published rate for 2010-11."""
    if year == 2010:
        return DETECTED_2010[name] / CRIME_TOTALS[name][2010]
    return DETECTION_RATES[name][year]


def _masks(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    masks = {g: rows["group"] == GROUPS.index(g) for g in MEASURE_GROUPS}
    masks["hate"] = rows["hate"]
    return masks


def calibrate_detections(
    rng: np.random.Generator, rows: dict[str, np.ndarray], detected_outcomes: list[str]
) -> None:
    """Make offences detected in 2010-11 (by outcome date) exactly the published numbers, by the
    plan's own list of outcomes that count as detected."""
    start, end = (date(2010, 4, 1) - EPOCH).days, (date(2011, 4, 1) - EPOCH).days
    is_detected = np.isin(
        rows["outcome"], [i for i, o in enumerate(OUTCOMES) if o in detected_outcomes]
    )
    for name, mask in _masks(rows).items():
        in_window = (
            mask & is_detected & (rows["outcome_day"] >= start) & (rows["outcome_day"] < end)
        )
        gap = DETECTED_2010[name] - int(in_window.sum())
        if gap < 0:
            drop = rng.choice(np.flatnonzero(in_window), -gap, replace=False)
            rows["outcome"][drop] = OUTCOMES.index("no_further_action")
        elif gap > 0:
            pool = np.flatnonzero(
                mask & ~is_detected & (rows["day"] >= start - 30) & (rows["day"] < end - 5)
            )
            add = rng.choice(pool, gap, replace=False)
            lo = np.maximum(rows["day"][add], start)
            hi = np.minimum(rows["day"][add] + 120, end - 1)
            rows["outcome_day"][add] = lo + (rng.random(gap) * (hi - lo + 1)).astype(int)
            rows["outcome"][add] = rng.choice(len(DETECTED_TYPES), gap, p=DETECTED_P)


def _by_code(codes: np.ndarray, values: dict[str, float]) -> np.ndarray:
    """``values[code]`` (0 for other codes) for every row."""
    return np.array([values.get(c, 0.0) for c in CODES])[codes]


def _domestic(rng: np.random.Generator, codes: np.ndarray) -> np.ndarray:
    return rng.random(len(codes)) < _by_code(codes, DOMESTIC_SHARE)


def _place_all(rng: np.random.Generator, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Real points of the matching 2011 police.uk crime type for every row."""
    kinds = sorted({*PLACE_KIND.values(), *OTHER_PLACE_KIND.values(), "Other crime"})
    by_code = np.array([kinds.index(OTHER_PLACE_KIND.get(c, "Other crime")) for c in CODES])
    kind = by_code[rows["code"]]
    for group, name in PLACE_KIND.items():
        kind[rows["group"] == GROUPS.index(group)] = kinds.index(name)
    n = len(kind)
    x, y = np.zeros(n), np.zeros(n)
    location, lsoa = np.zeros(n, np.int64), np.zeros(n, np.int64)
    for k, name in enumerate(kinds):
        idx = np.flatnonzero(kind == k)
        x[idx], y[idx], location[idx], lsoa[idx] = place(rng, name, len(idx))
    return {"x": x, "y": y, "location": location, "lsoa": lsoa}


def _references(days: np.ndarray) -> pa.Array:
    """Crime references ``YY/nnnnnnn``: the recorded year, then a running number."""
    years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    prefix = pc.utf8_lpad(pc.cast(pa.array(years % 100), pa.string()), 2, "0")
    number = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, len(days) + 1)), pa.string()), 7, "0")
    return pc.binary_join_element_wise(prefix, number, "/")


def _names(names: Sequence[str], index: np.ndarray) -> pa.Array:
    """Strings from indexes into ``names`` (a negative index is blank)."""
    missing = index < 0
    return pc.take(
        pa.array(list(names), pa.string()), pa.array(np.where(missing, 0, index), mask=missing)
    )


def _yn(flags: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(flags), "Y", "N")


def generate_crimes(seed: int, plan: Plan) -> pa.Table:
    """All synthetic crimes, April 2007 to December 2011, in the force-crimes export format."""
    generated = {*DETECTED_TYPES, "cannabis_warning"}
    if not generated <= set(plan.detected_outcomes):
        raise ValueError(
            f"the plan does not count {generated - set(plan.detected_outcomes)} "
            "as detected: the demo's calibration needs it to"
        )
    rng = np.random.default_rng(seed)
    rows = _rows(rng)
    _outcomes(rng, rows)
    calibrate_detections(rng, rows, list(plan.detected_outcomes))
    order = np.argsort(rows["day"], kind="stable")
    rows = {k: v[order] for k, v in rows.items()}
    where = _place_all(rng, rows)
    days = rows["day"].astype("int32")
    outcome_days = rows["outcome_day"]
    has = outcome_days >= 0
    return pa.table(
        {
            "crime_reference": _references(days),
            "recorded_date": pa.array(days, pa.date32()),
            "offence_code": _names(CODES, rows["code"]),
            "hate_flag": _yn(rows["hate"]),
            "business_flag": _yn(rows["business"]),
            "domestic_flag": _yn(_domestic(rng, rows["code"])),
            "lsoa_code": _names(lsoa_codes(), where["lsoa"]),
            "location": _names(locations(), where["location"]),
            "easting": pa.array(where["x"].astype(int)),
            "northing": pa.array(where["y"].astype(int)),
            "outcome_type": _names(OUTCOMES, rows["outcome"]),
            "outcome_date": pa.array(
                np.where(has, outcome_days, 0).astype("int32"), pa.date32(), mask=~has
            ),
        }
    )
