"""Synthetic anti-social behaviour incidents and local priorities ("you said, we did")."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pyarrow as pa

from paragon.demo.places import place
from paragon.geography.lpus import west_midlands_lsoas
from paragon.measures.periods import months_between
from paragon.plan.schema import Plan

ASB_FIRST_MONTH = date(2010, 1, 1)
ASB_END = date(2012, 1, 1)
ASB_SEASON = [0.86, 0.84, 0.98, 1.02, 1.10, 1.12, 1.15, 1.10, 1.00, 1.02, 0.93, 0.88]  # Jan..Dec

PRIORITY_TEMPLATES = [
    (
        "Anti-social behaviour by groups of young people around {place}",
        "Dispersal patrols on Friday and Saturday evenings, joint visits with the youth service",
        "Reports of youth anti-social behaviour fell from 41 to 23 over three months; "
        "the dispersal order was lifted",
    ),
    (
        "People drunk or rowdy in public places near {place}",
        "Licensing checks with the council and a designated public place order",
        "Two licence reviews; alcohol-related incidents down from 18 to 11 a month",
    ),
    (
        "Drug dealing reported around {place}",
        "Intelligence-led warrants and closure of a problem address with the housing provider",
        "Three warrants executed, five people charged, one property closed",
    ),
    (
        "Burglaries of homes in the streets around {place}",
        "Target-hardening visits and property marking for 200 homes; patrols at peak times",
        "Burglary dwelling down from 14 to 6 in the following quarter",
    ),
    (
        "Speeding and dangerous parking on {place}",
        "Speed checks with community volunteers and enforcement outside schools",
        "312 vehicles checked, 41 fixed penalties; parking complaints halved",
    ),
    (
        "Slow response and no feedback after reporting problems near {place}",
        "Named neighbourhood officer contact details published; call-back within 48 hours",
        None,
    ),
]


def generate_asb(seed: int, force: str) -> pa.Table:
    """Monthly ASB incidents, January 2010 to December 2011, on resampled real ASB points."""
    rng = np.random.default_rng(seed + 2)
    months: list[np.ndarray] = []
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    locations: list[np.ndarray] = []
    lsoas: list[np.ndarray] = []
    keys: list[str] = []
    for month in months_between(ASB_FIRST_MONTH, ASB_END):
        trend = 1.0 - 0.04 * (month.year - 2010)
        n = int(rng.poisson(8728 * ASB_SEASON[month.month - 1] * trend))
        x, y, location, lsoa = place(rng, "Anti-social behaviour", n)
        months.append(np.full(n, month))
        keys.extend(f"demo:{month:%Y-%m}:{i}" for i in range(n))
        xs.append(x)
        ys.append(y)
        locations.append(location)
        lsoas.append(lsoa)
    info = {x.lsoa_code: x for x in west_midlands_lsoas()}
    lsoa = np.concatenate(lsoas)
    n = len(keys)
    return pa.table(
        {
            "asb_key": keys,
            "month": pa.array(np.concatenate(months), pa.date32()),
            "location": pa.array(np.concatenate(locations), pa.string()),
            "lsoa_code": pa.array(lsoa, pa.string()),
            "lsoa_name": [info[c].lsoa_name for c in lsoa],
            "neighbourhood_id": [info[c].neighbourhood_id for c in lsoa],
            "lpu_id": [info[c].lpu_id for c in lsoa],
            "bng_x": np.concatenate(xs),
            "bng_y": np.concatenate(ys),
            "source": ["demo"] * n,
            "force": [force] * n,
            "reported_by": ["West Midlands Police"] * n,
        }
    )


def generate_priorities(plan: Plan, seed: int) -> list[dict[str, object]]:
    """Three local priorities per LPU, set at community meetings; most closed with a result."""
    rng = np.random.default_rng(seed + 3)
    lsoas = west_midlands_lsoas()
    out: list[dict[str, object]] = []
    for lpu in plan.lpus:
        areas = sorted(
            {(x.neighbourhood_id, x.neighbourhood_name) for x in lsoas if x.lpu_id == lpu.id}
        )
        for k in rng.choice(len(PRIORITY_TEMPLATES), 3, replace=False):
            issue, action, result = PRIORITY_TEMPLATES[int(k)]
            nid, nname = areas[int(rng.integers(0, len(areas)))]
            opened = date(2011, int(rng.integers(4, 10)), int(rng.integers(1, 28)))
            closed = result is not None and rng.random() < 0.7
            out.append(
                {
                    "area_type": "neighbourhood",
                    "area_id": nid,
                    "issue": issue.format(place=nname),
                    "action": action,
                    "opened_on": opened,
                    "status": "closed" if closed else "open",
                    "result": result if closed else None,
                    "closed_on": date(2011, 12, int(rng.integers(1, 20))) if closed else None,
                    "updated_by": "demo",
                    "updated_at": datetime(2011, 12, 20, 9, 0),
                }
            )
    return out
