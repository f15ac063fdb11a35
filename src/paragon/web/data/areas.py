"""Areas the public can look up: the force, its LPUs and their neighbourhoods (MSOAs).

The geography comes from the warehouse's ``geography`` table (loaded by ``paragon.geography``), or
when the warehouse has none for the plan's force, from the bundled LSOA table with the active plan's
LPUs (``geography.lpus.plan_lsoas``): any force of England and Wales.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from paragon.errors import NotFoundError
from paragon.web.context import WebContext

AreaKind = Literal["force", "lpu", "neighbourhood"]


@dataclass(frozen=True)
class Area:
    kind: AreaKind
    id: str
    name: str
    population: int
    lpu_id: str | None = None
    lpu_name: str | None = None
    local_authority: str | None = None
    lsoas: tuple[str, ...] = ()
    children: tuple[str, ...] = field(default=())

    def where(self) -> tuple[str, list[Any]]:
        """SQL condition selecting this area's records (crimes, ASB incidents)."""
        if self.kind == "lpu":  # by LSOA through the plan; rows without an LSOA by stored LPU
            return ("(lsoa_code IN (SELECT unnest(?)) OR (lsoa_code IS NULL AND lpu_id = ?))",
                    [list(self.lsoas), self.id])
        if self.kind == "neighbourhood":
            return "neighbourhood_id = ?", [self.id]
        return "TRUE", []

    def summary(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "population": self.population,
                "lpu_id": self.lpu_id, "lpu_name": self.lpu_name,
                "local_authority": self.local_authority, "url": self.url}

    @property
    def url(self) -> str:
        if self.kind == "lpu":
            return f"/areas/lpu/{self.id}"
        if self.kind == "neighbourhood":
            return f"/areas/neighbourhood/{self.id}"
        return "/"


@dataclass(frozen=True)
class AreaIndex:
    force: Area
    lpus: dict[str, Area]
    neighbourhoods: dict[str, Area]
    lsoa_names: dict[str, str]
    lsoa_neighbourhood: dict[str, str]

    def lpu(self, lpu_id: str) -> Area:
        if lpu_id not in self.lpus:
            raise NotFoundError(f"There is no policing unit called '{lpu_id[:60]}'.")
        return self.lpus[lpu_id]

    def neighbourhood(self, code: str) -> Area:
        if code not in self.neighbourhoods:
            raise NotFoundError(f"There is no neighbourhood with the code '{code[:60]}'.")
        return self.neighbourhoods[code]


def _geography_rows(ctx: WebContext) -> list[dict[str, Any]]:
    rows = ctx.warehouse.query(
        "SELECT lsoa_code, lsoa_name, neighbourhood_id, neighbourhood_name, la_name, lpu_id, "
        "coalesce(population, 0) AS population FROM geography WHERE force = ?",
        [ctx.plan().force],
    )
    if rows:
        return rows
    from paragon.geography.lpus import plan_lsoas  # pyarrow and pyproj: only without a table

    return [
        {"lsoa_code": x.lsoa_code, "lsoa_name": x.lsoa_name, "neighbourhood_id": x.neighbourhood_id,
         "neighbourhood_name": x.neighbourhood_name, "la_name": x.la_name, "lpu_id": x.lpu_id,
         "population": x.population}
        for x in plan_lsoas(ctx.plan())
    ]


def _build_index(ctx: WebContext) -> AreaIndex:
    plan = ctx.plan()
    rows = _geography_rows(ctx)
    lpu_names = {lpu.id: lpu.name for lpu in plan.lpus}
    hood_rows: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        hood_rows.setdefault(r["neighbourhood_id"], []).append(r)
    hoods: dict[str, Area] = {}
    for code, members in sorted(hood_rows.items(), key=lambda kv: kv[1][0]["neighbourhood_name"]):
        first = members[0]
        hoods[code] = Area(
            "neighbourhood", code, first["neighbourhood_name"],
            sum(int(m["population"]) for m in members), first["lpu_id"],
            lpu_names.get(first["lpu_id"], first["lpu_id"]), first["la_name"],
            tuple(sorted(m["lsoa_code"] for m in members)),
        )
    lpus: dict[str, Area] = {}
    for lpu in plan.lpus:
        children = tuple(h.id for h in hoods.values() if h.lpu_id == lpu.id)
        lsoas = tuple(sorted(r["lsoa_code"] for r in rows if r["lpu_id"] == lpu.id))
        lpus[lpu.id] = Area("lpu", lpu.id, lpu.name,
                            sum(hoods[c].population for c in children), lpu.id, lpu.name,
                            lpu.local_authority, lsoas, children=children)
    force = Area("force", plan.force, plan.force_name, sum(a.population for a in lpus.values()),
                 children=tuple(lpus))
    return AreaIndex(force, lpus, hoods,
                     {r["lsoa_code"]: r["lsoa_name"] for r in rows},
                     {r["lsoa_code"]: r["neighbourhood_id"] for r in rows})


