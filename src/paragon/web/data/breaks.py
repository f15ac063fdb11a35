"""The admin page for breaks in recording practice: the plan's (read-only) and those recorded by
analysts (paragon.measures.breaks, in the operational store), which admins add and remove."""

from __future__ import annotations

from typing import Any

from paragon.measures import breaks as recorded
from paragon.web.context import WebContext

MAX_REASON = recorded.MAX_REASON


def breaks_page(ctx: WebContext) -> dict[str, Any]:
    """Every break charts use, and the measures a new one can name."""
    plan = ctx.plan()
    titles = {m.id: m.title for m in plan.measures}
    planned = [{"month": b.month, "measure": None, "reason": b.reason} for b in plan.breaks]
    planned += [{"month": b.month, "measure": m.id, "reason": b.reason}
                for m in plan.measures for b in m.breaks]
    for row in planned:
        row["measure_title"] = titles.get(row["measure"] or "", "every measure")
    stored = []
    for r in recorded.list_breaks(ctx.ops):
        stored.append({"break_id": r["break_id"], "month": r["month"], "measure": r["measure"],
                       "measure_title": titles.get(r["measure"] or "", r["measure"]
                                                   or "every measure"),
                       "reason": r["reason"], "added_by": r["added_by"],
                       "added_at": str(r["added_at"])[:16]})
    return {"planned": sorted(planned, key=lambda r: r["month"]), "breaks": stored,
            "measures": [{"id": m.id, "title": m.title} for m in plan.measures],
            "tables": ["breaks", "planned"]}


def add(ctx: WebContext, user: str, month: str, reason: str, measure: str | None) -> int:
    """Record a break; every chart it applies to rebases there from the next request."""
    new_id = recorded.add_break(ctx.ops, ctx.plan(), month, reason, measure, added_by=user)
    ctx.changed()
    return new_id


def remove(ctx: WebContext, break_id: int) -> dict[str, Any]:
    """Remove a recorded break (NotFoundError if there is none)."""
    gone = recorded.remove_break(ctx.ops, break_id)
    ctx.changed()
    return gone
