"""Analyst pages (sign-in: analyst or admin): the dashboard, a page per measure, data quality."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from paragon.errors import NotFoundError
from paragon.web.deps import Analyst, Ctx
from paragon.web.render import page
from paragon.web.routes.public import PAGE, YearQuery

router = APIRouter(tags=["analyst"])
LpuQuery = Annotated[str | None, Query(max_length=60, description="LPU id (blank: the force)")]


def _lpu(ctx: Ctx, lpu: str | None) -> str | None:
    if not lpu:
        return None
    ctx.plan().lpu(lpu)
    return lpu


def _year(ctx: Ctx, year: str | None) -> str:
    from paragon.web.data.adapters import display_year

    plan = ctx.plan()
    if year is None:
        return display_year(ctx, plan)
    if year not in plan.years():
        raise NotFoundError(f"The plan has no milestones for the year '{year}'.")
    return year


@router.get("/dashboard", responses=PAGE, summary="All milestones with status and assurance")
def dashboard(request: Request, ctx: Ctx, user: Analyst, lpu: LpuQuery = None,
              year: YearQuery = None) -> Response:
    from paragon.web.data.adapters import breaks_version, milestone_years
    from paragon.web.data.analysis import dashboard_rows

    plan = ctx.plan()
    the_year, the_lpu = _year(ctx, year), _lpu(ctx, lpu)
    rows = ctx.cached(("dashboard", the_year, the_lpu, breaks_version(ctx)),
                      lambda: dashboard_rows(ctx, the_year, the_lpu))
    return page(request, "dashboard", {
        "filters": {"lpu": the_lpu, "year": the_year},
        "years": milestone_years(plan), "lpus": [{"id": x.id, "name": x.name} for x in plan.lpus],
        "milestones": rows, "tables": ["milestones"],
    })


@router.get("/measures/{measure_id}", responses=PAGE,
            summary="One measure: control chart, LPU funnel plot and the tables behind them")
def measure(request: Request, ctx: Ctx, user: Analyst, measure_id: str, lpu: LpuQuery = None,
            start: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}$",
                                               description="First month, YYYY-MM")] = None,
            end: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}$",
                                             description="Last month, YYYY-MM")] = None,
            base_from: Annotated[str | None, Query(
                alias="baseline_from", pattern=r"^(\d{4}-\d{2})?$",
                description="First month of the baseline that sets the limits, YYYY-MM")] = None,
            base_to: Annotated[str | None, Query(
                alias="baseline_to", pattern=r"^(\d{4}-\d{2})?$",
                description="Last month of the baseline, YYYY-MM")] = None,
            ) -> Response:
    from paragon.web.data.analysis import measure_page, measure_window, parse_baseline

    ctx.plan().measure(measure_id)
    the_lpu = _lpu(ctx, lpu)
    first, stop = measure_window(ctx, measure_id, start, end)
    baseline = parse_baseline(base_from, base_to)
    return page(request, "measure", measure_page(ctx, measure_id, the_lpu, first, stop, baseline))


@router.get("/quality", responses=PAGE, summary="Data quality: ingests and quarantined rows")
def data_quality(request: Request, ctx: Ctx, user: Analyst,
                 ingest: Annotated[int | None, Query(ge=0, le=2**62)] = None,
                 reason: Annotated[str | None, Query(max_length=300)] = None) -> Response:
    from paragon.web.data.analysis import quality

    return page(request, "quality", quality(ctx, ingest, reason or None))
