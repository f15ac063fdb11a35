"""The force-crimes format (force_crimes.py) on the engine's vectorised path: the same checks, the
same reasons and the same keys as the row path, for a whole file at once.

A plain file (UTF-8, no quotes, carriage returns, NUL bytes or blank lines after the header, every
row with the header's number of fields) is split by pyarrow's CSV reader; any other goes through
``parse_lines`` (rows with the wrong number of fields are row errors there). Every value is trimmed
as the row path trims (pyarrow). Then, in DuckDB, one query types every row, joins the offence and
LSOA lookups and gives each row its first failing check in the row path's order (a small column,
with the grid reference for longitude and latitude); the reasons are worded for the failing rows
only; and the good rows go into ``crimes`` in one INSERT, straight from the text columns, that
skips keys already loaded and keeps the first row (in line order) of a reference repeated in the
file, as the row path does. No typed copy of the file is held in Python.
``force_crimes_format(force, bulk=True)`` selects this path;
tests/test_ingest_force_crimes_bulk.py checks it loads and quarantines exactly what the row path
does, for plain and awkward files.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from functools import lru_cache
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from paragon.geography.bng import bng_to_lonlat
from paragon.geography.lpus import west_midlands_lsoas
from paragon.ingest.bulk_common import (
    DATE_PATTERN,
    LSOA_PATTERN,
    empty_table,
    raw_lines,
    read_checked,
    shown,
    sql_list,
)
from paragon.ingest.engine import BulkContext, IngestReport, Source
from paragon.ingest.offences import offence_codes
from paragon.ingest.policeuk.bulk import quarantine_rows
from paragon.ingest.policeuk.lines import Parsed

FLAG_TRUE = ("Y", "YES", "TRUE", "1")
FLAG_FALSE = ("", "N", "NO", "FALSE", "0")


def _date(text: str, checked: bool = False) -> str:
    """The date a text holds, NULL if none; ``checked``: the text is known to be one (a row
    that passed the checks), so the pattern need not be matched again."""
    value = f"coalesce(try_cast({text} AS DATE), try_strptime({text}, '%Y%m%d')::DATE)"
    if checked:
        return value
    return f"CASE WHEN regexp_matches({text}, '{DATE_PATTERN}') THEN {value} END"


def _checks(outcome_types: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(column, bad, reason) in the order the row path (force_crimes.to_record) checks them."""
    checks = [
        ("crime_reference", "reference IS NULL", "'crime_reference is empty'"),
        ("recorded_date", "recorded_txt IS NULL", "'recorded_date is empty'"),
        ("recorded_date", "recorded_date IS NULL",
         f"'recorded_date ' || {shown('recorded_txt')} || ' is not a date (YYYY-MM-DD)'"),
        ("offence_code", "offence_code IS NULL", "'offence_code is empty'"),
        ("offence_code", "offence_group IS NULL",
         f"'unknown Home Office offence code ' || {shown('offence_code', 20)}"),
        ("lsoa_code", f"lsoa_code IS NOT NULL AND NOT regexp_matches(lsoa_code, '{LSOA_PATTERN}')",
         f"'lsoa_code ' || {shown('lsoa_code')} || ' is not an LSOA code (E01nnnnnn)'"),
    ]
    for column, hi in (("easting", 700_000), ("northing", 1_300_000)):
        checks += [
            (column, f"{column}_txt IS NOT NULL AND {column} IS NULL",
             f"'{column} ' || {shown(column + '_txt')} || ' is not a number'"),
            (column, f"{column} IS NOT NULL AND NOT ({column} BETWEEN 0 AND {hi})",
             f"'{column} ' || left({column}_txt, 40) || ' is out of range (0 to {hi})'"),
        ]
    checks += [
        ("northing", "easting IS NOT NULL AND northing IS NULL",
         "'easting and northing go together'"),
        ("easting", "easting IS NULL AND northing IS NOT NULL",
         "'easting and northing go together'"),
        ("outcome_type",
         f"outcome_type IS NOT NULL AND outcome_type NOT IN {sql_list(outcome_types)}",
         f"'unknown outcome type ' || {shown('outcome_type')}"),
        ("outcome_date", "outcome_txt IS NOT NULL AND outcome_date IS NULL",
         f"'outcome_date ' || {shown('outcome_txt')} || ' is not a date (YYYY-MM-DD)'"),
        ("outcome_date", "(outcome_type IS NULL) <> (outcome_date IS NULL)",
         "'outcome_type and outcome_date go together'"),
        ("outcome_date", "outcome_date < recorded_date", "'outcome_date is before recorded_date'"),
    ]
    for flag in ("hate_flag", "business_flag", "domestic_flag"):
        checks.append((flag, f"{flag} IS NULL",
                       f"'{flag} ' || {shown('upper(' + flag + '_txt)')} || ' is not Y or N'"))
    return checks


