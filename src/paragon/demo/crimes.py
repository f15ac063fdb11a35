"""Synthetic force crime records for the demo, calibrated to the plan's published figures.

Counts per measure group and financial year are exact (calibration.CRIME_TOTALS), spread over the
months by a seasonal profile; offences detected in 2010-11 are exact per detection measure
(calibration.DETECTED_2010); business and hate flags are set on exactly the published number of
crimes. Everything else (offence mix, outcomes, dates within months) is random from a fixed seed.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from paragon.demo.calibration import (
    CRIME_TOTALS,
    DETECTED_2010,
    DETECTION_RATES,
    FIRST_YEAR,
    LAST_MONTH,
    LAST_YEAR,
)
from paragon.demo.places import EPOCH, place
from paragon.measures.periods import add_months
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
DATA_END = date(LAST_MONTH[0], LAST_MONTH[1], calendar.monthrange(*LAST_MONTH)[1])


def _months(year: int) -> list[date]:
    """The twelve months of a financial year."""
    return [date(year + (m + 3) // 12, (m + 3) % 12 + 1, 1) for m in range(12)]


def year_counts(year: int) -> dict[str, int]:
    """Crimes per group over the whole financial year ("other" makes up the total). For the
    current year the rows after the data end are generated and then dropped, so the year to date
    follows each group's own seasonal profile towards its stated annual pace."""
    out = {g: CRIME_TOTALS[g][year] for g in MEASURE_GROUPS}
    out["other"] = CRIME_TOTALS["total"][year] - sum(out.values())
    return out


def _dates(rng: np.random.Generator, year: int, group: str, n: int) -> np.ndarray:
    """Recorded dates (days since 1970) for ``n`` crimes, exact total, seasonal by month."""
    months = _months(year)
    weights = np.array(SEASON[GROUP_SEASON[group]])
    per_month = rng.multinomial(n, weights / weights.sum())
    days = []
    for start, count in zip(months, per_month, strict=True):
        offset = rng.integers(0, (add_months(start, 1) - start).days, count)
        days.append((start - EPOCH).days + offset)
    return np.concatenate(days)


def _exact_flag(
    rng: np.random.Generator, codes: np.ndarray, target: int, always: set[str], pool: set[str]
) -> np.ndarray:
    """Flag exactly ``target`` crimes: the 'always' codes first, then others from the pool."""
    flag = np.zeros(len(codes), bool)
    must = np.flatnonzero(np.isin(codes, list(always)))
    if len(must) > target:
        must = rng.choice(must, target, replace=False)
    flag[must] = True
    fill = target - len(must)
    candidates = np.flatnonzero(np.isin(codes, list(pool)))
    if fill > len(candidates):
        raise ValueError(f"cannot flag exactly {target} crimes from {len(candidates)} candidates")
    flag[rng.choice(candidates, fill, replace=False)] = True
    return flag


def _year_rows(rng: np.random.Generator, year: int) -> dict[str, np.ndarray]:
    groups, codes, days = [], [], []
    for group, n in year_counts(year).items():
        mix = GROUP_CODES[group]
        codes.append(rng.choice(list(mix), n, p=np.array(list(mix.values())) / sum(mix.values())))
        groups.append(np.full(n, group, dtype=object))
        days.append(_dates(rng, year, group, n))
    code = np.concatenate(codes).astype(object)
    rows = {
        "group": np.concatenate(groups),
        "code": code,
        "day": np.concatenate(days),
        "business": _exact_flag(
            rng, code, CRIME_TOTALS["business"][year], BUSINESS_ALWAYS, BUSINESS_POOL
        ),
        "hate": _exact_flag(rng, code, CRIME_TOTALS["hate"][year], HATE_ALWAYS, HATE_POOL),
    }
    keep = rows["day"] <= (DATA_END - EPOCH).days
    return {k: v[keep] for k, v in rows.items()}


def _outcomes(rng: np.random.Generator, rows: dict[str, np.ndarray], year: int) -> None:
    """Detected or closed outcomes with dates after recording; blank while still open."""
    n = len(rows["code"])
    rate = np.full(n, DETECTION_RATES["other"][year])
    for name, mask in _masks(rows).items():
        rate[mask] = _detection_rate(name, year)
    detected = rng.random(n) < rate
    lag = np.where(detected, 1 + rng.exponential(35, n), 7 + rng.exponential(60, n)).astype(int)
    outcome_day = rows["day"] + lag
    closed = rng.random(n) < 0.85
    kind = np.where(
        detected, rng.choice(DETECTED_TYPES, n, p=DETECTED_P), rng.choice(CLOSED_TYPES, n)
    )
    cannabis = detected & (rows["code"] == "92E") & (rng.random(n) < 0.5)
    kind[cannabis] = "cannabis_warning"
    has_outcome = (detected | closed) & (outcome_day <= (DATA_END - EPOCH).days)
    outcome = kind.astype(object)
    outcome[~has_outcome] = None
    rows["outcome"] = outcome
    rows["outcome_day"] = np.where(has_outcome, outcome_day, -1)


