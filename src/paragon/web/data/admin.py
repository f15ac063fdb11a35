"""What administrators change: local priorities ("you said, we did") and the active plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from paragon.errors import NotFoundError, ParagonError, PlanError
from paragon.plan import parse_plan
from paragon.web.auth import utc_now
from paragon.web.context import WebContext
from paragon.web.data.areas import area_index

MAX_TEXT = 2_000
MAX_PLAN_BYTES = 1_000_000


def _text(value: str, field: str, *, required: bool = True) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ParagonError(f"{field} cannot be empty")
        return None
    if len(value) > MAX_TEXT:
        raise ParagonError(f"{field} can be at most {MAX_TEXT} characters")
    return value


def _check_area(ctx: WebContext, area_type: str, area_id: str) -> None:
    index = area_index(ctx)
    if area_type == "lpu":
        index.lpu(area_id)
    elif area_type == "neighbourhood":
        index.neighbourhood(area_id)
    else:
        raise ParagonError("area type must be lpu or neighbourhood")


def list_priorities(ctx: WebContext) -> list[dict[str, Any]]:
    rows = ctx.warehouse.query(
        "SELECT * FROM priorities ORDER BY status = 'closed', opened_on DESC, priority_id DESC",
        limit=ctx.settings.query_row_cap,
    )
    names = area_index(ctx)
    for r in rows:
        area = (names.lpus.get(r["area_id"]) if r["area_type"] == "lpu"
                else names.neighbourhoods.get(r["area_id"]))
        r["area_name"] = area.name if area else r["area_id"]
    return rows


def create_priority(ctx: WebContext, user: str, area_type: str, area_id: str, issue: str,
                    action: str, opened_on: date | None) -> int:
    _check_area(ctx, area_type, area_id)
    values = [area_type, area_id, _text(issue, "issue"), _text(action, "action"),
              opened_on or date.today(), user, utc_now()]
    with ctx.warehouse.transaction() as con:
        new_id = int(con.execute("SELECT nextval('priority_id_seq')").fetchall()[0][0])
        taken = con.execute("SELECT coalesce(max(priority_id), 0) FROM priorities").fetchall()
        new_id = max(new_id, int(taken[0][0]) + 1)
        con.execute(
            "INSERT INTO priorities (priority_id, area_type, area_id, issue, action, opened_on, "
            "status, result, closed_on, updated_by, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'open', NULL, NULL, ?, ?)", [new_id, *values])
    ctx.changed()
    return new_id


def _existing(ctx: WebContext, priority_id: int) -> dict[str, Any]:
    rows = ctx.warehouse.query("SELECT * FROM priorities WHERE priority_id = ?", [priority_id])
    if not rows:
        raise NotFoundError(f"There is no local priority number {priority_id}.")
    return rows[0]


def update_priority(ctx: WebContext, user: str, priority_id: int, issue: str,
                    action: str) -> None:
    _existing(ctx, priority_id)
    with ctx.warehouse.transaction() as con:
        con.execute(
            "UPDATE priorities SET issue = ?, action = ?, updated_by = ?, updated_at = ? "
            "WHERE priority_id = ?",
            [_text(issue, "issue"), _text(action, "action"), user, utc_now(), priority_id])
    ctx.changed()


def close_priority(ctx: WebContext, user: str, priority_id: int, result: str,
                   closed_on: date | None) -> None:
    row = _existing(ctx, priority_id)
    closed = closed_on or date.today()
    if closed < row["opened_on"]:
        raise ParagonError("a priority cannot close before it opened")
    with ctx.warehouse.transaction() as con:
        con.execute(
            "UPDATE priorities SET status = 'closed', result = ?, closed_on = ?, updated_by = ?, "
            "updated_at = ? WHERE priority_id = ?",
            [_text(result, "result"), closed, user, utc_now(), priority_id])
    ctx.changed()


def plan_versions(ctx: WebContext) -> list[dict[str, Any]]:
    return ctx.warehouse.query(
        "SELECT version_id, plan_id, source_name, uploaded_by, uploaded_at, active "
        "FROM plan_versions ORDER BY version_id DESC", limit=200)


def upload_plan(ctx: WebContext, user: str, source_name: str, data: bytes) -> dict[str, Any]:
    """Validate and activate an uploaded plan; a bad plan raises PlanError naming file:line:col."""
    name = (source_name or "uploaded-plan.yaml").replace("/", "_")[-120:]
    if len(data) > MAX_PLAN_BYTES:
        raise PlanError(f"{name}: the file is larger than {MAX_PLAN_BYTES:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanError(f"{name}: not UTF-8 text (byte {exc.start})") from exc
    plan = parse_plan(text, name)
    with ctx.warehouse.transaction() as con:
        con.execute("UPDATE plan_versions SET active = FALSE WHERE active")
        con.execute(
            "INSERT INTO plan_versions VALUES (nextval('plan_version_seq'), ?, ?, ?, ?, ?, TRUE)",
            [plan.id, name, text, user, utc_now()])
    ctx.changed()
    return {"id": plan.id, "title": plan.title, "measures": len(plan.measures),
            "milestone_rows": len(plan.milestones), "source_name": name}


def revert_plan(ctx: WebContext) -> None:
    with ctx.warehouse.transaction() as con:
        con.execute("UPDATE plan_versions SET active = FALSE WHERE active")
    ctx.changed()


def audit_entries(ctx: WebContext, limit: int = 500) -> list[dict[str, Any]]:
    return ctx.warehouse.query(
        "SELECT audit_id, logged_at, actor, action, target, detail, address FROM audit_log "
        "ORDER BY audit_id DESC LIMIT ?", [limit], limit=limit)