ALIASES = {  # alias -> header column
    "reference": "crime_reference",
    "recorded_txt": "recorded_date",
    "code_txt": "offence_code",
    "hate_flag_txt": "hate_flag",
    "business_flag_txt": "business_flag",
    "domestic_flag_txt": "domestic_flag",
    "lsoa_txt": "lsoa_code",
    "location": "location",
    "easting_txt": "easting",
    "northing_txt": "northing",
    "outcome_type_txt": "outcome_type",
    "outcome_txt": "outcome_date",
}


def _flag(text: str) -> str:
    value = f"upper(coalesce({text}, ''))"
    return (f"CASE WHEN {value} IN {sql_list(FLAG_TRUE)} THEN true "
            f"WHEN {value} IN {sql_list(FLAG_FALSE)} THEN false END")


def _typed(force: str, extra: str = "", checked: bool = False) -> str:
    """Every row of ``_fc_named`` trimmed as the row path trims, typed, and joined to the offence
    and LSOA lookups; ``extra`` names more columns of ``_fc_named`` to keep."""
    texts = ", ".join(f"nullif({a}, '') AS {a}" for a in ALIASES)  # trimmed by bulk_common.trimmed
    key = "'force:" + force.replace("'", "''") + ":' || reference"
    return f"""
        SELECT t.*, {key} AS crime_key,
               {_date('recorded_txt', checked)} AS recorded_date,
               code_txt AS offence_code, o.offence_group, o.offence_subgroup, o.category,
               lsoa_txt AS lsoa_code, l.lsoa_name, l.neighbourhood_id, l.lpu_id,
               try_cast(easting_txt AS DOUBLE) AS easting,
               try_cast(northing_txt AS DOUBLE) AS northing,
               outcome_type_txt AS outcome_type, {_date('outcome_txt', checked)} AS outcome_date,
               {_flag('hate_flag_txt')} AS hate_flag,
               {_flag('business_flag_txt')} AS business_flag,
               {_flag('domestic_flag_txt')} AS domestic_flag
        FROM (SELECT line_number, {texts}/*extra*/ FROM _fc_named) t
        LEFT JOIN _fc_offences o ON o.code = t.code_txt
        LEFT JOIN _fc_lsoas l ON l.code = t.lsoa_txt""".replace("/*extra*/", extra)


def check_sql(force: str, outcome_types: tuple[str, ...]) -> str:
    """For every row of ``_fc_named``, in order: the index of its first failing check in the row
    path's order (``_check``, NULL for a good row) and its grid reference as numbers."""
    checks = _checks(outcome_types)
    first = "CASE " + " ".join(f"WHEN {bad} THEN {i}" for i, (_, bad, _) in enumerate(checks))
    return (f"SELECT {first} END::TINYINT AS _check, easting, northing "
            f"FROM ({_typed(force)}) ORDER BY line_number")


def reason_sql(force: str, outcome_types: tuple[str, ...]) -> str:
    """Line, column and reason of the rows of ``_fc_named`` whose ``_check`` is set."""
    checks = _checks(outcome_types)
    reason = "CASE _check " + " ".join(f"WHEN {i} THEN {r}" for i, (_, _, r) in enumerate(checks))
    columns = "[" + ", ".join(f"'{c}'" for c, _, _ in checks) + "]"
    return (f"SELECT line_number, {columns}[_check + 1] AS column_name, {reason} END AS reason "
            f"FROM ({_typed(force, ', _check')}) WHERE _check IS NOT NULL "
            "ORDER BY line_number")


def verdict_sql(force: str, outcome_types: tuple[str, ...]) -> str:
    """Each row of ``_fc_named`` typed, with its first failing check (``reason``,
    ``column_name``); ``_fc_named`` must already hold ``_check`` (from :func:`check_sql`) and
    ``longitude``/``latitude``."""
    del outcome_types  # the checks were made by check_sql
    return _typed(force, ", _check, longitude, latitude", checked=True)


INSERT_SQL = """
    INSERT INTO crimes BY NAME
    SELECT crime_key, 'force' AS source, ? AS force, reference AS crime_reference,
           date_trunc('month', recorded_date)::DATE AS month, recorded_date, offence_code,
           offence_group, offence_subgroup, category, hate_flag AS is_hate,
           business_flag AS is_business, domestic_flag AS is_domestic, lsoa_code, lsoa_name,
           neighbourhood_id, lpu_id, location, longitude, latitude, easting AS bng_x,
           northing AS bng_y, outcome_type, outcome_date, ? AS ingest_id
    FROM ({verdict}) v
    WHERE _check IS NULL {check}
    {first}"""
FIRST_OF_REPEATS = "QUALIFY row_number() OVER (PARTITION BY crime_key ORDER BY line_number) = 1"


