"""Stop and search from police.uk files (table ``stop_search``), for any force (docs/methods.md).

- ``breakdown``: searches by month, legislation, object of search, outcome, ethnicity or area, each
  with the share ending in arrest and the share whose outcome was linked to the object of search
  (the "find rate", the usual test of whether searches were justified), with Wilson intervals.
  Months between the first and last month loaded that have no file are listed as missing, never as
  zero.
- ``disproportionality``: searches per 1,000 residents by ethnic group, from a residents file
  (docs/formats.md#residents), and each group's rate ratio against a reference group (White by
  default) with its exact conditional (Poisson) interval.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from paragon.errors import NotFoundError, ParagonError
from paragon.measures.periods import add_months, month_label, months_between
from paragon.stats.counts import rate_ratio_interval
from paragon.stats.projection import poisson_exact_interval
from paragon.stats.proportions import wilson_bounds
from paragon.warehouse import Warehouse

ARREST = "Arrest"
GROUPS = ("Asian", "Black", "Mixed", "White", "Other")
REFERENCE_GROUP = "White"
# Self-defined ethnicity on police.uk files is "<census group> - <detail>"; the census group is the
# part before " - ". "Other ethnic group - Not stated" is not stated, not Other.
_SELF_DEFINED = {
    "Asian/Asian British": "Asian",
    "Black/African/Caribbean/Black British": "Black",
    "Mixed/Multiple ethnic groups": "Mixed",
    "White": "White",
    "Other ethnic group": "Other",
}
NOT_STATED = "Other ethnic group - Not stated"

_GROUP_SQL = (
    "CASE WHEN self_defined_ethnicity IS NULL OR self_defined_ethnicity = "
    f"'{NOT_STATED}' THEN NULL "
    + " ".join(f"WHEN split_part(self_defined_ethnicity, ' - ', 1) = '{k}' THEN '{v}'"
               for k, v in _SELF_DEFINED.items())
    + " END"
)

ETHNICITY = {
    "self": (_GROUP_SQL, "self-defined ethnicity (census group)"),
    "officer": ("officer_defined_ethnicity", "officer-defined ethnicity"),
}
BY: dict[str, tuple[str, str]] = {
    "month": ("strftime(month, '%Y-%m')", "month"),
    "legislation": ("legislation", "legislation"),
    "object": ("object_of_search", "object of search"),
    "outcome": ("outcome", "outcome"),
    "type": ("search_type", "type of search"),
    "ethnicity": (_GROUP_SQL, "self-defined ethnicity (census group)"),
    "officer-ethnicity": ("officer_defined_ethnicity", "officer-defined ethnicity"),
}


def forces(wh: Warehouse) -> list[dict[str, Any]]:
    """Every force with stop-and-search rows: its searches and first and last month."""
    rows = wh.query(
        "SELECT force, count(*) AS searches, min(month) AS first, max(month) AS last, "
        "count(DISTINCT month) AS months FROM stop_search GROUP BY force ORDER BY force"
    )
    for r in rows:
        r["first"], r["last"] = month_label(r["first"]), month_label(r["last"])
    return rows


def choose_force(wh: Warehouse, requested: str | None, plan_force: str) -> tuple[str, str | None]:
    """The force to show: the one requested (an error naming those with data when it has none),
    else the plan's force when it has searches loaded, else the first force that has, with a note
    saying so."""
    loaded = [r["force"] for r in forces(wh)]
    if not loaded:
        raise NotFoundError("no police.uk stop-and-search files are loaded (paragon ingest FOLDER)")
    if requested is not None:
        if requested not in loaded:
            raise NotFoundError(f"no stop-and-search data is loaded for force '{requested}' "
                                f"(loaded for: {', '.join(loaded)})")
        return requested, None
    if plan_force in loaded:
        return plan_force, None
    return loaded[0], (f"The plan's force ({plan_force}) has no stop-and-search data loaded; "
                       f"showing {loaded[0]}. Stop-and-search data is loaded for: "
                       f"{', '.join(loaded)}.")


def share(successes: int, n: int) -> dict[str, float | int | None]:
    """successes of n as a percentage with its 95% Wilson interval (None when n is 0)."""
    if n == 0:
        return {"pct": None, "lower": None, "upper": None}
    lower, upper = wilson_bounds(successes / n, n)
    return {"pct": round(100.0 * successes / n, 2), "lower": round(100.0 * lower, 2),
            "upper": round(100.0 * upper, 2)}


def _row(key: Any, r: dict[str, Any]) -> dict[str, Any]:
    arrest = share(int(r["arrests"]), int(r["with_outcome"]))
    found = share(int(r["linked"]), int(r["searches"]))
    return {
        "key": key, "searches": int(r["searches"]),
        "with_outcome": int(r["with_outcome"]), "arrests": int(r["arrests"]),
        "arrest_pct": arrest["pct"], "arrest_lower": arrest["lower"],
        "arrest_upper": arrest["upper"],
        "linked": int(r["linked"]), "link_not_recorded": int(r["link_blank"]),
        "found_pct": found["pct"], "found_lower": found["lower"], "found_upper": found["upper"],
    }


_AGGREGATES = """count(*) AS searches,
       count(outcome) AS with_outcome,
       count(*) FILTER (WHERE outcome = 'Arrest') AS arrests,
       count(*) FILTER (WHERE outcome_linked_to_object) AS linked,
       count(*) FILTER (WHERE outcome_linked_to_object IS NULL) AS link_blank"""


def breakdown(wh: Warehouse, force: str, by: str = "month") -> list[dict[str, Any]]:
    """The force's searches grouped ``by`` (see ``BY``), largest first (by month: in order, with
    every month from the first to the last loaded; a month without data has ``searches`` None)."""
    if by not in BY:
        raise ParagonError(f"cannot break stop and search down by '{by}' "
                           f"(choose from: {', '.join(BY)})")
    expr = BY[by][0]
    rows = wh.query(
        f"SELECT {expr} AS key, {_AGGREGATES} FROM stop_search WHERE force = ? GROUP BY key "
        "ORDER BY searches DESC, key NULLS LAST",
        [force],
    )
    if not rows:
        raise NotFoundError(f"no stop-and-search data is loaded for force '{force}'")
    out = [_row(r["key"], r) for r in rows]
    if by != "month":
        return out
    have = {r["key"]: r for r in out}
    first, last = min(have), max(have)
    span = months_between(_month(first), add_months(_month(last), 1))
    return [have.get(month_label(m)) or _missing(month_label(m)) for m in span]


def _month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)


def _missing(key: str) -> dict[str, Any]:
    return {"key": key, "searches": None, "with_outcome": None, "arrests": None,
            "arrest_pct": None, "arrest_lower": None, "arrest_upper": None, "linked": None,
            "link_not_recorded": None, "found_pct": None, "found_lower": None,
            "found_upper": None, "missing": True}


def totals(wh: Warehouse, force: str) -> dict[str, Any]:
    """The force's searches overall: months loaded, and the arrest and find shares."""
    r = wh.query(
        f"SELECT {_AGGREGATES}, count(DISTINCT month) AS months, min(month) AS first, "
        "max(month) AS last, count(*) FILTER (WHERE longitude IS NULL) AS no_location "
        "FROM stop_search WHERE force = ?",
        [force],
    )[0]
    if not r["searches"]:
        raise NotFoundError(f"no stop-and-search data is loaded for force '{force}'")
    out = _row("all", r)
    span = len(months_between(r["first"], add_months(r["last"], 1)))
    out.update(force=force, months_loaded=int(r["months"]), months_in_span=span,
               first=month_label(r["first"]), last=month_label(r["last"]),
               no_location=int(r["no_location"]))
    return out


