"""Public area pages: find your area (by name, postcode or map), and a page per LPU and per
neighbourhood with crime, anti-social behaviour, outcomes and local priorities."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from paragon.errors import ParagonError
from paragon.web.data import charts, places
from paragon.web.data.areas import Area, area_index, search_areas
from paragon.web.data.local import (
    asb_change,
    crime_summary,
    local_priorities,
    lsoa_counts,
    monthly_counts,
    neighbourhood_counts,
    outcomes,
    window_labels,
)
from paragon.web.deps import Ctx
from paragon.web.render import html, page, wants_json
from paragon.web.routes.public import PAGE, Responses

router = APIRouter(tags=["public"])
GEOJSON: Responses = {200: {"content": {"application/geo+json": {}},
                              "description": "GeoJSON shapes."}}


@router.get("/areas", responses=PAGE, summary="Find your area")
def find_area(request: Request, ctx: Ctx) -> Response:
    index = area_index(ctx)
    lpus = [{**a.summary(), "neighbourhoods": [index.neighbourhoods[c].summary()
                                                for c in a.children]}
            for a in index.lpus.values()]
    return page(request, "areas", {"lpus": lpus, "map": _map(ctx),
                                   "postcode_hint": places.postcode_hint(ctx)})


@router.get("/areas/search", responses=PAGE, summary="Search areas by name")
def search(request: Request, ctx: Ctx,
           q: Annotated[str, Query(max_length=100, description="Place name")] = "") -> Response:
    results = search_areas(ctx, q)
    data = {"query": q, "results": results, "tables": ["results"],
            "postcode_hint": places.postcode_hint(ctx)}
    if request.headers.get("hx-request") and not wants_json(request):
        return html(request, "partials/search_results.html", {"page": data})
    return page(request, "search", data)


@router.get("/areas/postcode", responses={**PAGE, 303: {"description": "To the area page."}},
            summary="Find the neighbourhood of a postcode")
def by_postcode(request: Request, ctx: Ctx,
                postcode: Annotated[str, Query(max_length=40)] = "") -> Response:
    try:
        area = places.postcode_area(ctx, postcode)
    except ParagonError as exc:
        if wants_json(request):
            raise
        return page(request, "search", {"query": "", "postcode": postcode, "results": [],
                                        "postcode_error": exc.message,
                                        "postcode_hint": places.postcode_hint(ctx)},
                    status=exc.status)
    if wants_json(request):
        return JSONResponse({"ok": True, "postcode": places.normalise_postcode(postcode),
                             "area": area.summary()})
    return RedirectResponse(area.url, status_code=303)


def _area_data(ctx: Ctx, area: Area) -> dict[str, Any]:
    """The area page's figures, cached until the data or a local priority changes."""
    return ctx.cached(("area_page", area.kind, area.id), lambda: _compute_area_data(ctx, area))


def _compute_area_data(ctx: Ctx, area: Area) -> dict[str, Any]:
    win = window_labels(ctx)
    crime = crime_summary(ctx, area)
    categories = crime["categories"]
    trend = monthly_counts(ctx, area)
    data: dict[str, Any] = {
        "area": area.summary(),
        "window": win,
        "crime_total": crime["total"],
        "crime_by_category": categories,
        "anti_social_behaviour": asb_change(ctx, area),
        "outcomes": outcomes(ctx, area),
        "monthly": trend,
        "local_priorities": local_priorities(ctx, area),
        "tables": ["crime_by_category", "outcomes", "monthly", "local_priorities"],
    }
    if win and categories:
        data["charts"] = {"categories": charts.comparison_bars(categories, "Last 12 months",
                                                               "12 months before"),
                          "monthly": charts.monthly_lines(trend)}
    return data


@router.get("/areas/lpu/{lpu_id}", responses=PAGE, summary="A local policing unit")
def lpu_page(request: Request, ctx: Ctx, lpu_id: str) -> Response:
    index = area_index(ctx)
    area = index.lpu(lpu_id)
    data = dict(_area_data(ctx, area))
    data["neighbourhoods"] = [index.neighbourhoods[c].summary() for c in area.children]
    data["map"] = {**_map(ctx, area.id), "focus": area.id}
    return page(request, "area", data)


