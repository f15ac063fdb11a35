"""The tasking page (sign-in: analyst or admin): next month's predicted hotspots per LPU, the patrol
list and the backtest scorecard of the method in use."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from paragon.web.deps import Analyst, Ctx
from paragon.web.render import page
from paragon.web.routes.public import PAGE

router = APIRouter(tags=["analyst"])


@router.get("/tasking", responses=PAGE,
            summary="Predicted hotspots per LPU, patrol list and the backtest scorecard")
def tasking(request: Request, ctx: Ctx, user: Analyst,
            category: Annotated[str | None, Query(
                max_length=80, description="police.uk crime category (default: Burglary)")] = None,
            ) -> Response:
    from paragon.web.data.tasking import tasking_page  # shapely, the methods: when first asked

    return page(request, "tasking", tasking_page(ctx, category or None))
