"""SQL building blocks shared by the police.uk formats: typed values and the checks on them.

Every builder returns SQL over the named text fields of ``bulk.verdict_sql`` ('' as NULL, values as
published: not trimmed). Vocabularies (forces, crime types, outcomes) are small Arrow tables joined
by the verdict query (:class:`bulk.Lookup`). Reasons follow ``ingest/fields.py``: "Month '2021-13'
is not a month (YYYY-MM)".
"""

from __future__ import annotations

from functools import lru_cache

import pyarrow as pa

from paragon.ingest.policeuk.bulk import Check, Lookup, literal
from paragon.ingest.policeuk.vocab import CATEGORIES, FORCES, OUTCOMES

LON_RANGE = (-11.0, 3.0)  # the United Kingdom, with a margin
LAT_RANGE = (49.0, 61.5)
EASTING_RANGE = (0.0, 700_000.0)
NORTHING_RANGE = (0.0, 1_300_000.0)


def shown(alias: str) -> str:
    """SQL for a value quoted in a reason: 'abc' (at most 40 characters)."""
    return f"'''' || left({alias}, 40) || ''''"


def case_map(expr: str, mapping: dict[str, str]) -> str:
    """CASE expr WHEN key THEN value ... END (NULL when no key matches): for short mappings."""
    whens = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in mapping.items())
    return f"CASE {expr} {whens} END"


def month(text: str, column: str) -> tuple[str, Check]:
    """A YYYY-MM month as the DATE of its first day."""
    typed = f"CASE WHEN strlen({text}) = 7 THEN try_cast({text} || '-01' AS DATE) END"
    reason = (f"CASE WHEN {text} IS NULL THEN '{column} is empty' "
              f"ELSE '{column} ' || {shown(text)} || ' is not a month (YYYY-MM)' END")
    return typed, Check(column, "month IS NULL", reason)


def number(text: str, alias: str, column: str, lo: float, hi: float) -> tuple[str, list[Check]]:
    """An optional number within [lo, hi]."""
    typed = f"try_cast({text} AS DOUBLE)"
    return typed, [
        Check(column, f"{text} IS NOT NULL AND {alias} IS NULL",
              f"'{column} ' || {shown(text)} || ' is not a number'"),
        Check(column, f"{alias} IS NOT NULL AND NOT ({alias} BETWEEN {lo} AND {hi})",
              f"'{column} ' || {shown(text)} || ' is out of range ({lo:g} to {hi:g})'"),
    ]


def pair(a: str, b: str, column_a: str, column_b: str) -> Check:
    """Two coordinates that are given together or not at all."""
    return Check(column_b, f"({a} IS NULL) <> ({b} IS NULL)",
                 f"'{column_a} and {column_b} go together'")


def coordinates(kind: str) -> tuple[dict[str, str], list[Check]]:
    """Typed pair and checks for 'lonlat' (Longitude/Latitude) or 'bng' (Easting/Northing)."""
    if kind == "lonlat":
        names = (("longitude", "lon_txt", "Longitude", LON_RANGE),
                 ("latitude", "lat_txt", "Latitude", LAT_RANGE))
    else:
        names = (("bng_x", "easting_txt", "Easting", EASTING_RANGE),
                 ("bng_y", "northing_txt", "Northing", NORTHING_RANGE))
    typed: dict[str, str] = {}
    checks: list[Check] = []
    for alias, text, column, (lo, hi) in names:
        typed[alias], more = number(text, alias, column, lo, hi)
        checks += more
    checks.append(pair(names[0][0], names[1][0], names[0][2], names[1][2]))
    return typed, checks


def lsoa(text: str = "lsoa_code", column: str = "LSOA code") -> Check:
    pattern = "'[EW]01[0-9]{6}'"
    return Check(column, f"{text} IS NOT NULL AND NOT regexp_full_match({text}, {pattern})",
                 f"'{column} ' || {shown(text)} || ' is not an LSOA code (E01nnnnnn)'")


@lru_cache(maxsize=1)
def _forces() -> pa.Table:
    names = {name.lower(): slug for slug, name in FORCES.items()}
    names |= {k.replace("&", "and"): v for k, v in names.items()}
    names |= {k.replace(" and ", " & "): v for k, v in names.items()}
    return pa.table({"lookup_name": list(names), "lookup_slug": list(names.values())})


@lru_cache(maxsize=1)
def _categories() -> pa.Table:
    return pa.table({"lookup_published": list(CATEGORIES),
                     "lookup_category": list(CATEGORIES.values())})


@lru_cache(maxsize=1)
def _outcomes() -> pa.Table:
    return pa.table({"lookup_text": list(OUTCOMES), "lookup_outcome": list(OUTCOMES.values())})


def force(reported_by: str = "reported_by", column: str = "Reported by") -> tuple[
        str, Check, Lookup]:
    """The force slug from the force's name in 'Reported by' (any case, '&' or 'and'); from the
    file name when 'Reported by' is empty."""
    lookup = Lookup("_pu_forces", _forces,
                    f"LEFT JOIN _pu_forces ON lookup_name = lower(n.{reported_by})")
    typed = f"CASE WHEN {reported_by} IS NULL THEN file_force ELSE lookup_slug END"
    reason = (f"CASE WHEN {reported_by} IS NULL THEN "
              f"'{column} is empty and the file name names no police.uk force' "
              f"ELSE 'unknown force ' || {shown(reported_by)} END")
    return typed, Check(column, "force IS NULL", reason), lookup


def category(text: str = "crime_type", column: str = "Crime type") -> tuple[str, Check, Lookup]:
    """The stored category of a published crime type (vocab.CATEGORIES)."""
    lookup = Lookup("_pu_categories", _categories,
                    f"LEFT JOIN _pu_categories ON lookup_published = n.{text}")
    reason = (f"CASE WHEN {text} IS NULL THEN '{column} is empty' "
              f"ELSE 'unknown crime type ' || {shown(text)} END")
    return "lookup_category", Check(column, "category IS NULL", reason), lookup


def outcome(text: str, column: str, *, required: bool) -> tuple[str, Check, Lookup]:
    """A police.uk outcome text to its Paragon outcome type (case and runs of spaces ignored)."""
    normal = (f"lower(CASE WHEN contains(n.{text}, '  ') "
              f"THEN regexp_replace(n.{text}, ' +', ' ', 'g') ELSE n.{text} END)")
    lookup = Lookup("_pu_outcomes", _outcomes, f"LEFT JOIN _pu_outcomes ON lookup_text = {normal}")
    bad = "outcome_type IS NULL" if required else f"{text} IS NOT NULL AND outcome_type IS NULL"
    reason = (f"CASE WHEN {text} IS NULL THEN '{column} is empty' "
              f"ELSE 'unknown outcome ' || {shown(text)} END")
    return "lookup_outcome", Check(column, bad, reason), lookup


def required(text: str, column: str) -> Check:
    return Check(column, f"{text} IS NULL", f"'{column} is empty'")
