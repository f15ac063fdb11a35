"""Where hotspot events come from: a plain CSV of points, or the warehouse's crimes table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from paragon.errors import ParagonError
from paragon.geography.bng import lonlat_to_bng
from paragon.tasking.backtest import Events
from paragon.tasking.harm import HarmWeights
from paragon.tasking.predict import Centroids
from paragon.warehouse import Warehouse

_ALIASES = {
    "month": ("month",),
    "longitude": ("longitude", "lon", "long"),
    "latitude": ("latitude", "lat"),
    "easting": ("easting", "bng_x", "x"),
    "northing": ("northing", "bng_y", "y"),
    "category": ("crime type", "crime.type", "crime_type", "category"),
}


def _column(names: list[str], key: str) -> str | None:
    lowered = {n.strip().lower(): n for n in names}
    return next((lowered[a] for a in _ALIASES[key] if a in lowered), None)


def events_from_csv(path: Path, crime_type: str | None = None,
                    weights: HarmWeights | None = None) -> tuple[Events, int]:
    """Events from a CSV (optionally gzipped) with a Month column (YYYY-MM) and either
    Longitude/Latitude (WGS84) or Easting/Northing (BNG); a "Crime type" column, when present,
    can filter and carries the harm weight. Returns the events and the rows dropped for having
    no usable coordinates or month."""
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            strings_can_be_null=True, column_types={"Month": pa.string(), "month": pa.string()}))
    except FileNotFoundError:
        raise ParagonError(f"{path}: no such file.") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise ParagonError(f"{path}: not a readable CSV ({exc}).") from None
    names = table.column_names
    month_col = _column(names, "month")
    if month_col is None:
        raise ParagonError(f"{path}: no Month column (columns: {', '.join(names)}).")
    cat_col = _column(names, "category")
    if crime_type is not None:
        if cat_col is None:
            raise ParagonError(f"{path}: no crime type column to filter on.")
        table = table.filter(pc.equal(table[cat_col], crime_type))
    lon_col, lat_col = _column(names, "longitude"), _column(names, "latitude")
    e_col, n_col = _column(names, "easting"), _column(names, "northing")
    if lon_col and lat_col:
        lon = _floats(table, lon_col, path)
        lat = _floats(table, lat_col, path)
        x, y = lonlat_to_bng(lon, lat)
    elif e_col and n_col:
        x, y = _floats(table, e_col, path), _floats(table, n_col, path)
    else:
        raise ParagonError(
            f"{path}: needs Longitude and Latitude (or Easting and Northing) columns.")
    month = _months(table[month_col].to_pylist())
    categories = table[cat_col].to_pylist() if cat_col else None
    harm = None
    if weights is not None:
        if categories is None:
            raise ParagonError(f"{path}: harm weights need a crime type column.")
        harm = weights.for_categories(categories)
    ok = np.isfinite(x) & np.isfinite(y) & (month >= 0)
    dropped = int((~ok).sum())
    return Events(x[ok], y[ok], month[ok], None if harm is None else harm[ok]), dropped


def _floats(table: pa.Table, col: str, path: Path) -> np.ndarray:
    try:
        arr = pc.cast(table[col], pa.float64())
    except pa.ArrowInvalid:
        raise ParagonError(f"{path}: column {col} is not numeric.") from None
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=float)


def _months(values: list[object]) -> np.ndarray:
    out = np.full(len(values), -1, dtype=np.int64)
    for i, v in enumerate(values):
        s = str(v or "")[:7]
        if len(s) == 7 and s[4] == "-" and s[:4].isdigit() and s[5:].isdigit():
            m = int(s[5:])
            if 1 <= m <= 12:
                out[i] = int(s[:4]) * 12 + m - 1
    return out


def events_from_warehouse(wh: Warehouse, crime_type: str, force: str | None = None,
                          weights: HarmWeights | None = None) -> Events:
    """Crimes of one police.uk category with BNG coordinates (any source, any force unless
    ``force`` is given)."""
    sql = ("SELECT bng_x, bng_y, year(month) * 12 + month(month) - 1 AS m, category, offence_code "
           "FROM crimes WHERE category = ? AND bng_x IS NOT NULL AND bng_y IS NOT NULL")
    params: list[object] = [crime_type]
    if force:
        sql += " AND force = ?"
        params.append(force)
    cur = wh.con.cursor()
    try:
        rows = cur.execute(sql, params).fetchnumpy()
    finally:
        cur.close()
    x = np.asarray(rows["bng_x"], dtype=float)
    if x.size == 0:
        known = [r["category"] for r in wh.query(
            "SELECT DISTINCT category FROM crimes WHERE category IS NOT NULL ORDER BY 1")]
        raise ParagonError(
            f"No crimes of type '{crime_type}' with coordinates in the warehouse"
            + (f"; types present: {', '.join(known)}." if known
               else "; the crimes table is empty."))
    harm = None
    if weights is not None:
        harm = weights.for_rows(list(rows["category"]), list(rows["offence_code"]))
    return Events(x, np.asarray(rows["bng_y"], dtype=float),
                  np.asarray(rows["m"], dtype=np.int64), harm)


def centroids_from_warehouse(wh: Warehouse, force: str | None = None) -> Centroids | None:
    """LSOA centroids with their LPU from the geography table; when it has none (a warehouse of
    police.uk files only), the mean point of each LSOA's crimes with the LPU the crimes were
    given at ingest. None when neither is known."""
    sql = ("SELECT bng_x, bng_y, lpu_id FROM geography WHERE bng_x IS NOT NULL "
           "AND bng_y IS NOT NULL AND lpu_id IS NOT NULL")
    params: list[object] = []
    if force:
        sql += " AND force = ?"
        params.append(force)
    rows = wh.query(sql + " ORDER BY lsoa_code", params)
    if not rows:
        sql = ("SELECT avg(bng_x) AS bng_x, avg(bng_y) AS bng_y, min(lpu_id) AS lpu_id "
               "FROM crimes WHERE bng_x IS NOT NULL AND bng_y IS NOT NULL "
               "AND lpu_id IS NOT NULL AND lsoa_code IS NOT NULL"
               + (" AND force = ?" if force else "")
               + " GROUP BY lsoa_code ORDER BY lsoa_code")
        rows = wh.query(sql, params)
    if not rows:
        return None
    return Centroids(np.array([r["bng_x"] for r in rows], dtype=float),
                     np.array([r["bng_y"] for r in rows], dtype=float),
                     [str(r["lpu_id"]) for r in rows])
