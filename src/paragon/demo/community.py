"""Synthetic anti-social behaviour incidents and local priorities ("you said, we did")."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pyarrow as pa

from paragon.demo.places import place
from paragon.geography.lpus import west_midlands_lsoas
from paragon.plan.schema import Plan

ASB_FIRST_MONTH = date(2010, 1, 1)
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
    lsoa_info = {x.lsoa_code: x for x in west_midlands_lsoas()}
    parts = []
    month = ASB_FIRST_MONTH
    while month <= date(2011, 12, 1):
        trend = 1.0 - 0.04 * (month.year - 2010)
        n = int(rng.poisson(8728 * ASB_SEASON[month.month - 1] * trend))
        x, y, location, lsoa = place(rng, "Anti-social behaviour", n)
        parts.append((month, x, y, location, lsoa))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "asb_key",
            "month",
            "location",
            "lsoa_code",
            "lsoa_name",
            "neighbourhood_id",
            "lpu_id",
            "bng_x",
            "bng_y",
        )
    }
    for month, x, y, location, lsoa in parts:
        for i in range(len(x)):
            info = lsoa_info[lsoa[i]]
            rows["asb_key"].append(f"demo:{month:%Y-%m}:{i}")
            rows["month"].append(month)
            rows["location"].append(location[i])
            rows["lsoa_code"].append(lsoa[i])
            rows["lsoa_name"].append(info.lsoa_name)
            rows["neighbourhood_id"].append(info.neighbourhood_id)
            rows["lpu_id"].append(info.lpu_id)
            rows["bng_x"].append(float(x[i]))
            rows["bng_y"].append(float(y[i]))
    n = len(rows["asb_key"])
    return pa.table(
        {
            **rows,
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
