"""Place points that have coordinates but no LSOA: the 2011 police.uk schema, and the point files
analysts pass around.

A point (British National Grid metres) is placed in its local authority district by
point-in-polygon against the bundled generalised 2011 district boundaries of England
(``data/geography/lad_2011.geojson.gz``), then in the LSOA of that district whose
population-weighted centroid is nearest *relative to the LSOA's size*: the distance to each centroid
is divided by the radius of a circle of the LSOA's land area (``data/geography/
lsoa_2011_area.csv.gz``), so a large rural LSOA claims points further from its centroid than a
small town-centre one does (a multiplicatively weighted Voronoi diagram; LSOA boundaries are not
bundled). A point in no English district (Wales, or just outside the generalised coastline) is
placed the same way among the NEAR nearest LSOA centroids of England and Wales.

How often this agrees with the LSOA police.uk itself gives is measured in docs/methods.md
("Placing points in an LSOA") and checked as a lower bound by tests/test_geography_place.py.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import shapely
from scipy.spatial import cKDTree

from paragon.geography.bng import lonlat_to_bng
from paragon.geography.lpus import all_lsoas

NEAR = 32  # candidates, by plain distance, for a point in no district
CHUNK = 4096  # points per block of the district distance matrix


@dataclass(frozen=True)
class _Districts:
    codes: np.ndarray  # la_code per polygon
    tree: shapely.STRtree


@dataclass(frozen=True)
class _Centroids:
    codes: np.ndarray  # lsoa_code
    names: np.ndarray  # lsoa_name
    la: np.ndarray  # la_code
    xy: np.ndarray  # (n, 2) BNG metres
    radius: np.ndarray  # metres: radius of a circle of the LSOA's land area
    tree: cKDTree


@lru_cache(maxsize=1)
def _districts() -> _Districts:
    raw = resources.files("paragon.data").joinpath("geography/lad_2011.geojson.gz").read_bytes()
    features = json.loads(gzip.decompress(raw))["features"]
    geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
    codes = np.array([f["properties"]["la_code"] for f in features], dtype=object)
    return _Districts(codes, shapely.STRtree(geoms))


@lru_cache(maxsize=1)
def _centroids() -> _Centroids:
    t = all_lsoas()
    x, y = lonlat_to_bng(t["longitude"].to_numpy(), t["latitude"].to_numpy())
    xy = np.column_stack([x, y])
    codes = np.array(t["lsoa_code"].to_pylist(), dtype=object)
    hectares = _areas()
    area = np.array([hectares.get(code, np.nan) for code in codes], dtype=float)
    missing = ~np.isfinite(area) | (area <= 0)
    area[missing] = float(np.median(area[~missing])) if (~missing).any() else 1.0
    return _Centroids(
        codes,
        np.array(t["lsoa_name"].to_pylist(), dtype=object),
        np.array(t["la_code"].to_pylist(), dtype=object),
        xy,
        np.sqrt(area * 10_000.0 / np.pi),
        cKDTree(xy),
    )


def _areas() -> dict[str, float]:
    raw = resources.files("paragon.data").joinpath("geography/lsoa_2011_area.csv.gz").read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").splitlines()[1:]
    return {code: float(ha) for code, ha in (line.split(",") for line in lines)}


@lru_cache(maxsize=400)
def _district_members(la_code: str) -> np.ndarray:
    return np.flatnonzero(_centroids().la == la_code)


def _weighted_nearest(points: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """For each point (n, 2), the index (into the centroids) of the candidate LSOA nearest relative
    to its size; ``candidates`` is one index array shared by all points, or one row per point."""
    c = _centroids()
    out = np.empty(len(points), dtype=np.int64)
    for lo in range(0, len(points), CHUNK):
        block = points[lo:lo + CHUNK]
        cand = candidates if candidates.ndim == 1 else candidates[lo:lo + CHUNK]
        dx = block[:, 0, None] - c.xy[cand, 0]
        dy = block[:, 1, None] - c.xy[cand, 1]
        scaled = np.hypot(dx, dy) / c.radius[cand]
        best = np.argmin(scaled, axis=1)
        out[lo:lo + CHUNK] = (cand[best] if cand.ndim == 1
                              else cand[np.arange(len(block)), best])
    return out


def district_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The 2011 local authority code each point lies in (England), or None."""
    d = _districts()
    out = np.full(len(x), None, dtype=object)
    if len(x) == 0:
        return out
    points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    point_idx, poly_idx = d.tree.query(points, predicate="intersects")
    # a point on a shared boundary is in two districts: the first polygon (by code) decides
    order = np.lexsort((poly_idx, point_idx))
    point_idx, poly_idx = point_idx[order], poly_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    out[point_idx[first]] = d.codes[poly_idx[first]]
    return out


def place_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lsoa_code, lsoa_name) for each point (BNG metres); NaN coordinates give None. The rule is
    in the module docstring."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    codes = np.full(len(x), None, dtype=object)
    names = np.full(len(x), None, dtype=object)
    located = ~(np.isnan(x) | np.isnan(y))
    if not located.any():
        return codes, names
    c = _centroids()
    idx = np.flatnonzero(located)
    districts = district_of(x[idx], y[idx])
    chosen = np.full(len(idx), -1, dtype=np.int64)
    for la in {d for d in districts if d is not None}:
        members = np.flatnonzero(districts == la)
        index = _district_members(la)
        if len(index) == 0:
            continue
        chosen[members] = _weighted_nearest(
            np.column_stack([x[idx[members]], y[idx[members]]]), index)
    rest = chosen < 0
    if rest.any():
        points = np.column_stack([x[idx[rest]], y[idx[rest]]])
        _, near = c.tree.query(points, k=min(NEAR, len(c.codes)))
        chosen[rest] = _weighted_nearest(points, np.atleast_2d(near))
    codes[idx] = c.codes[chosen]
    names[idx] = c.names[chosen]
    return codes, names


def place_lonlat(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``place_points`` for longitude/latitude."""
    x, y = lonlat_to_bng(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return place_points(x, y)
