"""Load the geography into the warehouse (idempotent)."""

from __future__ import annotations

import pyarrow as pa

from paragon.geography.lpus import FORCE, west_midlands_lsoas
from paragon.warehouse import Warehouse


def load_geography(wh: Warehouse) -> int:
    """Replace the West Midlands rows of ``geography``; returns the number of LSOAs."""
    lsoas = west_midlands_lsoas()
    table = pa.table(
        {
            "lsoa_code": [x.lsoa_code for x in lsoas],
            "lsoa_name": [x.lsoa_name for x in lsoas],
            "neighbourhood_id": [x.neighbourhood_id for x in lsoas],
            "neighbourhood_name": [x.neighbourhood_name for x in lsoas],
            "la_code": [x.la_code for x in lsoas],
            "la_name": [x.la_name for x in lsoas],
            "lpu_id": [x.lpu_id for x in lsoas],
            "force": [FORCE] * len(lsoas),
            "latitude": [x.latitude for x in lsoas],
            "longitude": [x.longitude for x in lsoas],
            "bng_x": [x.bng_x for x in lsoas],
            "bng_y": [x.bng_y for x in lsoas],
            "population": [x.population for x in lsoas],
        }
    )
    with wh.transaction() as con:
        con.register("geo_in", table)
        con.execute("DELETE FROM geography WHERE force = ?", [FORCE])
        con.execute("INSERT INTO geography BY NAME SELECT * FROM geo_in")
        con.unregister("geo_in")
    return len(lsoas)
