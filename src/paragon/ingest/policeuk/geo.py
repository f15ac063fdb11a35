"""Geography for the police.uk formats: British National Grid for every located row (pyproj), an
LSOA for located rows that have none (point-in-polygon and nearest centroid, geography.place), and
LSOA -> neighbourhood (MSOA) -> starter LPU for every force of England and Wales.

The LPU stored with a row is the starter plan's (one per district; West Midlands: its 2011-15 plan's
ten). Measures do not rely on it: they select an LPU's rows by LSOA through the active plan."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from paragon.geography.bng import bng_to_lonlat, lonlat_to_bng
from paragon.geography.forces import TERRITORIAL
from paragon.geography.lpus import all_lsoas, west_midlands_lsoas
from paragon.geography.place import place_points
from paragon.geography.starter import district_slug

LONLAT = ("longitude", "latitude")
BNG = ("bng_x", "bng_y")


@lru_cache(maxsize=1)
def areas() -> pa.Table:
    """(force, lsoa_code) -> neighbourhood_id, lpu_id for every LSOA of England and Wales."""
    t = all_lsoas()
    wm = {x.lsoa_code: x.lpu_id for x in west_midlands_lsoas()}
    codes = t["lsoa_code"].to_pylist()
    forces = t["force"].to_pylist()
    slugs = {name: district_slug(name) for name in set(t["la_name"].to_pylist())}
    lpus = [wm[c] if f == "west-midlands" else slugs[n]
            for c, f, n in zip(codes, forces, t["la_name"].to_pylist(), strict=True)]
    assert set(forces) <= set(TERRITORIAL)
    return pa.table({
        "area_force": forces,
        "area_lsoa": codes,
        "area_neighbourhood": t["msoa_code"],
        "area_lpu": lpus,
    })


@lru_cache(maxsize=64)
def areas_of(forces: tuple[str, ...]) -> pa.Table:
    """:func:`areas` of these forces only: the insert's join then builds a small hash table."""
    table = areas()
    return table.filter(pc.is_in(table["area_force"], pa.array(forces, pa.string())))


AREA_JOIN = "LEFT JOIN _pu_area a ON a.area_force = v.force AND a.area_lsoa = v.lsoa_code"


def _distinct(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (a, b) pairs, bit for bit: the index of one row of each, and each row's pair
    (police.uk snaps points to a fixed set of map points: many rows share one)."""
    ka, kb = a.view(np.uint64), b.view(np.uint64)
    order = np.lexsort((kb, ka))
    sa, sb = ka[order], kb[order]
    new = np.r_[True, (sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])]
    pair = np.empty(len(a), dtype=np.int64)
    pair[order] = np.cumsum(new) - 1
    return order[new], pair


def _transform(convert: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
               a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``convert`` of each (a, b) pair, computed once per distinct pair."""
    if len(a) == 0:
        return convert(a, b)
    first, pair = _distinct(a, b)
    x, y = convert(a[first], b[first])
    return x[pair], y[pair]


def add_coordinates(rows: pa.Table, coordinates: str | None, *, place: bool = True) -> pa.Table:
    """Add the pair the file does not publish (BNG from lon/lat, or lon/lat from BNG) for the good,
    located rows; the others get NULL. With ``place``, good located rows without an LSOA (the 2011
    schema has no LSOA column at all) are placed in one by ``geography.place``."""
    if coordinates is None:
        return rows
    have, want = (LONLAT, BNG) if coordinates == "lonlat" else (BNG, LONLAT)
    a = rows[have[0]].to_numpy(zero_copy_only=False).astype(float)
    b = rows[have[1]].to_numpy(zero_copy_only=False).astype(float)
    located = rows["reason"].is_null().to_numpy(zero_copy_only=False) & ~np.isnan(a) & ~np.isnan(b)
    x = np.full(len(a), np.nan)
    y = np.full(len(a), np.nan)
    if coordinates == "lonlat":
        x[located], y[located] = _transform(lonlat_to_bng, a[located], b[located])
        x, y = np.round(x, 1), np.round(y, 1)
        bx, by = x, y
    else:
        x[located], y[located] = _transform(bng_to_lonlat, a[located], b[located])
        x, y = np.round(x, 6), np.round(y, 6)
        bx, by = a, b
    rows = rows.append_column(want[0], pa.array(x, pa.float64(), mask=~located))
    rows = rows.append_column(want[1], pa.array(y, pa.float64(), mask=~located))
    return place_unplaced(rows, located, bx, by) if place else rows


def place_unplaced(rows: pa.Table, located: np.ndarray, x: np.ndarray, y: np.ndarray) -> pa.Table:
    """Fill ``lsoa_code``/``lsoa_name`` (adding the columns if missing) for located rows without
    one (in Arrow: only the rows to place are touched in Python, and the columns are rebuilt only
    when some row is placed)."""
    n = len(rows)
    names = rows.column_names
    if "lsoa_code" in names:
        empty = pc.fill_null(pc.equal(rows["lsoa_code"], ""), True)
        missing = located & empty.to_numpy(zero_copy_only=False)
    else:
        missing = located
    if not missing.any():
        for column in ("lsoa_code", "lsoa_name"):
            if column not in names:
                rows = rows.append_column(column, pa.nulls(n, pa.string()))
        return rows
    columns = {c: (rows[c].combine_chunks().cast(pa.string()) if c in names
                   else pa.nulls(n, pa.string())) for c in ("lsoa_code", "lsoa_name")}
    placed = _place(x[missing], y[missing])
    mask = pa.array(missing)
    for column, values in zip(columns, placed, strict=True):
        columns[column] = pc.replace_with_mask(columns[column], mask,
                                               pa.array(list(values), pa.string()))
    for column, array in columns.items():
        names = rows.column_names
        if column in names:
            rows = rows.set_column(names.index(column), column, array)
        else:
            rows = rows.append_column(column, array)
    return rows


def _place(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``place_points``, computed once per distinct point."""
    first, point = _distinct(x, y)
    codes, names = place_points(x[first], y[first])
    return codes[point], names[point]
