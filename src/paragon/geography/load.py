"""Load the plan's geography into the warehouse (idempotent)."""

from __future__ import annotations

import pyarrow as pa

from paragon.geography.lpus import plan_lsoas
from paragon.plan.schema import Plan
from paragon.warehouse import Warehouse


def load_geography(wh: Warehouse, plan: Plan | None = None) -> int:
    """Replace the rows of ``geography`` for the plan's force (default: the West Midlands plan) with
    its LSOAs and the plan's LPUs; returns the number of LSOAs."""
    if plan is None:
        from paragon.plan.loader import default_plan

        plan = default_plan()
    lsoas = plan_lsoas(plan)
    table = pa.table(
        {
            "lsoa_code": [x.lsoa_code for x in lsoas],
            "lsoa_name": [x.lsoa_name for x in lsoas],
            "neighbourhood_id": [x.neighbourhood_id for x in lsoas],
            "neighbourhood_name": [x.neighbourhood_name for x in lsoas],
            "la_code": [x.la_code for x in lsoas],
            "la_name": [x.la_name for x in lsoas],
            "lpu_id": [x.lpu_id for x in lsoas],
            "force": [plan.force] * len(lsoas),
            "latitude": [x.latitude for x in lsoas],
            "longitude": [x.longitude for x in lsoas],
            "bng_x": [x.bng_x for x in lsoas],
            "bng_y": [x.bng_y for x in lsoas],
            "population": [x.population for x in lsoas],
        }
    )
    with wh.transaction() as con:
        con.register("geo_in", table)
        con.execute("DELETE FROM geography WHERE force = ?", [plan.force])
        con.execute("INSERT INTO geography BY NAME SELECT * FROM geo_in")
        con.unregister("geo_in")
    return len(lsoas)
