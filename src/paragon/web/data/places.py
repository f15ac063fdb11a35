"""Map shapes and postcodes: the packaged GeoJSON (built by scripts/build_web_geography.py) and the
Birmingham postcode -> LSOA lookup (built by scripts/build_postcodes.py)."""

from __future__ import annotations

import gzip
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from paragon.errors import NotFoundError, ParagonError
from paragon.web.context import WebContext
from paragon.web.data.areas import Area, area_index

POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


@lru_cache(maxsize=2)
def _geojson(name: str) -> dict[str, Any]:
    text = resources.files("paragon.web").joinpath(f"static/geo/{name}.geojson").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def lpu_shapes() -> dict[str, Any]:
    return _geojson("lpus")


def neighbourhood_shapes(lpu_id: str | None = None) -> dict[str, Any]:
    data = _geojson("neighbourhoods")
    if lpu_id is None:
        return data
    return {"type": "FeatureCollection",
            "features": [f for f in data["features"] if f["properties"]["lpu"] == lpu_id]}


def with_counts(collection: dict[str, Any], counts: dict[str, int],
                populations: dict[str, int]) -> dict[str, Any]:
    """A copy of the shapes with crimes and crimes per 1,000 residents on each feature."""
    features = []
    for f in collection["features"]:
        fid = f["properties"]["id"]
        crimes = counts.get(fid, 0)
        pop = populations.get(fid, 0)
        props = {**f["properties"], "crimes": crimes,
                 "per_1000": round(1000 * crimes / pop, 1) if pop else None}
        features.append({**f, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def lsoa_points(ctx: WebContext, area: Area, counts: dict[str, int]) -> dict[str, Any]:
    """Crimes per LSOA at the LSOA's published population-weighted centroid (no record points)."""
    rows = ctx.warehouse.query(
        "SELECT lsoa_code, lsoa_name, longitude, latitude FROM geography "
        "WHERE lsoa_code IN (SELECT unnest(?)) AND longitude IS NOT NULL",
        [list(area.lsoas)],
    )
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r["lsoa_code"],
         "properties": {"id": r["lsoa_code"], "name": r["lsoa_name"],
                        "crimes": counts.get(r["lsoa_code"], 0)},
         "geometry": {"type": "Point",
                      "coordinates": [round(r["longitude"], 5), round(r["latitude"], 5)]}}
        for r in rows
    ]}


@lru_cache(maxsize=1)
def _postcodes() -> dict[str, str]:
    raw = resources.files("paragon.data").joinpath("geography/postcode_lsoa.csv.gz").read_bytes()
    lines = gzip.decompress(raw).decode("ascii").splitlines()[1:]
    return dict(line.split(",", 1) for line in lines if line)


def normalise_postcode(text: str) -> str:
    postcode = re.sub(r"\s+", "", text or "").upper()
    if not POSTCODE_PATTERN.match(postcode):
        raise ParagonError(f"'{text[:20]}' does not look like a UK postcode (for example B10 0AB).")
    return postcode


def postcode_area(ctx: WebContext, text: str) -> Area:
    """The neighbourhood a postcode is in (Birmingham postcodes only, where the data allows)."""
    postcode = normalise_postcode(text)
    lsoa = _postcodes().get(postcode)
    if lsoa is None:
        where = "Birmingham (B) postcodes" if not postcode.startswith("B") or \
            postcode[1].isalpha() else "this postcode"
        raise NotFoundError(
            f"We could not find {postcode[:-3]} {postcode[-3:]}. Postcode search covers "
            f"{where} only so far; please search by place name or use the map."
        )
    index = area_index(ctx)
    hood = index.lsoa_neighbourhood.get(lsoa)
    if hood is None:
        raise NotFoundError(f"{postcode[:-3]} {postcode[-3:]} is outside this force's area.")
    return index.neighbourhood(hood)
