"""What an area page says: crime and anti-social behaviour in the last 12 months against the 12
before (each change judged by a quasi-Poisson test whose dispersion comes from the 24 months
themselves, never a bare % change; the crime types together with the false discovery rate held at
5%, Benjamini-Hochberg), what happened to the crimes, and the local priorities with their results.

Nothing here exposes a force record: counts are by category, month and LSOA only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from paragon.measures.availability import full_file_months, points_months
from paragon.measures.periods import add_months, month_label
from paragon.web.context import WebContext
from paragon.web.data import words
from paragon.web.data.adapters import latest_crime_month, source_of
from paragon.web.data.areas import Area

if TYPE_CHECKING:  # the statistics (numpy, scipy.special) load when a change is first judged
    from paragon.stats.counts import CountComparison

WINDOW_MONTHS = 12
# A change is judged only over at least this many months with data in both years (the test's
# dispersion needs two paired months); fewer, and the page says there is too little to compare.
MIN_PAIRED = 2

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


def covered_months(ctx: WebContext, table: Literal["crimes", "asb_incidents"]) -> frozenset[date]:
    """The months with any row for the force in ``table`` (crimes: from the source the measures
    read). A month without data is missing, not zero (coverage is data)."""
    def compute() -> frozenset[date]:
        force = ctx.plan().force
        if table == "crimes":
            source = source_of(ctx)
            if source is None:
                return frozenset()
            rows = ctx.warehouse.query(
                "SELECT DISTINCT date_trunc('month', month)::DATE AS m FROM crimes "
                "WHERE force = ? AND source = ?", [force, source])
        else:
            rows = ctx.warehouse.query(
                "SELECT DISTINCT date_trunc('month', month)::DATE AS m FROM asb_incidents "
                "WHERE force = ?", [force])
        return frozenset(r["m"] for r in rows if r["m"] is not None)

    return ctx.cached(("covered_months", table), compute)


def _paired(ctx: WebContext, table: Literal["crimes", "asb_incidents"],
            win: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Of the last 12 months: those with data, and those with data in the same month a year
    earlier too (positions 0-11). Only the latter are compared."""
    covered = covered_months(ctx, table)
    after = [i for i in range(WINDOW_MONTHS) if add_months(win["start"], i) in covered]
    paired = [i for i in after if add_months(win["before_start"], i) in covered]
    return after, paired


def _points_coverage(ctx: WebContext
                     ) -> tuple[frozenset[date], dict[date, frozenset[str]]] | None:
    """Where points files (which may hold one crime type) are loaded for the force: the months
    of full police.uk files and the crime types the points files hold by month; None where every
    police.uk month is a full file's."""
    def compute() -> tuple[frozenset[date], dict[date, frozenset[str]]] | None:
        if source_of(ctx) != "policeuk":
            return None
        force = ctx.plan().force
        full = full_file_months(ctx.warehouse, force)
        return None if full is None else (full, points_months(ctx.warehouse, force))

    return ctx.cached(("points_coverage",), compute)


def _covered_for(ctx: WebContext, win: dict[str, Any], category: str | None,
                 paired: tuple[list[int], list[int]]) -> tuple[list[int], list[int]]:
    """``paired`` kept to the months with data for ``category`` (None: all recorded crime, which
    only full police.uk files cover): a month of a points file of other crime types is missing,
    not zero."""
    points = _points_coverage(ctx)
    if points is None:
        return paired
    full, held = points

    def covers(month: date) -> bool:
        return month in full or (category is not None and category in held.get(month, ()))

    after = [i for i in paired[0] if covers(add_months(win["start"], i))]
    both = [i for i in paired[1] if i in after and covers(add_months(win["before_start"], i))]
    return after, both


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


def _split(months: list[int], paired: list[int]) -> tuple[list[int], list[int]]:
    """The paired months' counts of the year before and of the last 12 months."""
    return ([months[i] for i in paired], [months[WINDOW_MONTHS + i] for i in paired])


