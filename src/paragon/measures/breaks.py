"""Breaks in recording practice entered by an analyst, kept as data.

A break is the first month of a new recording practice (a new crime recording standard, a new IT
system, a counting rule applied differently): from that month a control chart starts a new segment
with its own centre line and limits. The plan dates the breaks known when it was written
(``breaks:`` plan-wide or per measure); analysts record the ones found later with
``paragon breaks add`` or on the admin page ``/admin/breaks``.

Analyst-entered breaks live in the operational store (:mod:`paragon.ops`, table ``chart_breaks``),
not in the warehouse: the store takes writes from the CLI and the web while the site runs, and a
rebuilt warehouse keeps them. A break names one measure, or none (every measure).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paragon.errors import NotFoundError, ParagonError
from paragon.ops import OpsStore
from paragon.plan.schema import Plan

MAX_REASON = 300
"""A break's reason is at most this many characters."""


def _reason(text: str) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise ParagonError("a break needs a reason (what changed in recording practice)")
    if len(reason) > MAX_REASON:
        raise ParagonError(f"a break's reason can be at most {MAX_REASON} characters")
    return reason


def add_break(ops: OpsStore, plan: Plan, month: str, reason: str, measure: str | None = None,
              added_by: str | None = None) -> int:
    """Record a break at ``month`` (YYYY-MM) for ``measure`` (a plan measure id; ``None``: every
    measure). Returns its id. The same month twice for the same measure is refused, as is a month
    the plan already dates for it."""
    from paragon.measures.charts import check_breaks  # the charts' statistics: when adding

    (month,) = check_breaks([month.strip()])
    text = _reason(reason)
    measure = (measure or "").strip() or None
    if measure is not None:
        plan.measure(measure)  # NotFoundError for an unknown measure
        planned = {b.month for b in plan.breaks_of(measure)}
    else:
        planned = {b.month for b in plan.breaks}
    if month in planned:
        raise ParagonError(f"the plan already dates a break at {month}"
                           f"{f' for {measure}' if measure else ''}")
    with ops.transaction() as cur:
        same = cur.execute(
            "SELECT break_id FROM chart_breaks WHERE month = ? AND coalesce(measure, '') = ?",
            [month, measure or ""])
        if same:
            raise ParagonError(f"a break at {month} is already recorded"
                               f"{f' for {measure}' if measure else ' for every measure'} "
                               f"(#{same[0]['break_id']})")
        cur.execute("INSERT INTO chart_breaks (measure, month, reason, added_by, added_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [measure, month, text, added_by,
                     datetime.now(UTC).replace(tzinfo=None)])
        new_id = cur.lastrowid
    if new_id is None:  # pragma: no cover - SQLite always gives the row id
        raise ParagonError("the break was not recorded")
    return int(new_id)


def list_breaks(ops: OpsStore, measure: str | None = None) -> list[dict[str, Any]]:
    """Every recorded break in month order; with ``measure``, those that apply to it (its own and
    the ones for every measure)."""
    if measure is None:
        return ops.query("SELECT * FROM chart_breaks ORDER BY month, break_id")
    return ops.query("SELECT * FROM chart_breaks WHERE measure IS NULL OR measure = ? "
                     "ORDER BY month, break_id", [measure])


def remove_break(ops: OpsStore, break_id: int) -> dict[str, Any]:
    """Delete break ``break_id``; returns what it was. ``NotFoundError`` if there is none."""
    with ops.transaction() as cur:
        rows = cur.execute("SELECT * FROM chart_breaks WHERE break_id = ?", [break_id])
        if not rows:
            raise NotFoundError(f"no break #{break_id} is recorded (see `paragon breaks list`)")
        cur.execute("DELETE FROM chart_breaks WHERE break_id = ?", [break_id])
    return rows[0]


def analyst_breaks(ops: OpsStore | None, measure: str) -> tuple[tuple[str, str], ...]:
    """(month, reason) of the recorded breaks that apply to ``measure``, for its chart; none
    without a store."""
    if ops is None:
        return ()
    return tuple((r["month"], r["reason"]) for r in list_breaks(ops, measure))


def read_store(url: str) -> OpsStore | None:
    """The operational store at ``url`` for reading breaks, or ``None`` when no store file exists
    yet (then no analyst has recorded a break, and none is created just to look)."""
    from urllib.parse import urlparse

    from paragon.ops.store import sqlite_path

    if urlparse(url).scheme == "sqlite" and not sqlite_path(url).exists():
        return None
    return OpsStore.open(url)
