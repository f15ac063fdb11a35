"""Synthetic anti-social behaviour incidents and local priorities ("you said, we did")."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from paragon.demo.places import EPOCH, locations, lsoa_codes, place
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
    parts: list[tuple[np.ndarray, ...]] = []
    keys: list[np.ndarray] = []
    month_of: list[np.ndarray] = []
    for month in months_between(ASB_FIRST_MONTH, ASB_END):
        trend = 1.0 - 0.04 * (month.year - 2010)
        n = int(rng.poisson(8728 * ASB_SEASON[month.month - 1] * trend))
        parts.append(place(rng, "Anti-social behaviour", n))
        month_of.append(np.full(n, (month - EPOCH).days, np.int32))
        keys.append(np.char.add(f"demo:{month:%Y-%m}:", np.arange(n).astype(str)))
    x, y, location, lsoa = (np.concatenate([p[i] for p in parts]) for i in range(4))
    by_index = [*west_midlands_lsoas()]
    codes = lsoa_codes()
    assert [i.lsoa_code for i in by_index] == list(codes)
    n = len(lsoa)

    def column(values: list[str]) -> pa.Array:
        return pc.take(pa.array(values, pa.string()), pa.array(lsoa))

    return pa.table(
        {
            "asb_key": pa.array(np.concatenate(keys), pa.string()),
            "month": pa.array(np.concatenate(month_of), pa.date32()),
            "location": pc.take(pa.array(locations(), pa.string()), pa.array(location)),
            "lsoa_code": column(list(codes)),
            "lsoa_name": column([i.lsoa_name for i in by_index]),
            "neighbourhood_id": column([i.neighbourhood_id for i in by_index]),
            "lpu_id": column([i.lpu_id for i in by_index]),
            "bng_x": x,
            "bng_y": y,
            "source": pa.array(["demo"] * n, pa.string()),
            "force": pa.array([force] * n, pa.string()),
            "reported_by": pa.array(["West Midlands Police"] * n, pa.string()),
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