def _comparison(name: str, months: list[int], c: CountComparison | None = None,
                adjusted: float | None = None, compared: int = 1,
                coverage: tuple[list[int], list[int]] | None = None) -> dict[str, Any]:
    """The last 12 months against the 12 before, from the 24 monthly counts (oldest first),
    compared only over the months that have data in both years (``coverage``: the last 12 months'
    positions with data, and those whose month a year earlier has data too; default all 12).

    ``c`` is the comparison if already made; with ``adjusted`` (the Benjamini-Hochberg p-value
    over ``compared`` comparisons) a change is called real only if that is below 5%."""
    after_months, paired = coverage or (list(range(WINDOW_MONTHS)), list(range(WINDOW_MONTHS)))
    last = sum(months[WINDOW_MONTHS + i] for i in after_months)
    out: dict[str, Any] = {
        "category": name, "last_12_months": last, "months_covered": len(after_months),
        "months_expected": WINDOW_MONTHS, "months_compared": len(paired),
    }
    if len(paired) < MIN_PAIRED:
        out.update(previous_12_months=None, compared_last=None, change_pct=None,
                   change_lower=None, change_upper=None, p_value=None, p_value_adjusted=None,
                   compared=compared, dispersion=None, verdict=None,
                   against_text=_against_text(len(after_months), len(paired), None), in_words="")
        return out
    from paragon.stats.counts import compare_periods
    from paragon.stats.multiple import FDR

    before, after = _split(months, paired)
    c = c if c is not None else compare_periods(before, after)
    if adjusted is not None and adjusted > FDR and c.verdict != "no significant change":
        c = replace(c, verdict="no significant change")
    out.update(previous_12_months=sum(before), compared_last=sum(after),
               change_pct=c.percent_change, change_lower=c.percent_change_lower,
               change_upper=c.percent_change_upper, p_value=c.p_value,
               p_value_adjusted=c.p_value if adjusted is None else adjusted,
               compared=compared, dispersion=round(c.dispersion, 2), verdict=c.verdict,
               against_text=_against_text(len(after_months), len(paired), sum(before), sum(after)),
               in_words=words.count_change(sum(before), sum(after), c, compared))
    return out


def _against_text(covered: int, paired: int, before: int | None, after: int | None = None
                  ) -> str:
    """What the last 12 months' total is set against, saying which months have data."""
    if paired == WINDOW_MONTHS:
        return f"against {before:,} in the 12 months before"
    data = (f"with data for all {covered} months" if covered == WINDOW_MONTHS
            else f"with data for only {covered} of the {WINDOW_MONTHS} months")
    if not paired:
        return f"{data}; there is no data for the same months a year earlier to compare with"
    if before is None:
        return (f"{data}; only {paired} of them {'has' if paired == 1 else 'have'} data a year "
                "earlier too, too few to compare")
    months = f"{paired} month{'s' if paired > 1 else ''}"
    return (f"{data}; in the {months} with data in both years, {after or 0:,} against {before:,} "
            f"a year earlier")


def _monthly(rows: list[dict[str, Any]], first: date, key: str | None
             ) -> dict[str, list[int]]:
    """24 monthly counts per ``key`` value (None: one series) from rows with month and n."""
    series: dict[str, list[int]] = {}
    for r in rows:
        name = "" if key is None else r[key]
        at = (r["month"].year - first.year) * 12 + r["month"].month - first.month
        if 0 <= at < 2 * WINDOW_MONTHS:
            series.setdefault(name, [0] * (2 * WINDOW_MONTHS))[at] += int(r["n"])
    return series


def crime_by_category(ctx: WebContext, area: Area) -> list[dict[str, Any]]:
    records = _records(ctx, area, "crimes", "before_start")
    if records is None:
        return []
    win, condition, args = records
    rows = ctx.warehouse.query(
        f"SELECT coalesce(category, 'Other crime') AS category, month, count(*) AS n "
        f"FROM crimes WHERE {condition} GROUP BY 1, 2",
        args,
    )
    from paragon.stats.counts import compare_periods
    from paragon.stats.multiple import bh_adjust

    series = _monthly(rows, win["before_start"], "category")
    ordered = sorted(series.items(), key=lambda kv: (-sum(kv[1][WINDOW_MONTHS:]), kv[0]))
    coverage = _paired(ctx, "crimes", win)
    if _points_coverage(ctx) is not None:
        return _by_category_coverage(ctx, win, ordered, coverage)
    if len(coverage[1]) < MIN_PAIRED:
        return [_comparison(name, months, coverage=coverage) for name, months in ordered]
    comparisons = [compare_periods(*_split(m, coverage[1])) for _, m in ordered]
    adjusted = bh_adjust([c.p_value for c in comparisons])
    return [_comparison(name, months, c, a, len(ordered), coverage)
            for (name, months), c, a in zip(ordered, comparisons, adjusted, strict=True)]


def _by_category_coverage(ctx: WebContext, win: dict[str, Any],
                          ordered: list[tuple[str, list[int]]],
                          coverage: tuple[list[int], list[int]]) -> list[dict[str, Any]]:
    """Crime types compared over the months with data for each (points files loaded): a crime
    type no file holds in a month is missing that month, never zero."""
    from paragon.stats.counts import compare_periods
    from paragon.stats.multiple import bh_adjust

    covered = {name: _covered_for(ctx, win, name, coverage) for name, _ in ordered}
    ordered = [(name, months) for name, months in ordered if covered[name][0]]
    tested = {name: compare_periods(*_split(months, covered[name][1]))
              for name, months in ordered if len(covered[name][1]) >= MIN_PAIRED}
    adjusted = dict(zip(tested, bh_adjust([c.p_value for c in tested.values()]), strict=True)) \
        if tested else {}
    return [_comparison(name, months, tested.get(name), adjusted.get(name), max(len(tested), 1),
                        covered[name])
            for name, months in ordered]


