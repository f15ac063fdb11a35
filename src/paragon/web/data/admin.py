"""What administrators change: local priorities ("you said, we did", in the operational store) and
the active plan (in the warehouse), and the audit log they read."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from paragon.errors import NotFoundError, ParagonError, PlanError
from paragon.plan import parse_plan
from paragon.web.auth import utc_now
from paragon.web.context import WebContext
from paragon.web.data.areas import area_index

MAX_TEXT = 2_000
MAX_PLAN_BYTES = 1_000_000
MAX_PLAN_DEPTH = 40  # the shipped plan nests 7 deep
MAX_PLAN_NODES = 200_000  # values after anchors are expanded (the shipped plan has 2,294)
MAX_PLAN_CHARS = 4 * MAX_PLAN_BYTES  # characters of text after anchors are expanded
AUDIT_PAGE = 100


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
    rows = ctx.ops.query(
        "SELECT * FROM priorities ORDER BY status = 'closed', opened_on DESC, priority_id DESC "
        "LIMIT ?", [ctx.settings.query_row_cap])
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
    with ctx.ops.transaction() as cur:
        cur.execute(
            "INSERT INTO priorities (area_type, area_id, issue, action, opened_on, status, "
            "result, closed_on, updated_by, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'open', NULL, NULL, ?, ?)", values)
        new_id = cur.lastrowid
    assert new_id is not None
    ctx.changed()
    return int(new_id)


def _existing(ctx: WebContext, priority_id: int) -> dict[str, Any]:
    rows = ctx.ops.query("SELECT * FROM priorities WHERE priority_id = ?", [priority_id])
    if not rows:
        raise NotFoundError(f"There is no local priority number {priority_id}.")
    return rows[0]


def update_priority(ctx: WebContext, user: str, priority_id: int, issue: str,
                    action: str) -> None:
    _existing(ctx, priority_id)
    with ctx.ops.transaction() as cur:
        cur.execute(
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
    with ctx.ops.transaction() as cur:
        cur.execute(
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
    check_yaml_shape(text, name)
    try:
        plan = parse_plan(text, name)
    except RecursionError as exc:
        raise PlanError(f"{name}: the YAML nests too deeply") from exc
    with ctx.write() as con:
        con.execute("UPDATE plan_versions SET active = FALSE WHERE active")
        con.execute(
            "INSERT INTO plan_versions VALUES (nextval('plan_version_seq'), ?, ?, ?, ?, ?, TRUE)",
            [plan.id, name, text, user, utc_now()])
    ctx.changed()
    return {"id": plan.id, "title": plan.title, "measures": len(plan.measures),
            "milestone_rows": len(plan.milestones), "source_name": name}


def revert_plan(ctx: WebContext) -> None:
    with ctx.write() as con:
        con.execute("UPDATE plan_versions SET active = FALSE WHERE active")
    ctx.changed()


def audit_entries(ctx: WebContext, before: int | None = None,
                  limit: int = AUDIT_PAGE) -> list[dict[str, Any]]:
    """One page of the audit log, newest first: entries older than ``before`` (an audit_id)."""
    return ctx.ops.query(
        "SELECT audit_id, logged_at, actor, action, target, detail, address, repeats "
        "FROM audit_log WHERE audit_id < ? ORDER BY audit_id DESC LIMIT ?",
        [before if before is not None else 2**62, limit])


def check_yaml_shape(text: str, name: str) -> None:
    """Refuse YAML that nests deeper than MAX_PLAN_DEPTH or whose anchors and aliases expand to
    more than MAX_PLAN_NODES values or MAX_PLAN_CHARS characters — read as a stream of events,
    before anything is built, so a hostile file costs no more than its own size."""
    depth = 0
    stack: list[list[Any]] = [[None, 0, 0]]  # [anchor, nodes, chars] of each open collection
    sizes: dict[str, tuple[int, int]] = {}
    nodes = chars = 0
    try:
        for event in yaml.parse(text):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_PLAN_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else 0
                    raise PlanError(f"{name}:{line}:1: the YAML nests more than "
                                    f"{MAX_PLAN_DEPTH} levels deep")
                stack.append([event.anchor, 1, 0])
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                anchor, n, c = stack.pop()
                if anchor:
                    sizes[anchor] = (n, c)
                stack[-1][1] += n
                stack[-1][2] += c
                continue
            if isinstance(event, yaml.ScalarEvent):
                n, c = 1, len(event.value)
                if event.anchor:
                    sizes[event.anchor] = (n, c)
            elif isinstance(event, yaml.AliasEvent):
                n, c = sizes.get(event.anchor or "", (1, 0))
            else:
                continue
            stack[-1][1] += n
            stack[-1][2] += c
            nodes, chars = stack[0][1] + sum(s[1] for s in stack[1:]), \
                stack[0][2] + sum(s[2] for s in stack[1:])
            if nodes > MAX_PLAN_NODES or chars > MAX_PLAN_CHARS:
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise PlanError(f"{name}:{line}:1: the YAML's anchors and aliases expand to more "
                                f"than {MAX_PLAN_NODES:,} values or {MAX_PLAN_CHARS:,} "
                                f"characters")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise PlanError(f"{name}:{where}: not valid YAML "
                        f"({getattr(exc, 'problem', None) or exc})") from exc
