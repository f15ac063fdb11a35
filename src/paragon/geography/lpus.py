"""The West Midlands LSOAs and their Local Policing Units.

Six LPUs are the local authorities themselves. Birmingham's four LPUs (North, East, South, West and
Central) have no published LSOA list, so Paragon approximates them reproducibly from each LSOA's
population-weighted centroid: LSOAs within CENTRAL_RADIUS_KM of Birmingham city centre are West and
Central; the rest are split by compass bearing from the centre (see ``birmingham_lpu``). The sizes
this gives are tested and documented in docs/methods.md.

Neighbourhoods: police neighbourhood boundaries are not published as files, so each MSOA (a
census area of about 7,000 people) stands in for a neighbourhood.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from paragon.geography.bng import lonlat_to_bng

BIRMINGHAM_CENTRE = (-1.9026, 52.4797)  # Victoria Square, lon/lat
CENTRAL_RADIUS_KM = 4.0
FORCE = "west-midlands"

LA_TO_LPU = {
    "Coventry": "coventry",
    "Dudley": "dudley",
    "Sandwell": "sandwell",
    "Solihull": "solihull",
    "Walsall": "walsall",
    "Wolverhampton": "wolverhampton",
}


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


def birmingham_lpu(lon: float, lat: float) -> str:
    """The Birmingham LPU an LSOA centroid falls in, by the documented approximation."""
    bearing, distance = _bearing_and_distance(lon, lat)
    if distance <= CENTRAL_RADIUS_KM:
        return "birmingham-west-central"
    if bearing >= 320 or bearing < 60:
        return "birmingham-north"
    if bearing < 150:
        return "birmingham-east"
    if bearing < 250:
        return "birmingham-south"
    return "birmingham-west-central"


def lpu_for(la_name: str, lon: float, lat: float) -> str:
    if la_name == "Birmingham":
        return birmingham_lpu(lon, lat)
    return LA_TO_LPU[la_name]


@lru_cache(maxsize=1)
def west_midlands_lsoas() -> tuple[Lsoa, ...]:
    """All 1,680 West Midlands Police LSOAs with their neighbourhood and LPU."""
    text = (
        resources.files("paragon.data")
        .joinpath("geography/west_midlands_lsoa.csv")
        .read_text("utf-8")
    )
    rows = list(csv.DictReader(text.splitlines()))
    lons = np.array([float(r["longitude"]) for r in rows])
    lats = np.array([float(r["latitude"]) for r in rows])
    xs, ys = lonlat_to_bng(lons, lats)
    return tuple(
        Lsoa(
            lsoa_code=r["lsoa_code"],
            lsoa_name=r["lsoa_name"],
            neighbourhood_id=r["msoa_code"],
            neighbourhood_name=r["msoa_name"],
            la_code=r["la_code"],
            la_name=r["la_name"],
            lpu_id=lpu_for(r["la_name"], lon, lat),
            latitude=lat,
            longitude=lon,
            bng_x=round(float(x), 1),
            bng_y=round(float(y), 1),
            population=int(r["population_2011"]),
        )
        for r, lon, lat, x, y in zip(rows, lons, lats, xs, ys, strict=True)
    )
