"""LSOAs of any force of England and Wales, and the Local Policing Unit the plan gives each.

The bundled table (``data/geography/lsoa_2011.csv.gz``, built by scripts/build_geography.py) holds
every 2011 LSOA of England and Wales with its MSOA, local authority district, police force, centroid
and usual residents. A plan's LPU is one or more whole districts, or part of a district by a
documented split rule; ``plan_lsoas`` applies the plan to the force's LSOAs, so changing the plan's
LPUs never needs a re-ingest (measures select an LPU's crimes by LSOA).

The one split rule, ``birmingham-2011``: Birmingham's four 2011 LPUs (North, East, South, West and
Central) have no published LSOA list, so Paragon approximates them reproducibly from each LSOA's
population-weighted centroid: LSOAs within CENTRAL_RADIUS_KM of Birmingham city centre are West and
Central; the rest are split by compass bearing from the centre (see ``birmingham_part``). The sizes
this gives are tested and documented in docs/methods.md.

Neighbourhoods: police neighbourhood boundaries are not published as files, so each MSOA (a
census area of about 7,000 people) stands in for a neighbourhood.
"""

from __future__ import annotations

import gzip
import io
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from paragon.errors import PlanError
from paragon.geography.bng import lonlat_to_bng
from paragon.geography.forces import check_force

if TYPE_CHECKING:
    from paragon.plan.schema import Lpu, Plan

BIRMINGHAM_CENTRE = (-1.9026, 52.4797)  # Victoria Square, lon/lat
CENTRAL_RADIUS_KM = 4.0
FORCE = "west-midlands"


@dataclass(frozen=True)
class Lsoa:
    lsoa_code: str
    lsoa_name: str
    neighbourhood_id: str
    neighbourhood_name: str
    la_code: str
    la_name: str
    lpu_id: str
    latitude: float
    longitude: float
    bng_x: float
    bng_y: float
    population: int


def _bearing_and_distance(lon: float, lat: float) -> tuple[float, float]:
    """Compass bearing (degrees from north) and distance (km) from Birmingham city centre."""
    lon0, lat0 = BIRMINGHAM_CENTRE
    dx = (lon - lon0) * 111.32 * math.cos(math.radians(lat0))
    dy = (lat - lat0) * 110.57
    return math.degrees(math.atan2(dx, dy)) % 360, math.hypot(dx, dy)


def birmingham_part(lon: float, lat: float) -> str:
    """The part of Birmingham (rule ``birmingham-2011``) an LSOA centroid falls in."""
    bearing, distance = _bearing_and_distance(lon, lat)
    if distance <= CENTRAL_RADIUS_KM:
        return "west-central"
    if bearing >= 320 or bearing < 60:
        return "north"
    if bearing < 150:
        return "east"
    if bearing < 250:
        return "south"
    return "west-central"


def birmingham_lpu(lon: float, lat: float) -> str:
    """The West Midlands plan's Birmingham LPU id for an LSOA centroid."""
    return f"birmingham-{birmingham_part(lon, lat)}"


SPLIT_RULES = {"birmingham-2011": birmingham_part}


@lru_cache(maxsize=1)
def all_lsoas() -> pa.Table:
    """Every 2011 LSOA of England and Wales (34,753 rows) with MSOA, district, force, centroid and
    Census 2011 usual residents."""
    raw = resources.files("paragon.data").joinpath("geography/lsoa_2011.csv.gz").read_bytes()
    strings = ["lsoa_code", "lsoa_name", "msoa_code", "msoa_name", "la_code", "la_name", "force"]
    types: dict[str, pa.DataType] = {c: pa.string() for c in strings}
    types |= {"latitude": pa.float64(), "longitude": pa.float64(), "population_2011": pa.int64()}
    return pacsv.read_csv(
        io.BytesIO(gzip.decompress(raw)), convert_options=pacsv.ConvertOptions(column_types=types)
    )


@lru_cache(maxsize=64)
def force_lsoas(force: str) -> pa.Table:
    """The LSOAs of one force (a police.uk slug), sorted by code."""
    check_force(force)
    table = all_lsoas()
    # compared with a value of the column itself, and read back as Python lists below: pyarrow
    # imports pandas (about a second) to convert a Python value or to make a numpy array
    forces = table["force"].unique()
    try:
        wanted = forces[forces.to_pylist().index(force)]
    except ValueError:
        return table.slice(0, 0)
    return table.filter(pc.equal(table["force"], wanted))


