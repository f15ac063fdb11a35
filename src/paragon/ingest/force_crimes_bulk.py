"""The force-crimes format (force_crimes.py) on the engine's vectorised path: the same checks, the
same reasons and the same keys as the row path, for a whole file at once.

``parse_lines`` splits the file into text columns (rows with the wrong number of fields are row
errors there); one DuckDB query trims every value as the row path does, types it, joins the offence
and LSOA lookups, and gives each row its first failing check in the row path's order; the good rows
go into ``crimes`` in one INSERT that skips keys already loaded and keeps the first row (in line
order) of a reference repeated in the file, as the row path does. ``force_crimes_format(force,
bulk=True)`` selects this path; tests/test_demo.py checks it loads and quarantines exactly what the
row path does.
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
from paragon.ingest.engine import BulkContext, IngestReport, Source, check_columns
from paragon.ingest.offences import offence_codes
from paragon.ingest.policeuk.lines import Parsed, parse_lines

TRIM = "' \t\r\n\x0b\x0c'"  # what Python's str.strip() removes from these ASCII fields
FLAG_TRUE = ("Y", "YES", "TRUE", "1")
FLAG_FALSE = ("", "N", "NO", "FALSE", "0")
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$|^[0-9]{8}$"
LSOA_PATTERN = r"^[EW]01[0-9]{6}$"


def _shown(text: str, width: int = 40) -> str:
    return f"'''' || left({text}, {width}) || ''''"


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def _date(text: str) -> str:
    return (f"CASE WHEN regexp_matches({text}, '{DATE_PATTERN}') THEN coalesce("
            f"try_cast({text} AS DATE), try_strptime({text}, '%Y%m%d')::DATE) END")


def _checks(outcome_types: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(column, bad, reason) in the order the row path (force_crimes.to_record) checks them."""
    checks = [
        ("crime_reference", "reference IS NULL", "'crime_reference is empty'"),
        ("recorded_date", "recorded_txt IS NULL", "'recorded_date is empty'"),
        ("recorded_date", "recorded_date IS NULL",
         f"'recorded_date ' || {_shown('recorded_txt')} || ' is not a date (YYYY-MM-DD)'"),
        ("offence_code", "offence_code IS NULL", "'offence_code is empty'"),
        ("offence_code", "offence_group IS NULL",
         f"'unknown Home Office offence code ' || {_shown('offence_code', 20)}"),
        ("lsoa_code", f"lsoa_code IS NOT NULL AND NOT regexp_matches(lsoa_code, '{LSOA_PATTERN}')",
         f"'lsoa_code ' || {_shown('lsoa_code')} || ' is not an LSOA code (E01nnnnnn)'"),
    ]
    for column, hi in (("easting", 700_000), ("northing", 1_300_000)):
        checks += [
            (column, f"{column}_txt IS NOT NULL AND {column} IS NULL",
             f"'{column} ' || {_shown(column + '_txt')} || ' is not a number'"),
            (column, f"{column} IS NOT NULL AND NOT ({column} BETWEEN 0 AND {hi})",
             f"'{column} ' || left({column}_txt, 40) || ' is out of range (0 to {hi})'"),
        ]
    checks += [
        ("northing", "easting IS NOT NULL AND northing IS NULL",
         "'easting and northing go together'"),
        ("easting", "easting IS NULL AND northing IS NOT NULL",
         "'easting and northing go together'"),
        ("outcome_type", f"outcome_type IS NOT NULL AND outcome_type NOT IN {_in(outcome_types)}",
         f"'unknown outcome type ' || {_shown('outcome_type')}"),
        ("outcome_date", "outcome_txt IS NOT NULL AND outcome_date IS NULL",
         f"'outcome_date ' || {_shown('outcome_txt')} || ' is not a date (YYYY-MM-DD)'"),
        ("outcome_date", "(outcome_type IS NULL) <> (outcome_date IS NULL)",
         "'outcome_type and outcome_date go together'"),
        ("outcome_date", "outcome_date < recorded_date", "'outcome_date is before recorded_date'"),
    ]
    for flag in ("hate_flag", "business_flag", "domestic_flag"):
        checks.append((flag, f"{flag} IS NULL",
                       f"'{flag} ' || {_shown('upper(' + flag + '_txt)')} || ' is not Y or N'"))
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
    return (f"CASE WHEN {value} IN {_in(FLAG_TRUE)} THEN true "
            f"WHEN {value} IN {_in(FLAG_FALSE)} THEN false END")