def _detection_rate(name: str, year: int) -> float:
    """The chance a crime of a detection measure is detected: the published rate for 2010-11."""
    if year == 2010:
        return DETECTED_2010[name] / CRIME_TOTALS[name][2010]
    return DETECTION_RATES[name][year]


def _masks(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    masks = {g: rows["group"] == g for g in MEASURE_GROUPS}
    masks["hate"] = rows["hate"]
    return masks


def calibrate_detections(
    rng: np.random.Generator, rows: dict[str, np.ndarray], detected_outcomes: list[str]
) -> None:
    """Make offences detected in 2010-11 (by outcome date) exactly the published numbers, by the
    plan's own list of outcomes that count as detected."""
    start, end = (date(2010, 4, 1) - EPOCH).days, (date(2011, 4, 1) - EPOCH).days
    is_detected = np.isin(rows["outcome"], detected_outcomes)
    for name, mask in _masks(rows).items():
        in_window = (
            mask & is_detected & (rows["outcome_day"] >= start) & (rows["outcome_day"] < end)
        )
        gap = DETECTED_2010[name] - int(in_window.sum())
        if gap < 0:
            drop = rng.choice(np.flatnonzero(in_window), -gap, replace=False)
            rows["outcome"][drop] = "no_further_action"
        elif gap > 0:
            pool = np.flatnonzero(
                mask & ~is_detected & (rows["day"] >= start - 30) & (rows["day"] < end - 5)
            )
            add = rng.choice(pool, gap, replace=False)
            lo = np.maximum(rows["day"][add], start)
            hi = np.minimum(rows["day"][add] + 120, end - 1)
            rows["outcome_day"][add] = lo + (rng.random(gap) * (hi - lo + 1)).astype(int)
            rows["outcome"][add] = rng.choice(DETECTED_TYPES, gap, p=DETECTED_P)


def _domestic(rng: np.random.Generator, codes: np.ndarray) -> np.ndarray:
    share = np.array([DOMESTIC_SHARE.get(c, 0.0) for c in codes])
    return rng.random(len(codes)) < share


def _place_all(rng: np.random.Generator, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    kinds = np.array(
        [
            PLACE_KIND.get(g) or OTHER_PLACE_KIND.get(c, "Other crime")
            for g, c in zip(rows["group"], rows["code"], strict=True)
        ],
        dtype=object,
    )
    n = len(kinds)
    x, y = np.zeros(n), np.zeros(n)
    location, lsoa = np.empty(n, dtype=object), np.empty(n, dtype=object)
    for kind in np.unique(kinds):
        idx = np.flatnonzero(kinds == kind)
        x[idx], y[idx], location[idx], lsoa[idx] = place(rng, str(kind), len(idx))
    return {"x": x, "y": y, "location": location, "lsoa": lsoa}


def _yn(flags: np.ndarray) -> pa.Array:
    return pa.array(np.where(flags, "Y", "N"))


def generate_crimes(seed: int, plan: Plan) -> pa.Table:
    """All synthetic crimes, April 2007 to December 2011, in the force-crimes export format."""
    generated = {*DETECTED_TYPES, "cannabis_warning"}
    if not generated <= set(plan.detected_outcomes):
        raise ValueError(
            f"the plan does not count {generated - set(plan.detected_outcomes)} "
            "as detected: the demo's calibration needs it to"
        )
    rng = np.random.default_rng(seed)
    parts = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        rows = _year_rows(rng, year)
        _outcomes(rng, rows, year)
        parts.append(rows)
    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    calibrate_detections(rng, rows, list(plan.detected_outcomes))
    order = np.argsort(rows["day"], kind="stable")
    rows = {k: v[order] for k, v in rows.items()}
    where = _place_all(rng, rows)
    days = rows["day"].astype("int32")
    outcome_days = rows["outcome_day"]
    has = outcome_days >= 0
    ref_years = [(EPOCH + timedelta(days=int(d))).year for d in days]
    return pa.table(
        {
            "crime_reference": [f"{yr % 100:02d}/{i + 1:07d}" for i, yr in enumerate(ref_years)],
            "recorded_date": pa.array(days, pa.date32()),
            "offence_code": pa.array(rows["code"], pa.string()),
            "hate_flag": _yn(rows["hate"]),
            "business_flag": _yn(rows["business"]),
            "domestic_flag": _yn(_domestic(rng, rows["code"])),
            "lsoa_code": pa.array(where["lsoa"], pa.string()),
            "location": pa.array(where["location"], pa.string()),
            "easting": pa.array(where["x"].astype(int)),
            "northing": pa.array(where["y"].astype(int)),
            "outcome_type": pa.array(rows["outcome"], pa.string()),
            "outcome_date": pa.array(
                np.where(has, outcome_days, 0).astype("int32"), pa.date32(), mask=~has
            ),
        }
    )