@router.get("/areas/neighbourhood/{code}", responses=PAGE, summary="A neighbourhood")
def neighbourhood_page(request: Request, ctx: Ctx, code: str) -> Response:
    index = area_index(ctx)
    area = index.neighbourhood(code)
    data = dict(_area_data(ctx, area))
    counts = ctx.cached(("lsoa_counts", area.id), lambda: lsoa_counts(ctx, area))
    data["lsoas"] = [{"lsoa_code": c, "name": index.lsoa_names.get(c, c),
                      "crimes_last_12_months": counts.get(c, 0)} for c in area.lsoas]
    data["tables"] = [*data["tables"], "lsoas"]
    data["map"] = {**_map(ctx, area.lpu_id), "focus": area.lpu_id, "highlight": area.id,
                   "points": f"/map/lsoas.geojson?neighbourhood={area.id}"}
    return page(request, "area", data)


def _map(ctx: Ctx, lpu_id: str | None = None) -> dict[str, Any]:
    """What the page's map draws for the active plan: the LPU shapes' address, the neighbourhood
    shapes' (when held for the plan), or a note saying why there is no map."""
    plan = ctx.plan()
    found = places.plan_map(plan)
    if found.lpus is None:
        return {"note": f"No map can be drawn for {plan.force_name}'s policing units: "
                        f"{found.reason} Use the list of areas on this page instead."}
    out: dict[str, Any] = {"lpus": "/map/lpus.geojson"}
    if lpu_id is not None and found.neighbourhoods:
        out["neighbourhoods"] = f"/map/neighbourhoods.geojson?lpu={lpu_id}"
    elif lpu_id is not None:
        out["note"] = ("Neighbourhood boundaries are not held for this plan, so the map shows the "
                       "policing units only.")
    return out


def _geojson(data: dict[str, Any] | bytes) -> Response:
    """A map layer. It sets no Cache-Control of its own: like a public page it is tagged by data
    version (so a browser or proxy never keeps counts of an older version) and, for visitors not
    signed in, sent again from the worker's page memo without being computed."""
    if isinstance(data, bytes):  # serialised once per data version
        return Response(data, media_type="application/geo+json")
    return JSONResponse(data, media_type="application/geo+json")


@router.get("/map/lpus.geojson", responses=GEOJSON, summary="LPU boundaries with crime counts")
def lpu_geojson(ctx: Ctx) -> Response:
    index = area_index(ctx)

    def compute() -> dict[str, Any]:
        counts = {a.id: sum(r["last_12_months"] for r in crime_summary(ctx, a)["categories"])
                  for a in index.lpus.values()}
        pops = {a.id: a.population for a in index.lpus.values()}
        return places.with_counts(shapes, counts, pops)

    plan = ctx.plan()
    shapes = places.lpu_shapes(plan)
    key = places.plan_key(plan)
    return _geojson(ctx.cached(("lpu_geojson_bytes", key), lambda: bytes(JSONResponse(
        ctx.cached(("lpu_geojson", key), compute)).body)))


@router.get("/map/neighbourhoods.geojson", responses=GEOJSON,
            summary="Neighbourhood boundaries of one LPU with crime counts")
def neighbourhood_geojson(ctx: Ctx, lpu: Annotated[str, Query(max_length=60)]) -> Response:
    index = area_index(ctx)
    area = index.lpu(lpu)

    def compute() -> dict[str, Any]:
        counts = neighbourhood_counts(ctx, area)
        pops = {c: index.neighbourhoods[c].population for c in area.children}
        return places.with_counts(shapes, counts, pops)

    plan = ctx.plan()
    shapes = places.neighbourhood_shapes(plan, area.id)
    return _geojson(ctx.cached(("hood_geojson", area.id, places.plan_key(plan)), compute))


@router.get("/map/lsoas.geojson", responses=GEOJSON,
            summary="Crimes per LSOA of a neighbourhood, at LSOA centroids")
def lsoa_geojson(ctx: Ctx, neighbourhood: Annotated[str, Query(max_length=20)]) -> Response:
    area = area_index(ctx).neighbourhood(neighbourhood)
    counts = ctx.cached(("lsoa_counts", area.id), lambda: lsoa_counts(ctx, area))
    return _geojson(places.lsoa_points(ctx, area, counts))
