"""LPU boundaries for any plan whose LPUs are whole districts, from the bundled generalised 2011
district boundaries of England (``data/geography/lad_2011.geojson.gz``), for the web site's map.

The shipped map (``web/static/geo/lpus.geojson``) is the West Midlands plan's; a starter plan from
``paragon plan init`` has one LPU per district (or merged districts), whose boundary is the union
of its districts' polygons. An LPU that is part of a split district (Birmingham's) or a Welsh
district (no polygon bundled) has no boundary here: ``plan_lpu_shapes`` then returns None and the
caller keeps to what it has.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from paragon.geography.bng import bng_to_lonlat
from paragon.geography.lpus import force_districts

if TYPE_CHECKING:
    from paragon.plan.schema import Plan

DECIMALS = 5  # about a metre


@lru_cache(maxsize=1)
def _district_polygons() -> dict[str, Any]:
    raw = resources.files("paragon.data").joinpath("geography/lad_2011.geojson.gz").read_bytes()
    features = json.loads(gzip.decompress(raw))["features"]
    return {f["properties"]["la_code"]: shape(f["geometry"]) for f in features}


def _to_lonlat(geom: Any) -> Any:
    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = bng_to_lonlat(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), DECIMALS)

    return shapely.transform(geom, convert)


def plan_lpu_shapes(plan: Plan) -> dict[str, Any] | None:
    """A GeoJSON FeatureCollection (WGS84) with one feature per LPU of the plan (properties
    ``id``, ``name``, ``kind`` 'lpu', ``label_lon``, ``label_lat``), or None when some LPU has no
    boundary here (part of a split district, or a district without a bundled polygon)."""
    built = plan_lpu_shapes_or_reason(plan)
    return built if isinstance(built, dict) else None


def plan_lpu_shapes_or_reason(plan: Plan) -> dict[str, Any] | str:
    """:func:`plan_lpu_shapes`, or in plain words why no boundary can be drawn."""
    polygons = _district_polygons()
    by_key = {k.lower(): code for code, name in force_districts(plan.force) for k in (code, name)}
    features = []
    for lpu in plan.lpus:
        if lpu.split is not None:
            return (f"{lpu.name} is part of a council district that the plan splits between "
                    "policing units, and no boundary is held for such a part.")
        codes = [by_key.get(d.lower()) for d in lpu.districts()]
        if any(c is None or c not in polygons for c in codes):
            return f"No boundary is held for the council district(s) of {lpu.name}."
        merged = shapely.union_all([polygons[c] for c in codes if c is not None])
        label = _to_lonlat(merged.representative_point())
        features.append({
            "type": "Feature",
            "id": lpu.id,
            "properties": {"id": lpu.id, "name": lpu.name, "kind": "lpu",
                           "label_lon": float(label.x), "label_lat": float(label.y)},
            "geometry": mapping(_to_lonlat(merged)),
        })
    return {"type": "FeatureCollection", "features": features}


def force_area_bng(force: str) -> Any | None:
    """The whole area of a force (the union of its districts' polygons) in British National Grid
    metres, or None when a district has no bundled polygon (Welsh forces)."""
    polygons = _district_polygons()
    codes = [code for code, _ in force_districts(force)]
    if not codes or any(c not in polygons for c in codes):
        return None
    return shapely.union_all([polygons[c] for c in codes])