def crime_summary(ctx: WebContext, area: Area) -> dict[str, Any]:
    """Crime by category and in total for the area (cached: the E-test on large counts is slow)."""
    def compute() -> dict[str, Any]:
        categories = crime_by_category(ctx, area)
        return {"categories": categories, "total": crime_total(ctx, area)}

    return ctx.cached(("crime_summary", area.kind, area.id), compute)


def crime_total(ctx: WebContext, area: Area) -> dict[str, Any] | None:
    """All recorded crime in the area, the last 12 months against the 12 before (cached): the
    overview's figure, without judging every crime type as :func:`crime_summary` does."""
    return ctx.cached(("crime_total", area.kind, area.id), lambda: total_change(ctx, area))


def total_change(ctx: WebContext, area: Area) -> dict[str, Any] | None:
    """All recorded crime: the last 12 months against the 12 before."""
    records = _records(ctx, area, "crimes", "before_start")
    if records is None:
        return None
    win, condition, args = records
    rows = ctx.warehouse.query(
        f"SELECT month, count(*) AS n FROM crimes WHERE {condition} GROUP BY 1", args)
    series = _monthly(rows, win["before_start"], None)
    if not series:
        return None
    coverage = _covered_for(ctx, win, None, _paired(ctx, "crimes", win))
    if not coverage[0]:  # points files of some crime types only: no total to give
        return None
    return _comparison("All recorded crime", series[""], coverage=coverage)


def asb_change(ctx: WebContext, area: Area) -> dict[str, Any] | None:
    records = _records(ctx, area, "asb_incidents", "before_start")
    if records is None:
        return None
    win, condition, args = records
    rows = ctx.warehouse.query(
        f"SELECT month, count(*) AS n FROM asb_incidents WHERE {condition} GROUP BY 1", args)
    series = _monthly(rows, win["before_start"], None)
    if not series:
        return None
    return _comparison("Anti-social behaviour", series[""],
                       coverage=_paired(ctx, "asb_incidents", win))


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
    if all(r["outcome"] is None for r in rows):
        # The files loaded carry no outcomes (police.uk's 2011 schema, some points files): the
        # outcome is unknown, not "none yet", so nothing is shown rather than zeros.
        return []
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
    """Crimes and ASB incidents in each of the last 24 months (for the trend chart); None for a
    month without data of that kind (missing, not zero), so the chart and table show it as a gap."""
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
    crime_months, asb_months = covered_months(ctx, "crimes"), covered_months(ctx, "asb_incidents")
    points = _points_coverage(ctx)
    if points is not None:  # all crimes: the months of full police.uk files only
        crime_months = crime_months & points[0]
    if not rows:
        return []
    counted = {r["month"]: r for r in rows}
    first = crimes[0]["before_start"]
    out = []
    for i in range(2 * WINDOW_MONTHS):
        month = add_months(first, i)
        r = counted.get(month, {"crimes": 0, "asb": 0})
        out.append({"month": month_label(month),
                    "crimes": int(r["crimes"]) if month in crime_months else None,
                    "anti_social_behaviour": int(r["asb"]) if month in asb_months else None})
    return out


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
    """The area's local priorities, open first; for an LPU its neighbourhoods' too (from the
    operational store)."""
    params: list[Any]
    if area.kind == "force":
        where, params = "1 = 1", []
    elif area.kind == "lpu":
        children = list(area.children)
        marks = ", ".join("?" for _ in children) or "NULL"
        where = (f"(area_type = 'lpu' AND area_id = ?) OR (area_type = 'neighbourhood' AND "
                 f"area_id IN ({marks}))")
        params = [area.id, *children]
    else:
        where = ("(area_type = 'neighbourhood' AND area_id = ?) OR "
                 "(area_type = 'lpu' AND area_id = ?)")
        params = [area.id, area.lpu_id or ""]
    rows = ctx.ops.query(
        f"SELECT {', '.join(PUBLIC_PRIORITY_FIELDS)} FROM priorities WHERE {where} "
        f"ORDER BY status = 'closed', coalesce(closed_on, opened_on) DESC, priority_id DESC "
        f"LIMIT 200", params)
    return [_with_dates(r) for r in rows]


def _with_dates(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("opened_on", "closed_on"):
        if isinstance(out.get(key), date):
            out[key] = out[key].isoformat()
    return out