# --- residents and disproportionality ----------------------------------------------------------

RESIDENT_COLUMNS = ("force", "area_code", "area_name", "ethnic_group", "residents")


@dataclass(frozen=True)
class Residents:
    """Residents of one area by census ethnic group, as supplied by the force."""

    force: str
    area_code: str
    area_name: str
    counts: dict[str, int]
    source: str


def read_residents(path: Path) -> list[Residents]:
    """Parse a residents file (docs/formats.md#residents); a bad row is an error naming its line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ParagonError(f"cannot read residents file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ParagonError(f"{path}: residents file is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in RESIDENT_COLUMNS if c not in header]
    if missing:
        raise ParagonError(f"{path}: residents file lacks column(s) {', '.join(missing)} "
                           f"(needs {', '.join(RESIDENT_COLUMNS)}[, source])")
    areas: dict[tuple[str, str], Residents] = {}
    for line, row in enumerate(reader, start=2):
        where = f"{path}:{line}"
        force = (row["force"] or "").strip()
        group = (row["ethnic_group"] or "").strip()
        if not force:
            raise ParagonError(f"{where}: force is empty")
        if group not in GROUPS:
            raise ParagonError(f"{where}: ethnic group '{group}' is not one of "
                               f"{', '.join(GROUPS)}")
        raw = (row["residents"] or "").replace(",", "").strip()
        if not raw.isdigit() or int(raw) == 0:
            raise ParagonError(f"{where}: residents '{row['residents']}' is not a whole number "
                               "above 0")
        code = (row["area_code"] or "").strip()
        key = (force, code)
        entry = areas.setdefault(key, Residents(force, code, (row["area_name"] or "").strip(), {},
                                                (row.get("source") or "").strip()))
        if group in entry.counts:
            raise ParagonError(f"{where}: {group} residents of {force} {code or '(force area)'} "
                               "are given twice")
        entry.counts[group] = int(raw)
    if not areas:
        raise ParagonError(f"{path}: residents file has no rows")
    return list(areas.values())


def save_residents(wh: Warehouse, residents: list[Residents]) -> int:
    """Replace the residents of every force in ``residents``; returns rows stored."""
    n = 0
    with wh.transaction() as con:
        for force in {r.force for r in residents}:
            con.execute("DELETE FROM residents WHERE force = ?", [force])
        for r in residents:
            for group, count in r.counts.items():
                con.execute("INSERT INTO residents VALUES (?, ?, ?, ?, ?, ?)",
                            [r.force, r.area_code, r.area_name, group, count, r.source])
                n += 1
    return n


def stored_residents(wh: Warehouse, force: str) -> Residents | None:
    """The force-area residents stored for ``force`` (area_code blank), or None."""
    rows = wh.query("SELECT * FROM residents WHERE force = ? AND area_code = '' "
                    "ORDER BY ethnic_group", [force])
    if not rows:
        return None
    return Residents(force, "", rows[0]["area_name"],
                     {r["ethnic_group"]: int(r["residents"]) for r in rows}, rows[0]["source"])


def disproportionality(wh: Warehouse, force: str, residents: Residents,
                       reference: str = REFERENCE_GROUP) -> dict[str, Any]:
    """Searches per 1,000 residents by self-defined census ethnic group (force area, every month
    loaded, expressed per month so it does not grow with the months loaded), and each group's rate
    ratio against ``reference`` with its 95% exact conditional interval."""
    if reference not in residents.counts:
        raise ParagonError(f"the residents file has no {reference} residents for {force}, the "
                           "reference group")
    t = totals(wh, force)
    months = t["months_loaded"]
    counts: dict[str | None, int] = {r["ethnic_group"]: int(r["n"]) for r in wh.query(
        f"SELECT {_GROUP_SQL} AS ethnic_group, count(*) AS n FROM stop_search WHERE force = ? "
        "GROUP BY ethnic_group", [force])}
    not_stated = counts.pop(None, 0)
    ref_n, ref_pop = counts.get(reference, 0), residents.counts[reference]
    groups = []
    for group in GROUPS:
        pop = residents.counts.get(group)
        n = counts.get(group, 0)
        row: dict[str, Any] = {"ethnic_group": group, "searches": n, "residents": pop}
        if pop:
            lo, hi = poisson_exact_interval(n)
            scale = 1000.0 / pop / months
            row.update(rate_per_1000_per_month=round(n * scale, 4),
                       rate_lower=round(lo * scale, 4), rate_upper=round(hi * scale, 4))
            if group != reference and ref_n > 0:
                lower, upper = rate_ratio_interval(ref_n, n, ref_pop, pop)
                ratio = (n / pop) / (ref_n / ref_pop)
                row.update(ratio=round(ratio, 3), ratio_lower=round(lower, 3),
                           ratio_upper=None if upper is None else round(upper, 3))
        groups.append(row)
    return {
        "force": force, "reference": reference, "months": months,
        "first": t["first"], "last": t["last"], "searches": t["searches"],
        "ethnicity_not_stated": not_stated, "residents_area": residents.area_name,
        "residents_source": residents.source, "groups": groups,
    }
