"""What an area page says: crime and anti-social behaviour in the last 12 months against the 12
before (each change judged by the Poisson E-test, never a bare % change), what happened to the
crimes, and the local priorities with their results.

Nothing here exposes a force record: counts are by category, month and LSOA only.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from paragon.measures.periods import add_months, month_label
from paragon.stats import compare_counts
from paragon.web.context import WebContext
from paragon.web.data import words
from paragon.web.data.adapters import latest_crime_month, source_of
from paragon.web.data.areas import Area

WINDOW_MONTHS = 12

# Outcome types (force exports) and police.uk outcome text, in plain groups, in display order.
OUTCOME_GROUPS: dict[str, tuple[str, ...]] = {
    "Charged or summonsed to court": (
        "charged_summonsed", "Offender charged", "Suspect charged", "Local resolution",
    ),
    "Dealt with out of court (caution, penalty, warning or community resolution)": (
        "caution", "penalty_notice", "cannabis_warning", "community_resolution",
        "taken_into_consideration", "Offender cautioned", "Offender given penalty notice",
        "Offender given a drugs possession warning", "Formal action is not in the public interest",
    ),
    "No further action (not enough evidence, victim did not support, or not in public interest)": (
        "no_further_action", "evidential_difficulties", "victim_declined", "not_in_public_interest",
        "offender_died", "Investigation complete; no suspect identified",
        "Unable to prosecute suspect", "No further action",
    ),
}
UNDER_INVESTIGATION = "Under investigation, or no outcome recorded yet"


def windows(ctx: WebContext) -> dict[str, Any] | None:
    """The last 12 months with data and the 12 before them; None if there is no crime data."""
    last = latest_crime_month(ctx)
    if last is None:
        return None
    end = add_months(last, 1)
    start = add_months(end, -WINDOW_MONTHS)
    before = add_months(start, -WINDOW_MONTHS)
    return {"before_start": before, "start": start, "end": end,
            "label": f"{words.month_name(start)} to {words.month_name(last)}",
            "before_label": f"{words.month_name(before)} to "
                            f"{words.month_name(add_months(start, -1))}",
            "first_month": month_label(start), "last_month": month_label(last)}


def window_labels(ctx: WebContext) -> dict[str, Any] | None:
    """The windows' labels as the pages show them; None if there is no crime data."""
    win = windows(ctx)
    if win is None:
        return None
    return {k: win[k] for k in ("label", "before_label", "first_month", "last_month")}


def _records(ctx: WebContext, area: Area, table: Literal["crimes", "asb_incidents"],
             first: Literal["start", "before_start"],
             ) -> tuple[dict[str, Any], str, list[Any]] | None:
    """The windows, and the SQL condition with its parameters selecting the area's rows of
    ``table`` from the window's ``first`` month to its end (crimes: from the source the measures
    read); None if there is no crime data."""
    win = windows(ctx)
    if win is None:
        return None
    where, params = area.where()
    condition = f"force = ? AND {where} AND month >= ? AND month < ?"
    args = [ctx.plan().force, *params, win[first], win["end"]]
    if table == "crimes":
        source = source_of(ctx)
        if source is None:
            return None
        condition, args = f"source = ? AND {condition}", [source, *args]
    return win, condition, args


def _comparison(name: str, before: int, last: int) -> dict[str, Any]:
    c = compare_counts(before, last)
    return {"category": name, "last_12_months": last, "previous_12_months": before,
            "change_pct": c.percent_change, "change_lower": c.percent_change_lower,
            "change_upper": c.percent_change_upper, "p_value": c.p_value,
            "verdict": c.verdict, "in_words": words.count_change(before, last, c)}


def crime_by_category(ctx: WebContext, area: Area) -> list[dict[str, Any]]:
    records = _records(ctx, area, "crimes", "before_start")
    if records is None:
        return []
    win, condition, args = records
    rows = ctx.warehouse.query(
        f"SELECT coalesce(category, 'Other crime') AS category, "
        f"count(*) FILTER (WHERE month >= ?) AS last12, "
        f"count(*) FILTER (WHERE month < ?) AS prev12 "
        f"FROM crimes WHERE {condition} GROUP BY 1 ORDER BY last12 DESC, category",
        [win["start"], win["start"], *args],
    )
    return [_comparison(r["category"], int(r["prev12"]), int(r["last12"])) for r in rows]


def crime_summary(ctx: WebContext, area: Area) -> dict[str, Any]:
    """Crime by category and in total for the area (cached: the E-test on large counts is slow)."""
    def compute() -> dict[str, Any]:
        categories = crime_by_category(ctx, area)
        return {"categories": categories, "total": total_change(categories, "All recorded crime")}

    return ctx.cached(("crime_summary", area.kind, area.id), compute)


