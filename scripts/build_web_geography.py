"""Rebuild the map shapes the web site ships: LPU and neighbourhood boundaries, simplified GeoJSON.

Usage: python scripts/build_web_geography.py SHARED_DATA_DIR

Inputs (public, Open Government Licence):
- ``geography/england_lad_2011_gen.{shp,dbf,shx,prj}``: generalised boundaries of the local
  authority districts of England, 2011, in British National Grid (EPSG:27700);
- the West Midlands LSOA table shipped in the package (``paragon.geography.lpus``), which gives
  each LSOA's population-weighted centroid, its MSOA (our stand-in for a police neighbourhood)
  and its LPU.

Method (documented in docs/web.md, "Maps"):
1. Take the seven West Midlands districts (Birmingham, Coventry, Dudley, Sandwell, Solihull,
   Walsall, Wolverhampton) from the shapefile.
2. Six LPUs are districts: their boundary is the district boundary.
3. Birmingham's four LPUs and every neighbourhood have no published boundary. Within each district,
   build the Voronoi diagram of its LSOA centroids (each cell is the land nearer that centroid than
   any other in the district), clip each cell to the district, and give the cell the LSOA's LPU and
   neighbourhood (``paragon.geography.lpus`` assigns Birmingham LSOAs to LPUs). An LPU or a
   neighbourhood is the union of its LSOAs' cells. Because every cell is clipped to its own
   district, the cells tile each district exactly, so the four Birmingham LPUs tile Birmingham.
4. Simplify all shapes together with ``shapely.coverage_simplify`` (shared edges stay shared, no
   gaps or overlaps), tolerance 60 m for LPUs and 35 m for neighbourhoods, then convert to WGS84
   longitude/latitude rounded to 5 decimal places (about 1 m).

Outputs (committed; this script documents how they were made):
- ``src/paragon/web/static/geo/lpus.geojson``
- ``src/paragon/web/static/geo/neighbourhoods.geojson``
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import shapefile
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.ops import unary_union

from paragon.geography.lpus import west_midlands_lsoas
from paragon.plan import default_plan

OUT = Path(__file__).resolve().parents[1] / "src/paragon/web/static/geo"
DISTRICTS = ("Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton")
LPU_TOLERANCE_M = 60.0
NEIGHBOURHOOD_TOLERANCE_M = 35.0


def read_districts(shared: Path) -> dict[str, Any]:
    reader = shapefile.Reader(str(shared / "geography" / "england_lad_2011_gen"))
    names = [f[0] for f in reader.fields[1:]]
    out = {}
    for rec, shp in zip(reader.records(), reader.shapes(), strict=True):
        row = dict(zip(names, rec, strict=True))
        if row["name"] in DISTRICTS:
            out[row["name"]] = shape(shp.__geo_interface__).buffer(0)
    missing = set(DISTRICTS) - out.keys()
    if missing:
        raise SystemExit(f"districts not found in the shapefile: {sorted(missing)}")
    return out


def lsoa_cells(district: Any, points: list[tuple[str, float, float]]) -> dict[str, Any]:
    """Voronoi cell of each LSOA centroid, clipped to the district."""
    multipoint = MultiPoint([(x, y) for _, x, y in points])
    envelope = district.envelope.buffer(5_000)
    cells = list(shapely.voronoi_polygons(multipoint, extend_to=envelope, ordered=True).geoms)
    out = {}
    for (code, x, y), cell in zip(points, cells, strict=True):
        assert cell.covers(Point(x, y)), code
        out[code] = cell.intersection(district)
    return out


def build(shared: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    districts = read_districts(shared)
    lsoas = west_midlands_lsoas()
    by_district: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for x in lsoas:
        by_district[x.la_name].append((x.lsoa_code, x.bng_x, x.bng_y))
    cells: dict[str, Any] = {}
    for name, points in by_district.items():
        cells.update(lsoa_cells(districts[name], points))
    lpu_parts: dict[str, list[Any]] = defaultdict(list)
    hood_parts: dict[str, list[Any]] = defaultdict(list)
    for x in lsoas:
        lpu_parts[x.lpu_id].append(cells[x.lsoa_code])
        hood_parts[x.neighbourhood_id].append(cells[x.lsoa_code])
    la_of = {x.lpu_id: x.la_name for x in lsoas}
    lpus = {
        lpu: districts[la_of[lpu]] if not lpu.startswith("birmingham") else unary_union(parts)
        for lpu, parts in lpu_parts.items()
    }
    hoods = {hood: unary_union(parts) for hood, parts in hood_parts.items()}
    return lpus, hoods


def simplified(shapes: dict[str, Any], tolerance: float) -> dict[str, Any]:
    keys = sorted(shapes)
    geoms = shapely.coverage_simplify([shapes[k] for k in keys], tolerance)
    return dict(zip(keys, geoms, strict=True))


def to_lonlat(geom: Any) -> Any:
    project = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform
    lonlat = shapely.transform(geom, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1])))
    return shapely.set_precision(lonlat, 0.00001)


def feature_collection(features: list[dict[str, Any]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))


def main(shared: Path) -> None:
    lpus, hoods = build(shared)
    plan = default_plan()
    lpu_names = {lpu.id: lpu.name for lpu in plan.lpus}
    hood_info = {
        x.neighbourhood_id: (x.neighbourhood_name, x.lpu_id) for x in west_midlands_lsoas()
    }
    lpu_features = []
    for lpu, geom in simplified(lpus, LPU_TOLERANCE_M).items():
        lonlat = to_lonlat(geom)
        centre = lonlat.representative_point()
        lpu_features.append({
            "type": "Feature", "id": lpu,
            "properties": {"id": lpu, "name": lpu_names[lpu], "kind": "lpu",
                           "label_lon": round(centre.x, 5), "label_lat": round(centre.y, 5)},
            "geometry": mapping(lonlat),
        })
    hood_features = []
    for hood, geom in simplified(hoods, NEIGHBOURHOOD_TOLERANCE_M).items():
        name, lpu = hood_info[hood]
        hood_features.append({
            "type": "Feature", "id": hood,
            "properties": {"id": hood, "name": name, "kind": "neighbourhood", "lpu": lpu},
            "geometry": mapping(to_lonlat(geom)),
        })
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "lpus.geojson").write_text(feature_collection(lpu_features), encoding="utf-8")
    (OUT / "neighbourhoods.geojson").write_text(feature_collection(hood_features), encoding="utf-8")
    print(f"wrote {len(lpu_features)} LPUs and {len(hood_features)} neighbourhoods to {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
