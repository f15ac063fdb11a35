"""Analyst pages for police.uk data beyond street crime, for any force loaded: stop and search, and
detections from outcomes files with the outcome lag."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from paragon.web.deps import Analyst, Ctx
from paragon.web.render import page
from paragon.web.routes.public import PAGE

router = APIRouter(tags=["analyst"])
ForceQuery = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z][a-z-]*$",
                                         description="police.uk force slug (blank: the plan's "
                                         "force if it has data, else the first that has)")]


@router.get("/stop-search", responses=PAGE,
            summary="Stop and search: by month, legislation, object, outcome and ethnicity")
def stop_search(request: Request, ctx: Ctx, user: Analyst, force: ForceQuery = None) -> Response:
    from paragon.web.data.policeuk import stop_search_page

    data = ctx.cached(("stop-search", force), lambda: stop_search_page(ctx, force))
    return page(request, "stop_search", data)


@router.get("/outcomes", responses=PAGE,
            summary="Detections from police.uk outcomes files and how late outcomes arrive")
def outcomes(request: Request, ctx: Ctx, user: Analyst, force: ForceQuery = None) -> Response:
    from paragon.web.data.policeuk import outcomes_page

    data = ctx.cached(("outcomes", force), lambda: outcomes_page(ctx, force))
    return page(request, "outcomes", data)
