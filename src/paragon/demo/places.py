"""Real places for synthetic records: resampled February 2011 West Midlands police.uk points.

The demo puts each synthetic crime at a real February 2011 crime point of the same kind (the 2011
police.uk categories), jittered by a few tens of metres, and gives it the LSOA whose centroid is
nearest. So the demo's geography, and its differences between LPUs, are the real ones.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import numpy as np
from scipy.spatial import cKDTree

from paragon.geography.lpus import Lsoa, west_midlands_lsoas

JITTER_METRES = 40.0
EPOCH = date(1970, 1, 1)  # dates are generated as days since this


@dataclass(frozen=True)
class Points:
    x: np.ndarray
    y: np.ndarray
    location: np.ndarray  # index into locations()


@lru_cache(maxsize=1)
def _read() -> tuple[dict[str, Points], tuple[str, ...]]:
    """February 2011 points by 2011 police.uk crime type, and every location text they name."""
    text = (
        resources.files("paragon.data")
        .joinpath("policeuk/2011-02-west-midlands-street.csv")
        .read_text("utf-8")
    )
    names: dict[str, int] = {}
    by_type: dict[str, list[tuple[float, float, int]]] = {}
    for row in csv.DictReader(text.splitlines()):
        where = names.setdefault(row["Location"], len(names))
        by_type.setdefault(row["Crime type"], []).append(
            (float(row["Easting"]), float(row["Northing"]), where)
        )
    points = {
        kind: Points(
            np.array([p[0] for p in pts]),
            np.array([p[1] for p in pts]),
            np.array([p[2] for p in pts], dtype=np.int64),
        )
        for kind, pts in by_type.items()
    }
    return points, tuple(names)


def real_points() -> dict[str, Points]:
    """February 2011 points by 2011 police.uk crime type."""
    return _read()[0]


def locations() -> tuple[str, ...]:
    """The location texts that :attr:`Points.location` and :func:`place` index."""
    return _read()[1]


@lru_cache(maxsize=1)
def _lsoa_index() -> tuple[cKDTree, tuple[Lsoa, ...]]:
    lsoas = west_midlands_lsoas()
    tree = cKDTree(np.column_stack([[x.bng_x for x in lsoas], [x.bng_y for x in lsoas]]))
    return tree, lsoas


def lsoa_codes() -> tuple[str, ...]:
    """The LSOA codes that :func:`place` indexes."""
    return tuple(x.lsoa_code for x in _lsoa_index()[1])


def place(
    rng: np.random.Generator, kind: str, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n`` jittered real points of a 2011 crime type: (x, y, location, LSOA), the last two as
    indexes into :func:`locations` and :func:`lsoa_codes`."""
    pts = real_points()[kind]
    pick = rng.integers(0, len(pts.x), n)
    x = np.round(pts.x[pick] + rng.normal(0, JITTER_METRES, n))
    y = np.round(pts.y[pick] + rng.normal(0, JITTER_METRES, n))
    tree, _ = _lsoa_index()
    _, nearest = tree.query(np.column_stack([x, y]), workers=-1)
    return x, y, pts.location[pick], np.asarray(nearest, np.int64)