def total_change(rows: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    if not rows:
        return None
    before = sum(r["previous_12_months"] for r in rows)
    last = sum(r["last_12_months"] for r in rows)
    return _comparison(name, before, last)


def asb_change(ctx: WebContext, area: Area) -> dict[str, Any] | None:
    records = _records(ctx, area, "asb_incidents", "before_start")
    if records is None:
        return None
    win, condition, args = records
    row = ctx.warehouse.query(
        f"SELECT count(*) FILTER (WHERE month >= ?) AS last12, "
        f"count(*) FILTER (WHERE month < ?) AS prev12, count(*) AS n "
        f"FROM asb_incidents WHERE {condition}",
        [win["start"], win["start"], *args],
    )[0]
    if not row["n"]:
        return None
    return _comparison("Anti-social behaviour", int(row["prev12"]), int(row["last12"]))


def outcomes(ctx: WebContext, area: Area) -> list[dict[str, Any]]:
    """What happened to the crimes recorded in the last 12 months, in plain groups."""
    records = _records(ctx, area, "crimes", "start")
    if records is None:
        return []
    _, condition, args = records
    rows = ctx.warehouse.query(
        f"SELECT coalesce(outcome_type, last_outcome) AS outcome, count(*) AS n FROM crimes "
        f"WHERE {condition} GROUP BY 1", args,
    )
    counts: dict[str, int] = {group: 0 for group in OUTCOME_GROUPS}
    counts[UNDER_INVESTIGATION] = 0
    for r in rows:
        group = next((g for g, members in OUTCOME_GROUPS.items() if r["outcome"] in members),
                     UNDER_INVESTIGATION)
        counts[group] += int(r["n"])
    total = sum(counts.values())
    return [{"outcome": group, "crimes": n, "share_pct": 100.0 * n / total if total else None}
            for group, n in counts.items()]


def monthly_counts(ctx: WebContext, area: Area) -> list[dict[str, Any]]:
    """Crimes and ASB incidents per month over the last 24 months (for the trend chart)."""
    crimes = _records(ctx, area, "crimes", "before_start")
    asb = _records(ctx, area, "asb_incidents", "before_start")
    if crimes is None or asb is None:
        return []
    rows = ctx.warehouse.query(
        f"WITH c AS (SELECT month, count(*) AS n FROM crimes WHERE {crimes[1]} GROUP BY month), "
        f"a AS (SELECT month, count(*) AS n FROM asb_incidents WHERE {asb[1]} GROUP BY month) "
        f"SELECT coalesce(c.month, a.month) AS month, coalesce(c.n, 0) AS crimes, "
        f"coalesce(a.n, 0) AS asb FROM c FULL OUTER JOIN a ON c.month = a.month ORDER BY 1",
        [*crimes[2], *asb[2]],
    )
    return [{"month": month_label(r["month"]), "crimes": int(r["crimes"]),
             "anti_social_behaviour": int(r["asb"])} for r in rows]


def _counts_by(ctx: WebContext, area: Area, column: str) -> dict[str, int]:
    """Crimes in the last 12 months per value of ``column`` (lsoa_code or neighbourhood_id)."""
    assert column in ("lsoa_code", "neighbourhood_id")
    records = _records(ctx, area, "crimes", "start")
    if records is None:
        return {}
    _, condition, args = records
    rows = ctx.warehouse.query(
        f"SELECT {column} AS k, count(*) AS n FROM crimes "
        f"WHERE {condition} AND {column} IS NOT NULL GROUP BY 1", args,
    )
    return {r["k"]: int(r["n"]) for r in rows}


def lsoa_counts(ctx: WebContext, area: Area) -> dict[str, int]:
    """Crimes in the last 12 months per LSOA of the area (for the map)."""
    return _counts_by(ctx, area, "lsoa_code")


def neighbourhood_counts(ctx: WebContext, area: Area) -> dict[str, int]:
    """Crimes in the last 12 months per neighbourhood of an LPU (for the map)."""
    return _counts_by(ctx, area, "neighbourhood_id")


PUBLIC_PRIORITY_FIELDS = ("priority_id", "area_type", "area_id", "issue", "action", "opened_on",
                          "status", "result", "closed_on")


def local_priorities(ctx: WebContext, area: Area) -> list[dict[str, Any]]:
    """The area's local priorities, open first; for an LPU its neighbourhoods' too."""
    if area.kind == "force":
        where, params = "TRUE", []
    elif area.kind == "lpu":
        where = "(area_type = 'lpu' AND area_id = ?) OR (area_type = 'neighbourhood' AND " \
                "area_id IN (SELECT unnest(?)))"
        params = [area.id, list(area.children)]
    else:
        where = ("(area_type = 'neighbourhood' AND area_id = ?) OR "
                 "(area_type = 'lpu' AND area_id = ?)")
        params = [area.id, area.lpu_id or ""]
    rows = ctx.warehouse.query(
        f"SELECT {', '.join(PUBLIC_PRIORITY_FIELDS)} FROM priorities WHERE {where} "
        f"ORDER BY status = 'closed', coalesce(closed_on, opened_on) DESC, priority_id DESC",
        params, limit=200,
    )
    return [_with_dates(r) for r in rows]


def _with_dates(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("opened_on", "closed_on"):
        if isinstance(out.get(key), date):
            out[key] = out[key].isoformat()
    return out
