"""Place points that have coordinates but no LSOA: the 2011 police.uk schema, and the point files
analysts pass around.

A point (British National Grid metres) is placed in its local authority district by
point-in-polygon against the bundled generalised 2011 district boundaries of England
(``data/geography/lad_2011.geojson.gz``), then in the LSOA of that district whose
population-weighted centroid is nearest (a k-d tree per district). A point in no English district
(Wales, or just outside the generalised coastline) takes the nearest LSOA centroid of England and
Wales. How often this agrees with the LSOA police.uk itself gives is measured in docs/methods.md.
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
    return _Centroids(
        np.array(t["lsoa_code"].to_pylist(), dtype=object),
        np.array(t["lsoa_name"].to_pylist(), dtype=object),
        np.array(t["la_code"].to_pylist(), dtype=object),
        xy,
        cKDTree(xy),
    )


@lru_cache(maxsize=400)
def _district_tree(la_code: str) -> tuple[np.ndarray, cKDTree]:
    c = _centroids()
    index = np.flatnonzero(c.la == la_code)
    return index, cKDTree(c.xy[index])


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
    """(lsoa_code, lsoa_name) for each point (BNG metres); NaN coordinates give None."""
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
        index, tree = _district_tree(la)
        if len(index) == 0:
            continue
        _, nearest = tree.query(np.column_stack([x[idx[members]], y[idx[members]]]))
        chosen[members] = index[nearest]
    rest = chosen < 0
    if rest.any():
        _, nearest = c.tree.query(np.column_stack([x[idx[rest]], y[idx[rest]]]))
        chosen[rest] = nearest
    codes[idx] = c.codes[chosen]
    names[idx] = c.names[chosen]
    return codes, names


def place_lonlat(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``place_points`` for longitude/latitude."""
    x, y = lonlat_to_bng(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return place_points(x, y)
