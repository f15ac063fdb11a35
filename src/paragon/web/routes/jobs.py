"""Admin data jobs: fetch the next police.uk month, or upload files to ingest; each runs in the
background (:mod:`paragon.jobs`) with its progress, log and quarantine result on its page. The site
moves to the new data when the job publishes it."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from paragon import jobs
from paragon.errors import NotFoundError, ParagonError
from paragon.web.deps import Admin, Ctx
from paragon.web.render import page, wants_json
from paragon.web.routes.public import PAGE, Responses
from paragon.web.security import audit, verify_csrf

router = APIRouter(prefix="/admin/jobs", tags=["admin"], dependencies=[Depends(verify_csrf)])
STARTED: Responses = {303: {"description": "Started: to the job's page"}}
JobId = Annotated[int, Path(ge=1, le=2**62)]
UPLOAD_LIMIT = 200 * 1024 * 1024  # bytes of one upload request (the security middleware's cap)
UPLOAD_SUFFIXES = (".csv", ".csv.gz", ".zip")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
REFRESH_SECONDS = 2  # how often a queued or running job's page updates itself


def _latest_policeuk_month(ctx: Ctx) -> date | None:
    value = ctx.warehouse.scalar("SELECT max(month) FROM crimes WHERE source = 'policeuk' "
                                 "AND force = ?", [ctx.plan().force])
    return None if value is None else date(value.year, value.month, 1)


def _jobs_page(request: Request, ctx: Ctx, error: str | None = None,
               status: int = 200) -> Response:
    latest = _latest_policeuk_month(ctx)
    try:
        next_month: str | None = f"{jobs.next_policeuk_month(latest):%Y-%m}"
    except ParagonError:
        next_month = None
    return page(request, "admin_jobs", {
        "jobs": jobs.recent(ctx.ops), "job": None, "force": ctx.plan().force,
        "latest_policeuk": None if latest is None else f"{latest:%Y-%m}",
        "next_month": next_month, "error": error, "tables": ["jobs"]}, status=status)


def _started(request: Request, job_id: int) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": True, "job_id": job_id, "url": f"/admin/jobs/{job_id}"})
    return RedirectResponse(f"/admin/jobs/{job_id}", status_code=303)


@router.get("", responses=PAGE, summary="Data jobs: fetch the next month or upload files")
def list_jobs(request: Request, ctx: Ctx, user: Admin) -> Response:
    return _jobs_page(request, ctx)


@router.get("/{job_id}", responses=PAGE, summary="One data job: progress, log and result")
def job_page(request: Request, ctx: Ctx, user: Admin, job_id: JobId) -> Response:
    job = jobs.get(ctx.ops, job_id)
    if job is None:
        raise NotFoundError(f"There is no job {job_id}.")
    published = ctx.warehouse.version
    return page(request, "admin_jobs", {"jobs": [], "job": job, "published_version": published,
                                        "error": None, "refresh_seconds": REFRESH_SECONDS})


@router.post("/fetch", responses=STARTED, summary="Fetch and ingest the next police.uk month")
def start_fetch(request: Request, ctx: Ctx, user: Admin) -> Response:
    try:
        month = jobs.next_policeuk_month(_latest_policeuk_month(ctx))
    except ParagonError as exc:
        if wants_json(request):
            raise
        return _jobs_page(request, ctx, exc.message, 400)
    force = ctx.plan().force
    job_id = jobs.create(ctx.ops, "fetch", user.name, {"force": force, "month": f"{month:%Y-%m}"})
    jobs.start(ctx.settings, job_id)
    audit(request, "job started", str(job_id), f"fetch {force} {month:%Y-%m}")
    return _started(request, job_id)


@router.post("/upload", responses=STARTED, summary="Upload police.uk or force files to ingest")
async def start_upload(request: Request, ctx: Ctx, user: Admin,
                       files: Annotated[list[UploadFile], File(description="CSV, CSV.GZ or ZIP")]
                       ) -> Response:
    names: list[str] = []
    for upload in files:
        name = SAFE_NAME.sub("_", (upload.filename or "").rsplit("/", 1)[-1])[-120:]
        if not name.lower().endswith(UPLOAD_SUFFIXES) or name.startswith("."):
            message = (f"{name or 'a file'}: only {', '.join(UPLOAD_SUFFIXES)} files can be "
                       f"ingested")
            if wants_json(request):
                raise ParagonError(message)
            return _jobs_page(request, ctx, message, 400)
        names.append(name)
    if not names:
        return _jobs_page(request, ctx, "Choose at least one file.", 400)
    job_id = jobs.create(ctx.ops, "upload", user.name, {"files": names})
    folder = jobs.uploads_folder(ctx.settings, job_id)
    folder.mkdir(parents=True, exist_ok=True)
    for upload, name in zip(files, names, strict=True):
        with open(folder / name, "wb") as out:
            while chunk := await upload.read(1024 * 1024):
                out.write(chunk)
    jobs.start(ctx.settings, job_id)
    audit(request, "job started", str(job_id), "upload " + ", ".join(names)[:500])
    return _started(request, job_id)