@lru_cache(maxsize=1)
def _offences() -> pa.Table:
    codes = offence_codes()
    return pa.table({
        "code": list(codes),
        "offence_group": [o.group for o in codes.values()],
        "offence_subgroup": [o.subgroup for o in codes.values()],
        "category": [o.category for o in codes.values()],
    })


@lru_cache(maxsize=1)
def _lsoas() -> pa.Table:
    lsoas = west_midlands_lsoas()
    return pa.table({
        "code": [x.lsoa_code for x in lsoas],
        "lsoa_name": [x.lsoa_name for x in lsoas],
        "neighbourhood_id": [x.neighbourhood_id for x in lsoas],
        "lpu_id": [x.lpu_id for x in lsoas],
    })


def _lonlat(checked: pa.Table) -> tuple[pa.Array, pa.Array]:
    """Longitude/latitude (6 decimals) from the grid references of the good rows."""
    x = checked["easting"].to_numpy(zero_copy_only=False).astype(float)
    y = checked["northing"].to_numpy(zero_copy_only=False).astype(float)
    good = checked["_check"].is_null().to_numpy(zero_copy_only=False) & ~np.isnan(x) & ~np.isnan(y)
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    lon[good], lat[good] = bng_to_lonlat(x[good], y[good])
    return (pa.array(np.round(lon, 6), pa.float64(), mask=~good),
            pa.array(np.round(lat, 6), pa.float64(), mask=~good))


class ForceCrimesLoader:
    """The engine's BulkLoader for one force's crime records."""

    def __init__(self, force: str, columns: tuple[str, ...], outcome_types: tuple[str, ...]):
        self.force = force
        self.columns = columns
        self.outcome_types = outcome_types

    def prepare(self, data: bytes, source: Source) -> Parsed:
        return read_checked(data, source, "force-crimes", self.columns)

    def load(self, con: duckdb.DuckDBPyConnection, prepared: Any, ctx: BulkContext,
             report: IngestReport) -> None:
        assert isinstance(prepared, Parsed)
        parsed = prepared
        named = pa.table({
            "line_number": parsed.table["line_number"],
            **{a: parsed.table[f"c{parsed.header.index(c)}"] for a, c in ALIASES.items()},
        })
        numbers = named["line_number"]
        if len(numbers) > 1 and not pc.all(pc.less(numbers[:-1], numbers[1:])).as_py():
            named = named.sort_by("line_number")  # rows parsed one by one come last
        try:
            con.register("_fc_offences", _offences())
            con.register("_fc_lsoas", _lsoas())
            con.register("_fc_named", named)
            checked = con.sql(check_sql(self.force, self.outcome_types)).to_arrow_table()
            lon, lat = _lonlat(checked)
            named = named.append_column("_check", checked["_check"])
            named = named.append_column("longitude", lon).append_column("latitude", lat)
            del checked, lon, lat
            con.unregister("_fc_named")
            con.register("_fc_named", named)
            failed = con.sql(reason_sql(self.force, self.outcome_types)).fetchall()
            bad = sorted([*parsed.bad, *failed])
            check = "" if not ctx.careful and _empty(con) else (
                "AND NOT EXISTS (SELECT 1 FROM crimes t WHERE t.crime_key = v.crime_key)")
            good_refs = con.sql("SELECT count(*), count(DISTINCT reference) FROM _fc_named "
                                "WHERE _check IS NULL").fetchall()[0]
            repeats = good_refs[1] < good_refs[0]
            sql = INSERT_SQL.format(verdict=verdict_sql(self.force, self.outcome_types),
                                    check=check, first=FIRST_OF_REPEATS if repeats else "")
            loaded = con.execute(sql, [self.force, ctx.ingest_id]).fetchall()[0][0]
            report.rows_read = parsed.rows_read
            report.rows_quarantined = len(bad)
            report.rows_loaded = int(loaded)
            report.rows_duplicate = report.rows_read - report.rows_quarantined - report.rows_loaded
            report.reasons = Counter(reason for _, _, reason in bad)
            if report.rows_duplicate:
                report.reasons["duplicate"] = report.rows_duplicate
            if ctx.keep_quarantine and bad:
                raw_lines(parsed, ctx.source)
                quarantine_rows(con, ctx, parsed, bad)
            if parsed.encoding != "utf-8":
                report.message = f"decoded as {parsed.encoding}"
        finally:
            with suppress(duckdb.Error):  # after an error the transaction rolls back anyway
                for view in ("_fc_named", "_fc_offences", "_fc_lsoas", "_fc_bad"):
                    con.unregister(view)


def _empty(con: duckdb.DuckDBPyConnection) -> bool:
    """No crime records at all yet: every key is new, so the insert needs no per-key check."""
    return empty_table(con, "crimes")