def verdict_sql(force: str, outcome_types: tuple[str, ...]) -> str:
    """Each row of ``_fc_named`` typed, with its first failing check (``reason``, ``column_name``)."""
    texts = ", ".join(f"nullif(trim({a}, {TRIM}), '') AS {a}" for a in ALIASES)
    checks = _checks(outcome_types)
    first = "CASE " + " ".join(f"WHEN {bad} THEN {i}" for i, (_, bad, _) in enumerate(checks))
    reason = "CASE _check " + " ".join(f"WHEN {i} THEN {r}" for i, (_, _, r) in enumerate(checks))
    columns = "[" + ", ".join(f"'{c}'" for c, _, _ in checks) + "]"
    key = "'force:" + force.replace("'", "''") + ":' || reference"
    return f"""
        SELECT *, {reason} END AS reason, {columns}[_check + 1] AS column_name
        FROM (SELECT *, {first} END AS _check FROM (
            SELECT t.*, {key} AS crime_key,
                   {_date('recorded_txt')} AS recorded_date,
                   code_txt AS offence_code, o.offence_group, o.offence_subgroup, o.category,
                   lsoa_txt AS lsoa_code, l.lsoa_name, l.neighbourhood_id, l.lpu_id,
                   try_cast(easting_txt AS DOUBLE) AS easting,
                   try_cast(northing_txt AS DOUBLE) AS northing,
                   outcome_type_txt AS outcome_type, {_date('outcome_txt')} AS outcome_date,
                   {_flag('hate_flag_txt')} AS hate_flag,
                   {_flag('business_flag_txt')} AS business_flag,
                   {_flag('domestic_flag_txt')} AS domestic_flag
            FROM (SELECT line_number, {texts} FROM _fc_named) t
            LEFT JOIN _fc_offences o ON o.code = t.code_txt
            LEFT JOIN _fc_lsoas l ON l.code = t.lsoa_txt))"""