def area_index(ctx: WebContext) -> AreaIndex:
    return ctx.cached(("area_index",), lambda: _build_index(ctx))


def force_records(ctx: WebContext) -> Area:
    """The force as the figures select its records (every record of the force), from the plan
    alone: what the overview's crime total needs, without reading the geography. Its population
    is not known here (0); ``area_index(ctx).force`` has it."""
    plan = ctx.plan()
    return Area("force", plan.force, plan.force_name, 0,
                children=tuple(lpu.id for lpu in plan.lpus))


STREET_PREFIX = "on or near "


def search_areas(ctx: WebContext, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Areas whose names (area, local authority, neighbourhood, LSOAs) contain every word typed,
    any case; then streets (police.uk's "On or near ..." locations of the crimes loaded) that do,
    each leading to the neighbourhood it is in."""
    words = [w for w in query.lower().split() if w][:6]
    if not words:
        return []
    index = area_index(ctx)
    named: list[dict[str, Any]] = []  # the area's own name has every word: listed first
    found: list[dict[str, Any]] = []
    for area in [*index.lpus.values(), *index.neighbourhoods.values()]:
        if all(w in area.name.lower() for w in words):
            named.append(area.summary())
            continue
        names = [area.local_authority or "", area.lpu_name or ""]
        names += [index.lsoa_names.get(code, "") for code in area.lsoas]
        names += [*area.lsoas, area.id]
        text = " ".join([area.name, *names]).lower()
        if all(w in text for w in words):
            found.append(area.summary())
    found = [*named, *found][:limit]
    return found + search_streets(ctx, words, limit - len(found))


def _streets(ctx: WebContext) -> list[tuple[str, str, str, int]]:
    """Every street of the crimes loaded for the force: (lower-case name, name, neighbourhood,
    crimes), commonest first. A street in several neighbourhoods is listed once for each."""
    def compute() -> list[tuple[str, str, str, int]]:
        index = area_index(ctx)
        rows = ctx.warehouse.query(
            "SELECT location, lsoa_code, count(*) AS n FROM crimes WHERE force = ? AND "
            "location IS NOT NULL AND lsoa_code IS NOT NULL GROUP BY 1, 2",
            [ctx.plan().force])
        counts: dict[tuple[str, str], int] = {}
        for r in rows:
            hood = index.lsoa_neighbourhood.get(r["lsoa_code"])
            name = str(r["location"]).strip()
            if name.lower().startswith(STREET_PREFIX):
                name = name[len(STREET_PREFIX):].strip()
            if hood is None or not name:
                continue
            counts[(name, hood)] = counts.get((name, hood), 0) + int(r["n"])
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(name.lower(), name, hood, n) for (name, hood), n in ordered]

    return ctx.cached(("streets",), compute)


def search_streets(ctx: WebContext, words: list[str], limit: int = 10) -> list[dict[str, Any]]:
    """Streets whose name contains every word, with the neighbourhood each is in."""
    if limit <= 0:
        return []
    index = area_index(ctx)
    found: list[dict[str, Any]] = []
    for low, name, hood, _ in _streets(ctx):
        if all(w in low for w in words):
            area = index.neighbourhoods[hood]
            found.append({**area.summary(), "kind": "street", "street": name,
                          "neighbourhood_name": area.name})
            if len(found) >= limit:
                break
    return found
