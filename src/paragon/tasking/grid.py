"""The tasking grid: square cells on the British National Grid, masked to an area.

A cell is identified by its row-major index (``row * nx + col``, row 0 the southernmost) and named
by the easting and northing of its south-west corner (``E383000N397250``). Cells are "in" the
grid when their interior overlaps the area (the force or LPU boundary); only those cells are
ranked, predicted and scored. Events are binned into cells by floor division of their coordinates.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from paragon.errors import ParagonError
from paragon.geography.bng import bng_to_lonlat, lonlat_to_bng


@dataclass(frozen=True)
class Grid:
    """``nx`` by ``ny`` cells of ``cell`` metres from the south-west corner (``x0``, ``y0``).

    ``mask`` (shape ``(ny, nx)``) is True for cells inside the area.
    """

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    mask: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return (self.ny, self.nx)

    @property
    def cells_in_area(self) -> int:
        return int(self.mask.sum())

    def locate(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row and column of each point, and whether the point falls in a masked cell."""
        col = np.floor((np.asarray(x, dtype=float) - self.x0) / self.cell)
        row = np.floor((np.asarray(y, dtype=float) - self.y0) / self.cell)
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny) & np.isfinite(col + row)
        r = np.where(ok, row, 0).astype(np.int64)
        c = np.where(ok, col, 0).astype(np.int64)
        ok &= self.mask[r, c]
        return r, c, ok

    def histogram(self, x: np.ndarray, y: np.ndarray,
                  weights: np.ndarray | None = None) -> np.ndarray:
        """Events (or their weights) per cell, shape ``(ny, nx)``; points outside the area drop."""
        r, c, ok = self.locate(x, y)
        w = None if weights is None else np.asarray(weights, dtype=float)[ok]
        flat = np.bincount(r[ok] * self.nx + c[ok], weights=w, minlength=self.nx * self.ny)
        return flat.reshape(self.ny, self.nx).astype(float)

    def cell_name(self, index: int) -> str:
        row, col = divmod(int(index), self.nx)
        return f"E{self.x0 + col * self.cell:.0f}N{self.y0 + row * self.cell:.0f}"

    def centres(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Easting and northing of the centre of each cell in ``index``."""
        row, col = np.divmod(np.asarray(index, dtype=np.int64), self.nx)
        return (self.x0 + (col + 0.5) * self.cell, self.y0 + (row + 0.5) * self.cell)

    def polygon_lonlat(self, index: int) -> list[list[float]]:
        """The cell's outline in WGS84 (a closed GeoJSON ring, corners projected)."""
        row, col = divmod(int(index), self.nx)
        x = self.x0 + col * self.cell + np.array([0, self.cell, self.cell, 0, 0], dtype=float)
        y = self.y0 + row * self.cell + np.array([0, 0, self.cell, self.cell, 0], dtype=float)
        lon, lat = bng_to_lonlat(x, y)
        return [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]


def grid_for_area(area: BaseGeometry, cell: float) -> Grid:
    """A grid over ``area`` (in BNG metres), cells aligned to multiples of ``cell``, masked to the
    cells whose interior overlaps the area (touching its edge is not enough)."""
    if not cell > 0:
        raise ParagonError(f"The cell size must be a positive number of metres, not {cell}.")
    if area.is_empty:
        raise ParagonError("The area is empty: nothing to grid.")
    minx, miny, maxx, maxy = area.bounds
    x0 = np.floor(minx / cell) * cell
    y0 = np.floor(miny / cell) * cell
    nx = int(np.ceil((maxx - x0) / cell)) or 1
    ny = int(np.ceil((maxy - y0) / cell)) or 1
    if nx * ny > 25_000_000:
        raise ParagonError(
            f"A {cell:g} m grid over this area has {nx * ny:,} cells; choose a larger cell size.")
    cols, rows = np.meshgrid(np.arange(nx), np.arange(ny))
    boxes = shapely.box(x0 + cols * cell, y0 + rows * cell,
                        x0 + (cols + 1) * cell, y0 + (rows + 1) * cell)
    shapely.prepare(area)
    overlaps = shapely.intersects(area, boxes) & ~shapely.touches(area, boxes)
    mask = np.asarray(overlaps, dtype=bool).reshape(ny, nx)
    return Grid(float(x0), float(y0), float(cell), nx, ny, mask)


def hull_of_points(x: np.ndarray, y: np.ndarray) -> BaseGeometry:
    """The convex hull of the points: the area used when none is given."""
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        raise ParagonError("No events with coordinates: nothing to grid.")
    return shapely.convex_hull(shapely.multipoints(np.column_stack([x[ok], y[ok]])))


def load_area(path: Path) -> BaseGeometry:
    """The union of every polygon in a GeoJSON file, in BNG metres.

    The file may be gzipped. Coordinates are read as WGS84 longitude/latitude unless the file's
    ``crs`` names EPSG:27700.
    """
    try:
        raw = Path(path).read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        doc = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ParagonError(f"{path}: no such area file.") from None
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParagonError(f"{path}: not a readable GeoJSON file ({exc}).") from None
    if not isinstance(doc, dict):
        raise ParagonError(f"{path}: not a GeoJSON object.")
    if doc.get("type") == "FeatureCollection":
        geoms = [f.get("geometry") for f in doc.get("features") or [] if isinstance(f, dict)]
    elif doc.get("type") == "Feature":
        geoms = [doc.get("geometry")]
    else:
        geoms = [doc]
    shapes = []
    for g in geoms:
        if not isinstance(g, dict) or g.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        try:
            shapes.append(shapely.force_2d(shapely.geometry.shape(g)))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ParagonError(f"{path}: a polygon could not be read ({exc}).") from None
    if not shapes:
        raise ParagonError(f"{path}: no Polygon or MultiPolygon features.")
    area = shapely.make_valid(shapely.union_all(shapes))
    crs = json.dumps(doc.get("crs") or "")
    if "27700" not in crs:
        lon0, lat0, lon1, lat1 = area.bounds
        if not (-180 <= lon0 <= lon1 <= 180 and -90 <= lat0 <= lat1 <= 90):
            raise ParagonError(
                f"{path}: coordinates are not longitude/latitude and the file names no "
                "EPSG:27700 crs.")
        area = shapely.transform(
            area, lambda xy: np.column_stack(lonlat_to_bng(xy[:, 0], xy[:, 1])))
    return area