INSERT_SQL = """
    INSERT INTO crimes BY NAME
    SELECT crime_key, 'force' AS source, ? AS force, reference AS crime_reference,
           date_trunc('month', recorded_date)::DATE AS month, recorded_date, offence_code,
           offence_group, offence_subgroup, category, hate_flag AS is_hate,
           business_flag AS is_business, domestic_flag AS is_domestic, lsoa_code, lsoa_name,
           neighbourhood_id, lpu_id, location, longitude, latitude, easting AS bng_x,
           northing AS bng_y, outcome_type, outcome_date, ? AS ingest_id
    FROM _fc_v v
    WHERE reason IS NULL {check}
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


def _lonlat(rows: pa.Table) -> pa.Table:
    """Longitude/latitude (6 decimals) from the grid references of the good rows."""
    x = rows["easting"].to_numpy(zero_copy_only=False).astype(float)
    y = rows["northing"].to_numpy(zero_copy_only=False).astype(float)
    good = rows["reason"].is_null().to_numpy(zero_copy_only=False) & ~np.isnan(x) & ~np.isnan(y)
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    lon[good], lat[good] = bng_to_lonlat(x[good], y[good])
    rows = rows.append_column("longitude", pa.array(np.round(lon, 6), pa.float64(), mask=~good))
    return rows.append_column("latitude", pa.array(np.round(lat, 6), pa.float64(), mask=~good))


class ForceCrimesLoader:
    """The engine's BulkLoader for one force's crime records."""

    def __init__(self, force: str, columns: tuple[str, ...], outcome_types: tuple[str, ...]):
        self.force = force
        self.columns = columns
        self.outcome_types = outcome_types

    def prepare(self, data: bytes, source: Source) -> Parsed:
        parsed = parse_lines(data, source.name)
        check_columns(source.name, parsed.header, "force-crimes", self.columns)
        return parsed

    def load(self, con: duckdb.DuckDBPyConnection, prepared: Any, ctx: BulkContext,
             report: IngestReport) -> None:
        assert isinstance(prepared, Parsed)
        parsed = prepared
        named = pa.table({
            "line_number": parsed.table["line_number"],
            **{a: parsed.table[f"c{parsed.header.index(c)}"] for a, c in ALIASES.items()},
        })
        try:
            con.register("_fc_named", named)
            con.register("_fc_offences", _offences())
            con.register("_fc_lsoas", _lsoas())
            rows = _lonlat(con.sql(verdict_sql(self.force, self.outcome_types)).to_arrow_table())
            con.register("_fc_v", rows)
            failed = rows.filter(rows["reason"].is_valid())
            bad = sorted([*parsed.bad, *zip(failed["line_number"].to_pylist(),
                                            failed["column_name"].to_pylist(),
                                            failed["reason"].to_pylist(), strict=True)])
            check = "" if not ctx.careful and _empty(con) else (
                "AND NOT EXISTS (SELECT 1 FROM crimes t WHERE t.crime_key = v.crime_key)")
            good = rows.filter(rows["reason"].is_null())["crime_key"]
            repeats = pc.count_distinct(good).as_py() < len(good)
            sql = INSERT_SQL.format(check=check, first=FIRST_OF_REPEATS if repeats else "")
            loaded = con.execute(sql,
                                 [self.force, ctx.ingest_id]).fetchall()[0][0]
            report.rows_read = parsed.rows_read
            report.rows_quarantined = len(bad)
            report.rows_loaded = int(loaded)
            report.rows_duplicate = report.rows_read - report.rows_quarantined - report.rows_loaded
            report.reasons = Counter(reason for _, _, reason in bad)
            if report.rows_duplicate:
                report.reasons["duplicate"] = report.rows_duplicate
            if ctx.keep_quarantine and bad:
                _quarantine(con, ctx, parsed, bad)
            if parsed.encoding != "utf-8":
                report.message = f"decoded as {parsed.encoding}"
        finally:
            with suppress(duckdb.Error):  # after an error the transaction rolls back anyway
                for view in ("_fc_named", "_fc_offences", "_fc_lsoas", "_fc_v", "_fc_bad"):
                    con.unregister(view)


def _empty(con: duckdb.DuckDBPyConnection) -> bool:
    """No crime records at all yet: every key is new, so the insert needs no per-key check."""
    return not con.execute("SELECT EXISTS (SELECT 1 FROM crimes)").fetchall()[0][0]


def _quarantine(con: duckdb.DuckDBPyConnection, ctx: BulkContext, parsed: Parsed,
                bad: list[tuple[int, str | None, str]]) -> None:
    lines = [line for line, _, _ in bad]
    con.register("_fc_bad", pa.table({
        "ingest_id": pa.array([ctx.ingest_id] * len(bad), pa.int64()),
        "file_name": pa.array([ctx.source.name] * len(bad), pa.string()),
        "line_number": pa.array(lines, pa.int64()),
        "column_name": pa.array([column for _, column, _ in bad], pa.string()),
        "reason": pa.array([reason for _, _, reason in bad], pa.string()),
        "raw_text": pa.array([parsed.raw(line) for line in lines], pa.string()),
    }))
    con.execute("INSERT INTO quarantine BY NAME SELECT * FROM _fc_bad")
