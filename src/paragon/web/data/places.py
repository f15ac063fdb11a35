"""Map shapes and postcodes: the packaged GeoJSON (built by scripts/build_web_geography.py), an ONS
postcode directory file for any force (setting ``postcode_directory``) and the bundled Birmingham
postcode -> LSOA lookup (built by scripts/build_postcodes.py)."""

from __future__ import annotations

import csv
import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paragon.errors import NotFoundError, ParagonError
from paragon.web.context import WebContext
from paragon.web.data.areas import Area, area_index

if TYPE_CHECKING:
    from paragon.plan import Plan

POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


@lru_cache(maxsize=2)
def _geojson(name: str) -> dict[str, Any]:
    text = resources.files("paragon.web").joinpath(f"static/geo/{name}.geojson").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class PlanMap:
    """The map shapes for one plan: its LPU boundaries (None with ``reason`` when none can be
    drawn) and whether the packaged neighbourhood boundaries belong to its LPUs."""

    lpus: dict[str, Any] | None
    reason: str | None
    neighbourhoods: bool


def _packaged_fits(plan: Plan) -> bool:
    """The packaged shapes are the shipped West Midlands plan's: used only for a plan with exactly
    its LPUs (same ids, names and districts, split the same way)."""
    from paragon.plan import default_plan

    return plan_key(plan) == plan_key(default_plan())


def plan_key(plan: Plan) -> tuple[Any, ...]:
    return (plan.force, tuple((lpu.id, lpu.name, tuple(lpu.districts()), repr(lpu.split))
                              for lpu in plan.lpus))


_PLAN_MAPS: dict[tuple[Any, ...], PlanMap] = {}


def plan_map(plan: Plan) -> PlanMap:
    """The map for any plan: the packaged West Midlands shapes for the plan they were drawn for;
    otherwise LPU boundaries built from whole council districts (paragon.geography.shapes), or
    the reason none can be built. Never another force's or plan's shapes."""
    key = plan_key(plan)
    found = _PLAN_MAPS.get(key)
    if found is None:
        if _packaged_fits(plan):
            found = PlanMap(_geojson("lpus"), None, True)
        else:
            from paragon.geography.shapes import plan_lpu_shapes_or_reason

            built = plan_lpu_shapes_or_reason(plan)
            found = (PlanMap(built, None, False) if isinstance(built, dict)
                     else PlanMap(None, built, False))
        if len(_PLAN_MAPS) > 8:
            _PLAN_MAPS.clear()
        _PLAN_MAPS[key] = found
    return found


def lpu_shapes(plan: Plan) -> dict[str, Any]:
    """The plan's LPU boundaries; NotFoundError saying why when there are none."""
    found = plan_map(plan)
    if found.lpus is None:
        raise NotFoundError(f"No map of {plan.force_name}'s policing units: {found.reason}")
    return found.lpus


def neighbourhood_shapes(plan: Plan, lpu_id: str | None = None) -> dict[str, Any]:
    """The neighbourhood boundaries of the plan (of one LPU); only the West Midlands plan has
    them so far, otherwise NotFoundError."""
    if not plan_map(plan).neighbourhoods:
        raise NotFoundError(f"No neighbourhood boundaries are held for {plan.force_name}'s plan; "
                            "the map shows the policing units only.")
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


POSTCODE_COLUMNS = ("pcds", "pcd", "pcd7", "pcd8", "postcode")
LSOA_COLUMNS = ("lsoa11", "lsoa11cd", "lsoa21", "lsoa21cd", "lsoa_code")


@dataclass(frozen=True)
class PostcodeDirectory:
    """The postcodes of one force's LSOAs taken from an ONS postcode directory file."""

    path: str
    postcodes: dict[str, str]
    rows: int


def _columns(path: Path, header: list[str]) -> tuple[int, int]:
    lower = [h.strip().lower() for h in header]
    found = []
    for names, what in ((POSTCODE_COLUMNS, "postcode"), (LSOA_COLUMNS, "LSOA")):
        at = next((lower.index(n) for n in names if n in lower), None)
        if at is None:
            raise ParagonError(f"{path}:1: no {what} column in the postcode directory's header "
                               f"(expected one of {', '.join(names)})")
        found.append(at)
    return found[0], found[1]


def read_postcode_directory(path: Path, lsoas: frozenset[str]) -> PostcodeDirectory:
    """Postcode -> LSOA for the postcodes in ``lsoas`` from an ONS postcode directory CSV (ONSPD
    or NSPL; ``.csv.gz`` too). Columns taken: the postcode (``pcds``, ``pcd``, ``pcd7``,
    ``pcd8`` or ``postcode``) and the LSOA (``lsoa11``, ``lsoa11cd``, ``lsoa21``, ``lsoa21cd`` or
    ``lsoa_code``); others are ignored. A postcode without an LSOA is skipped."""
    if not path.is_file():
        raise ParagonError(f"{path}: the postcode directory file does not exist")
    opener = gzip.open if path.name.endswith(".gz") else open
    out: dict[str, str] = {}
    rows = 0
    with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ParagonError(f"{path}:1: the postcode directory is empty")
        pc_at, lsoa_at = _columns(path, header)
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) <= max(pc_at, lsoa_at):
                raise ParagonError(f"{path}:{line}: {len(row)} fields, but the header has "
                                   f"{len(header)}")
            rows += 1
            lsoa = row[lsoa_at].strip()
            if lsoa in lsoas:
                out[re.sub(r"\s+", "", row[pc_at]).upper()] = lsoa
    return PostcodeDirectory(str(path), out, rows)


def _directory(ctx: WebContext) -> PostcodeDirectory | None:
    """The configured postcode directory (PARAGON_POSTCODE_DIRECTORY) for the force's LSOAs."""
    path = ctx.settings.postcode_directory
    if path is None:
        return None
    lsoas = frozenset(area_index(ctx).lsoa_neighbourhood)
    return ctx.cached(("postcode_directory", str(path), path.stat().st_mtime if path.exists()
                       else None), lambda: read_postcode_directory(path, lsoas))


def postcode_hint(ctx: WebContext) -> str:
    """What the postcode box covers, in words."""
    if ctx.settings.postcode_directory is not None:
        return f"Any postcode in the {ctx.plan().force_name} area, for example B10 0AB."
    return "Birmingham (B) postcodes, for example B10 0AB."


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
    directory = _directory(ctx)
    lsoa = directory.postcodes.get(postcode) if directory is not None else None
    lsoa = lsoa or _postcodes().get(postcode)
    if lsoa is None and directory is not None:
        raise NotFoundError(
            f"We could not find {postcode[:-3]} {postcode[-3:]} in the {ctx.plan().force_name} "
            "area. It may be outside the area, or too new for the postcode directory; please "
            "search by place or street name, or use the map."
        )
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
