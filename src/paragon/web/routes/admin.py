"""Admin pages (sign-in: admin): users and roles, local priorities, the plan, the audit log.

Every change is a POST carrying a CSRF token, is recorded in the audit log, and answers with a
redirect back to its page (HTML) or ``{"ok": true, ...}`` (JSON). A refused change shows its reason
on the page it came from.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from paragon.errors import ParagonError
from paragon.web import auth
from paragon.web.data import admin
from paragon.web.data import breaks as break_admin
from paragon.web.data.areas import area_index
from paragon.web.deps import Admin, Ctx
from paragon.web.render import page, wants_json
from paragon.web.routes.public import PAGE, Responses
from paragon.web.security import audit, verify_csrf

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(verify_csrf)])
DONE: Responses = {303: {"description": "Done: back to the page"}}
Done = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z-]+$")]
Item = Annotated[str | None, Query(max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Text = Annotated[str, Form(max_length=admin.MAX_TEXT)]
PriorityId = Annotated[int, Path(ge=1, le=2**62)]
# What ?done= can show: only these messages, with an item that is a user name or a number.
DONE_MESSAGES = {
    "user-added": "Added {item}.", "user-updated": "Updated {item}.",
    "priority-opened": "Opened priority {item}.", "priority-updated": "Updated priority {item}.",
    "priority-closed": "Closed priority {item}.", "plan-active": "Plan {item} is now active.",
    "plan-reverted": "Using the configured plan again.",
    "break-added": "Recorded break {item}.", "break-removed": "Removed break {item}.",
}


def done_message(done: str | None, item: str | None) -> str | None:
    """The message of a known ``done`` key (anything else shows nothing)."""
    template = DONE_MESSAGES.get(done or "")
    if template is None:
        return None
    return template.format(item=item or "")


def _done(request: Request, where: str, key: str, item: str | int | None = None,
          **extra: Any) -> Response:
    message = done_message(key, None if item is None else str(item))
    if wants_json(request):
        return JSONResponse({"ok": True, "message": message, **extra})
    from urllib.parse import urlencode

    query = {"done": key, **({"item": str(item)} if item is not None else {})}
    return RedirectResponse(f"{where}?{urlencode(query)}", status_code=303)


@router.get("", responses=PAGE, summary="Administration")
def home(request: Request, user: Admin) -> Response:
    return page(request, "admin_home", {"sections": [
        {"url": "/admin/priorities", "title": "Local priorities"},
        {"url": "/admin/users", "title": "Users and roles"},
        {"url": "/admin/plan", "title": "The plan"},
        {"url": "/admin/jobs", "title": "Data jobs: fetch the next month, upload files"},
        {"url": "/admin/breaks", "title": "Breaks in recording practice"},
        {"url": "/admin/audit", "title": "Audit log"},
    ]})


# --- users ---------------------------------------------------------------------------------------
def _users_page(request: Request, ctx: Ctx, done: str | None, error: str | None = None,
                status: int = 200) -> Response:
    return page(request, "admin_users", {"users": auth.list_users(ctx.ops),
                                         "roles": list(auth.ROLES), "done": done,
                                         "error": error, "tables": ["users"]}, status=status)


@router.get("/users", responses=PAGE, summary="Users and roles")
def users(request: Request, ctx: Ctx, user: Admin, done: Done = None,
          item: Item = None) -> Response:
    return _users_page(request, ctx, done_message(done, item))


@router.post("/users", responses=DONE, summary="Add a user")
def add_user(request: Request, ctx: Ctx, user: Admin,
             user_name: Annotated[str, Form(max_length=40)],
             role: Annotated[str, Form(max_length=20)],
             password: Annotated[str, Form(max_length=200)]) -> Response:
    try:
        added = auth.add_user(ctx.ops, user_name.strip().lower(), role, password)
    except ParagonError as exc:
        if wants_json(request):
            raise
        return _users_page(request, ctx, None, exc.message, exc.status)
    audit(request, "user added", added.name, f"role {added.role}")
    return _done(request, "/admin/users", "user-added", added.name)


@router.post("/users/{name}", responses=DONE, summary="Change a user's role, access or password")
def change_user(request: Request, ctx: Ctx, user: Admin,
                name: Annotated[str, Path(max_length=40)],
                role: Annotated[str | None, Form(max_length=20)] = None,
                active: Annotated[bool | None, Form()] = None,
                password: Annotated[str | None, Form(max_length=200)] = None) -> Response:
    if name == user.name and (active is False or (role and role != "admin")):
        raise ParagonError("You cannot remove your own admin access.")
    auth.update_user(ctx.ops, name, role=role or None, active=active,
                     password=password or None)
    changes = ", ".join(k for k, v in (("role", role), ("access", active),
                                       ("password", password)) if v not in (None, ""))
    audit(request, "user changed", name, changes)
    return _done(request, "/admin/users", "user-updated", name)


# --- local priorities --------------------------------------------------------------------------
def _priorities_page(request: Request, ctx: Ctx, done: str | None, error: str | None = None,
                     status: int = 200) -> Response:
    index = area_index(ctx)
    areas = [{"value": f"lpu:{a.id}", "name": a.name} for a in index.lpus.values()]
    areas += [{"value": f"neighbourhood:{a.id}", "name": f"{a.name} ({a.lpu_name})"}
              for a in index.neighbourhoods.values()]
    return page(request, "admin_priorities", {
        "priorities": admin.list_priorities(ctx), "areas": areas, "done": done, "error": error,
        "today": date.today().isoformat(), "tables": ["priorities"]}, status=status)


@router.get("/priorities", responses=PAGE, summary="Local priorities")
def priorities(request: Request, ctx: Ctx, user: Admin, done: Done = None,
               item: Item = None) -> Response:
    return _priorities_page(request, ctx, done_message(done, item))


@router.post("/priorities", responses=DONE, summary="Open a local priority")
def create_priority(request: Request, ctx: Ctx, user: Admin,
                    area: Annotated[str, Form(max_length=80, description="lpu:ID or "
                                                                          "neighbourhood:CODE")],
                    issue: Text, action: Text,
                    opened_on: Annotated[date | None, Form()] = None) -> Response:
    area_type, _, area_id = area.partition(":")
    try:
        new_id = admin.create_priority(ctx, user.name, area_type, area_id, issue, action,
                                       opened_on)
    except ParagonError as exc:
        if wants_json(request):
            raise
        return _priorities_page(request, ctx, None, exc.message, exc.status)
    audit(request, "priority opened", str(new_id), f"{area}: {issue}")
    return _done(request, "/admin/priorities", "priority-opened", new_id, priority_id=new_id)


@router.post("/priorities/{priority_id}", responses=DONE, summary="Edit a local priority")
def update_priority(request: Request, ctx: Ctx, user: Admin, priority_id: PriorityId,
                    issue: Text, action: Text) -> Response:
    admin.update_priority(ctx, user.name, priority_id, issue, action)
    audit(request, "priority updated", str(priority_id), issue)
    return _done(request, "/admin/priorities", "priority-updated", priority_id)


@router.post("/priorities/{priority_id}/close", responses=DONE,
             summary="Close a local priority with its result")
def close_priority(request: Request, ctx: Ctx, user: Admin, priority_id: PriorityId,
                   result: Text, closed_on: Annotated[date | None, Form()] = None) -> Response:
    try:
        admin.close_priority(ctx, user.name, priority_id, result, closed_on)
    except ParagonError as exc:
        if wants_json(request):
            raise
        return _priorities_page(request, ctx, None, exc.message, exc.status)
    audit(request, "priority closed", str(priority_id), result)
    return _done(request, "/admin/priorities", "priority-closed", priority_id)


# --- breaks in recording practice (control charts rebase there) ---------------------------------
def _breaks_page(request: Request, ctx: Ctx, done: str | None, error: str | None = None,
                 status: int = 200) -> Response:
    return page(request, "admin_breaks", {**break_admin.breaks_page(ctx), "done": done,
                                          "error": error}, status=status)


@router.get("/breaks", responses=PAGE, summary="Breaks in recording practice")
def breaks(request: Request, ctx: Ctx, user: Admin, done: Done = None,
           item: Item = None) -> Response:
    return _breaks_page(request, ctx, done_message(done, item))


@router.post("/breaks", responses=DONE, summary="Record a break: charts rebase at its month")
def add_break(request: Request, ctx: Ctx, user: Admin,
              month: Annotated[str, Form(max_length=7, description="YYYY-MM")],
              reason: Annotated[str, Form(max_length=break_admin.MAX_REASON)],
              measure: Annotated[str, Form(max_length=80,
                                           description="A measure id; blank: every measure")]
              = "") -> Response:
    try:
        new_id = break_admin.add(ctx, user.name, month, reason, measure or None)
    except ParagonError as exc:
        if wants_json(request):
            raise
        return _breaks_page(request, ctx, None, exc.message, exc.status)
    audit(request, "break added", str(new_id), f"{month} {measure or 'every measure'}: {reason}")
    return _done(request, "/admin/breaks", "break-added", new_id, break_id=new_id)


@router.post("/breaks/{break_id}/remove", responses=DONE, summary="Remove a recorded break")
def remove_break(request: Request, ctx: Ctx, user: Admin,
                 break_id: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
    gone = break_admin.remove(ctx, break_id)
    audit(request, "break removed", str(break_id),
          f"{gone['month']} {gone['measure'] or 'every measure'}: {gone['reason']}")
    return _done(request, "/admin/breaks", "break-removed", break_id)


# --- the plan ------------------------------------------------------------------------------------
def _plan_page(request: Request, ctx: Ctx, done: str | None, errors: list[str] | None = None,
               status: int = 200) -> Response:
    plan = ctx.plan()
    return page(request, "admin_plan", {
        "active": {"id": plan.id, "title": plan.title, "measures": len(plan.measures),
                   "milestone_rows": len(plan.milestones)},
        "versions": admin.plan_versions(ctx), "done": done, "errors": errors or [],
        "tables": ["versions"]}, status=status)


@router.get("/plan", responses=PAGE, summary="The active plan and uploads")
def plan(request: Request, ctx: Ctx, user: Admin, done: Done = None,
         item: Item = None) -> Response:
    return _plan_page(request, ctx, done_message(done, item))


@router.post("/plan", responses={**DONE, 422: {"description": "The plan does not validate"}},
             summary="Upload a plan (YAML); it is validated before it is used")
async def upload_plan(request: Request, ctx: Ctx, user: Admin,
                      plan_file: Annotated[UploadFile, File()]) -> Response:
    data = await plan_file.read(admin.MAX_PLAN_BYTES + 1)
    name = plan_file.filename or "uploaded-plan.yaml"
    try:
        summary = admin.upload_plan(ctx, user.name, name, data)
    except ParagonError as exc:
        audit(request, "plan rejected", name, exc.message[:500])
        if wants_json(request):
            raise
        return _plan_page(request, ctx, None, exc.message.splitlines(), exc.status)
    audit(request, "plan uploaded", summary["id"], name)
    return _done(request, "/admin/plan", "plan-active", summary["id"], plan=summary)


@router.post("/plan/revert", responses=DONE, summary="Go back to the configured plan")
def revert_plan(request: Request, ctx: Ctx, user: Admin) -> Response:
    admin.revert_plan(ctx)
    audit(request, "plan reverted", None, "back to the configured plan")
    return _done(request, "/admin/plan", "plan-reverted")


@router.get("/audit", responses=PAGE, summary="The audit log, a page at a time")
def audit_log(request: Request, ctx: Ctx, user: Admin,
              before: Annotated[int | None, Query(ge=1, le=2**62,
                                                  description="Entries older than this id")]
              = None) -> Response:
    entries = admin.audit_entries(ctx, before)
    older = entries[-1]["audit_id"] if len(entries) == admin.AUDIT_PAGE else None
    return page(request, "admin_audit", {"entries": entries, "page_size": admin.AUDIT_PAGE,
                                         "before": before, "older": older,
                                         "tables": ["entries"]})
