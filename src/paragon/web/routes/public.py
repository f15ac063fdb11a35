"""Public pages (no sign-in): the force overview, the plan, open data and the methods page."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response

from paragon.errors import NotFoundError
from paragon.measures.periods import YEAR_RE
from paragon.web.data.areas import force_records
from paragon.web.data.local import crime_total, window_labels
from paragon.web.data.progress import plan_tables, progress
from paragon.web.deps import Ctx
from paragon.web.render import page

router = APIRouter(tags=["public"])
Responses = dict[int | str, dict[str, Any]]
PAGE: Responses = {200: {"content": {"text/html": {}, "application/json": {}},
              "description": "The page, as HTML or (with ?format=json) as JSON."}}
YearQuery = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$",
                                        description="Financial year, e.g. 2011-12")]


def _year(ctx: Ctx, year: str | None) -> str | None:
    if year is not None and (not YEAR_RE.match(year) or year not in ctx.plan().years()):
        raise NotFoundError(f"The plan has no milestones for the year '{year}'.")
    return year


@router.get("/", responses=PAGE, summary="Force overview: priorities and milestone progress")
def overview(request: Request, ctx: Ctx, year: YearQuery = None) -> Response:
    return page(request, "overview", overview_data(ctx, _year(ctx, year)))


def overview_data(ctx: Ctx, year: str | None) -> dict[str, Any]:
    """The overview's figures: the first page most visitors see (the server warms it first)."""
    plan = ctx.plan()
    data = dict(ctx.cached(("progress", year), lambda: progress(ctx, year)))
    data.update(
        plan_title=plan.title, force_name=plan.force_name, vision=plan.vision,
        window=window_labels(ctx),
        crime=crime_total(ctx, force_records(ctx)),
        tables=["priorities"],
    )
    return data


@router.get("/plan", responses=PAGE, summary="The strategic plan, browsable")
def plan_page(request: Request, ctx: Ctx, year: YearQuery = None) -> Response:
    plan = ctx.plan()
    data = progress(ctx, _year(ctx, year))
    rows = [r for p in data["priorities"] for r in p["milestones"]]
    data.update(
        plan_title=plan.title, force_name=plan.force_name, authority=plan.authority,
        vision=plan.vision, first_year=plan.first_year, last_year=plan.last_year,
        control_plans=[{"id": c.id, "title": c.title} for c in plan.control_plans],
        strategic_assessment=plan.strategic_assessment.model_dump(),
        lpus=[{"id": lpu.id, "name": lpu.name, "url": f"/areas/lpu/{lpu.id}"} for lpu in plan.lpus],
        footnotes=[{"id": f.id, "text": f.text} for f in plan.footnotes],
        milestone_tables=plan_tables(plan, rows),
        tables=["milestone_tables"],
    )
    data.pop("priorities_full", None)
    return page(request, "plan", data)


@router.get("/plan/{priority_id}", responses=PAGE, summary="One strategic priority")
def priority_page(request: Request, ctx: Ctx, priority_id: str,
                  year: YearQuery = None) -> Response:
    data = progress(ctx, _year(ctx, year))
    match = next((p for p in data["priorities"] if p["id"] == priority_id), None)
    if match is None:
        raise NotFoundError(f"The plan has no priority called '{priority_id[:60]}'.")
    return page(request, "priority", {
        "year": data["year"], "data_through": data["data_through"], "priority": match,
        "tables": ["priority.milestones"],
    })


@router.get("/data", responses=PAGE, summary="Open data downloads")
def open_data(request: Request, ctx: Ctx) -> Response:
    from paragon.web.data import opendata  # pyarrow's writers: when first asked for

    datasets = [
        {"id": d.id, "title": d.title, "description": d.description, "columns": list(d.columns),
         "downloads": {fmt: f"/data/{d.id}.{fmt}" for fmt in opendata.FORMATS}}
        for d in opendata.DATASETS
    ]
    return page(request, "opendata", {"datasets": datasets, "licence": LICENCE})


LICENCE = ("Open Government Licence v3.0. Contains public sector information. Where the site shows "
           "the synthetic demo, the figures are made up and must not be used as police data.")


@router.get("/data/{dataset_id}.{fmt}", summary="Download one open dataset",
            responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
                             "description": "The dataset as CSV or Parquet."}})
def download(ctx: Ctx, dataset_id: str, fmt: str) -> Response:
    from paragon.web.data import opendata

    path = opendata.export_file(ctx, dataset_id, fmt)
    return FileResponse(path, media_type=opendata.FORMATS[fmt],
                        filename=f"{dataset_id}.{fmt}")


def methods_markdown() -> str | None:
    """docs/methods.md from the source tree, when Paragon runs from a checkout."""
    here = Path(str(resources.files("paragon")))
    for candidate in (here.parents[1] / "docs" / "methods.md", Path.cwd() / "docs" / "methods.md"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return None


@router.get("/methods", responses=PAGE, summary="How the figures are made")
def methods(request: Request) -> Response:
    from markdown_it import MarkdownIt

    text = methods_markdown()
    body = (captioned(MarkdownIt("commonmark", {"html": False}).enable("table").render(text))
            if text else None)
    return page(request, "methods", {"markdown": text, "html": body})


def captioned(html: str) -> str:
    """Give every table a caption (the heading above it) and a scrollable wrapper."""
    out, heading, last = [], "Table", 0
    for match in re.finditer(r"<h[1-6][^>]*>(.*?)</h[1-6]>|<table>|</table>", html, re.S):
        out.append(html[last:match.start()])
        token = match.group(0)
        if token.startswith("<h"):
            heading = re.sub(r"<[^>]+>", "", match.group(1)).strip() or heading
            out.append(token)
        elif token == "<table>":
            out.append(f'<div class="table-wrap" role="region" tabindex="0" '
                       f'aria-label="{heading}"><table><caption>{heading}</caption>')
        else:
            out.append("</table></div>")
        last = match.end()
    out.append(html[last:])
    return "".join(out)
