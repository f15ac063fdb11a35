"""Geography for the police.uk formats: British National Grid for every located row (pyproj), and
LSOA -> neighbourhood -> LPU where Paragon knows the force's geography (West Midlands)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyarrow as pa

from paragon.geography.bng import bng_to_lonlat, lonlat_to_bng
from paragon.geography.lpus import FORCE as WEST_MIDLANDS
from paragon.geography.lpus import west_midlands_lsoas

LONLAT = ("longitude", "latitude")
BNG = ("bng_x", "bng_y")


@lru_cache(maxsize=1)
def areas() -> pa.Table:
    """(force, lsoa_code) -> neighbourhood_id, lpu_id for every force whose geography is known."""
    lsoas = west_midlands_lsoas()
    return pa.table({
        "area_force": [WEST_MIDLANDS] * len(lsoas),
        "area_lsoa": [x.lsoa_code for x in lsoas],
        "area_neighbourhood": [x.neighbourhood_id for x in lsoas],
        "area_lpu": [x.lpu_id for x in lsoas],
    })


AREA_JOIN = "LEFT JOIN _pu_area a ON a.area_force = v.force AND a.area_lsoa = v.lsoa_code"


def add_coordinates(rows: pa.Table, coordinates: str | None) -> pa.Table:
    """Add the pair the file does not publish (BNG from lon/lat, or lon/lat from BNG) for the good,
    located rows; the others get NULL."""
    if coordinates is None:
        return rows
    have, want = (LONLAT, BNG) if coordinates == "lonlat" else (BNG, LONLAT)
    a = rows[have[0]].to_numpy(zero_copy_only=False).astype(float)
    b = rows[have[1]].to_numpy(zero_copy_only=False).astype(float)
    located = rows["reason"].is_null().to_numpy(zero_copy_only=False) & ~np.isnan(a) & ~np.isnan(b)
    x = np.full(len(a), np.nan)
    y = np.full(len(a), np.nan)
    if coordinates == "lonlat":
        x[located], y[located] = lonlat_to_bng(a[located], b[located])
        x, y = np.round(x, 1), np.round(y, 1)
    else:
        x[located], y[located] = bng_to_lonlat(a[located], b[located])
        x, y = np.round(x, 6), np.round(y, 6)
    rows = rows.append_column(want[0], pa.array(x, pa.float64(), mask=~located))
    return rows.append_column(want[1], pa.array(y, pa.float64(), mask=~located))