@lru_cache(maxsize=64)
def force_districts(force: str) -> tuple[tuple[str, str], ...]:
    """(la_code, la_name) of the force's local authority districts, by name."""
    t = force_lsoas(force)
    pairs = set(zip(t["la_code"].to_pylist(), t["la_name"].to_pylist(), strict=True))
    return tuple(sorted(pairs, key=lambda p: p[1]))


def _lpu_of_district(force: str, plan_lpus: tuple[Lpu, ...]) -> dict[str, list[Lpu]]:
    known = force_districts(force)
    by_key = {k.lower(): code for code, name in known for k in (code, name)}
    out: dict[str, list[Lpu]] = {}
    for lpu in plan_lpus:
        for district in lpu.districts():
            code = by_key.get(district.lower())
            if code is None:
                names = ", ".join(name for _, name in known)
                raise PlanError(
                    f"LPU '{lpu.id}' names local authority '{district}', which is not in "
                    f"{force}'s area (its districts: {names})"
                )
            out.setdefault(code, []).append(lpu)
    return out


def _plan_key(plan: Plan) -> tuple[str, str]:
    return plan.force, json.dumps([lpu.model_dump() for lpu in plan.lpus])


@lru_cache(maxsize=16)
def _plan_lsoas(force: str, lpus_json: str) -> tuple[Lsoa, ...]:
    from paragon.plan.schema import Lpu

    t = force_lsoas(force)
    lpus = _lpu_of_district(force, tuple(Lpu.model_validate(x) for x in json.loads(lpus_json)))
    lons = np.array(t["longitude"].to_pylist(), dtype=float)
    lats = np.array(t["latitude"].to_pylist(), dtype=float)
    xs, ys = lonlat_to_bng(lons, lats)
    cols = {c: t[c].to_pylist() for c in ("lsoa_code", "lsoa_name", "msoa_code", "msoa_name",
                                           "la_code", "la_name", "population_2011")}
    out = []
    for i, code in enumerate(cols["lsoa_code"]):
        la_code = cols["la_code"][i]
        candidates = lpus.get(la_code)
        if not candidates:
            raise PlanError(
                f"local authority '{cols['la_name'][i]}' ({la_code}) of {force} is in no LPU of "
                "the plan: add it to an LPU's local_authorities"
            )
        lon, lat = float(lons[i]), float(lats[i])
        lpu_id = candidates[0].id
        if len(candidates) > 1 or candidates[0].split:
            parts = {}
            for lpu in candidates:
                assert lpu.split is not None
                parts[lpu.split.part] = lpu.id
                rule = lpu.split.rule
            part = SPLIT_RULES[rule](lon, lat)
            if part not in parts:
                raise PlanError(
                    f"rule {rule} puts LSOA {code} in part '{part}', which no LPU of the plan takes"
                )
            lpu_id = parts[part]
        out.append(Lsoa(
            lsoa_code=code,
            lsoa_name=cols["lsoa_name"][i],
            neighbourhood_id=cols["msoa_code"][i],
            neighbourhood_name=cols["msoa_name"][i],
            la_code=la_code,
            la_name=cols["la_name"][i],
            lpu_id=lpu_id,
            latitude=lat,
            longitude=lon,
            bng_x=round(float(xs[i]), 1),
            bng_y=round(float(ys[i]), 1),
            population=int(cols["population_2011"][i]),
        ))
    return tuple(out)


def plan_lsoas(plan: Plan) -> tuple[Lsoa, ...]:
    """Every LSOA of the plan's force with its neighbourhood (MSOA), district and the plan's LPU."""
    return _plan_lsoas(*_plan_key(plan))


def lpu_lsoas(plan: Plan, lpu_id: str) -> list[str]:
    """The LSOA codes the plan puts in one LPU."""
    return _lpu_index(*_plan_key(plan)).get(lpu_id, [])


@lru_cache(maxsize=16)
def _lpu_index(force: str, lpus_json: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for x in _plan_lsoas(force, lpus_json):
        out.setdefault(x.lpu_id, []).append(x.lsoa_code)
    return out


def west_midlands_lsoas() -> tuple[Lsoa, ...]:
    """All 1,680 West Midlands Police LSOAs with their neighbourhood and the default plan's LPU."""
    from paragon.plan.loader import default_plan

    return plan_lsoas(default_plan())
