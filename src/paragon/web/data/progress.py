"""The plan's progress for the public: each priority's milestones this year, in words, with their
uncertainty (figures from paragon.measures.milestones)."""

from __future__ import annotations

from datetime import date
from typing import Any

from paragon.measures.periods import add_months
from paragon.plan import Plan
from paragon.web.context import WebContext
from paragon.web.data import words
from paragon.web.data.adapters import (
    display_year,
    latest_crime_month,
    milestone_years,
    milestones,
)
from paragon.web.data.opendata import PUBLIC_MILESTONE_FIELDS

TABLE_ORDER = ("trust_confidence", "service_standards", "reducing_crime", "detections")


def public_milestone(row: dict[str, Any]) -> dict[str, Any]:
    """A milestone row cut to public fields, with its status and figures in words."""
    out = {k: row.get(k) for k in PUBLIC_MILESTONE_FIELDS}
    status = words.milestone_status(row)
    out.update(status_label=status["label"], tone=status["tone"], sentence=status["sentence"],
               figure_text=words.figure_text(row), projection_text=words.projection_text(row),
               milestone_text=words.milestone_text(row), period_label=period_label(row))
    return out


def period_label(row: dict[str, Any]) -> str | None:
    """'April to December 2011' for the months a figure covers."""
    try:
        start = date.fromisoformat(row["period_start"])
        last = add_months(date.fromisoformat(row["period_end"]), -1)
    except (KeyError, TypeError, ValueError):
        return None
    first = words.MONTHS[start.month - 1] + ("" if start.year == last.year else f" {start.year}")
    return f"{first} to {words.month_name(last)}"


def status_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"good": 0, "bad": 0, "neutral": 0, "unknown": 0}
    for r in rows:
        counts[r["tone"]] += 1
    return counts


def progress(ctx: WebContext, year: str | None = None) -> dict[str, Any]:
    """The priorities with their milestone rows for ``year`` (default: the year on display)."""
    plan = ctx.plan()
    year = year or display_year(ctx, plan)
    rows = [public_milestone(r) for r in milestones(ctx, year)]
    measures = {m.id: m for m in plan.measures}
    priorities = []
    for p in plan.priorities:
        mine = [r for r in rows if measures[r["measure"]].priority == p.id]
        priorities.append({"id": p.id, "title": p.title, "aims": list(p.aims),
                           "milestones": mine, "status_counts": status_counts(mine)})
    last = latest_crime_month(ctx)
    return {"year": year, "years": milestone_years(plan),
            "data_through": last.isoformat() if last else None,
            "priorities": priorities, "status_counts": status_counts(rows),
            "milestone_count": len(rows)}


def plan_tables(plan: Plan, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The four milestone tables in the plan's order, each with its rows."""
    titles = {t.id: t.title for t in plan.tables}
    return [{"id": t, "title": titles.get(t, t), "rows": [r for r in rows if r["table"] == t]}
            for t in TABLE_ORDER if t in titles]
