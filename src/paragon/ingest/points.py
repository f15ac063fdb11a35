"""Point files: the police.uk crimes analysts pass around after R or pandas has been at them
(docs/ingest.md#points).

A points file has a month, a police.uk crime type and coordinates, under whatever spelling the tool
gave them: ``Month``/``month``, ``Crime.type``/``crime_type``/``Crime type``,
``Longitude``/``longitude``, ``Latitude``/``latitude``. Optional columns are used when present:
``Crime ID``, ``Location``, ``LSOA code``, ``LSOA name``, ``Last outcome category``, ``Context``
(any of those spellings); other columns (row numbers, index columns) are ignored. R's ``NA`` is
read as empty. The file names no force, so the force is given (``--force``, or the plan's).

Month is YYYY-MM, or a date (YYYY-MM-DD) whose month is taken. A file without a crime-type column
(e.g. one crime type per file) needs the type named (``--crime-type``). Rows with a Crime ID keep
police.uk's key (``policeuk:<id>``), so the same crime from a street file and a points file is
loaded once; rows without one are keyed by their content. A located row without an LSOA gets one by
point-in-polygon and nearest centroid (geography.place), like the 2011 schema.

The file goes through the same vectorised path as the police.uk formats (policeuk/bulk.py): the
Spec is built for each file from its own header.

The crime types a file holds are recorded by force and month (``points_categories``): a month of
a points file covers the measures whose crime types it holds, not the others
(docs/methods.md#coverage).
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from paragon.errors import IngestError
from paragon.geography.forces import check_force
from paragon.ingest.engine import BulkContext, Format, IngestReport, Source
from paragon.ingest.policeuk import checks
from paragon.ingest.policeuk.bulk import CONTENT, Check, Prepared, Spec, SqlLoader, Target, literal
from paragon.ingest.policeuk.geo import AREA_JOIN
from paragon.ingest.policeuk.lines import parse_lines
from paragon.ingest.policeuk.vocab import ASB, CATEGORIES

KIND = "points"

# normalised header name -> the field alias the spec uses
NAMES: dict[str, str] = {
    "month": "month_txt",
    "crime_type": "crime_type",
    "longitude": "lon_txt",
    "latitude": "lat_txt",
    "crime_id": "crime_id",
    "location": "location",
    "lsoa_code": "lsoa_code",
    "lsoa_name": "lsoa_name",
    "last_outcome_category": "outcome_txt",
    "context": "context",
}
REQUIRED = ("month_txt", "lon_txt", "lat_txt")
SHOWN = {"month_txt": "Month", "crime_type": "Crime type", "lon_txt": "Longitude",
         "lat_txt": "Latitude", "lsoa_code": "LSOA code", "outcome_txt": "Last outcome category"}


def normalise(column: str) -> str:
    """'Crime.type', 'crime_type', 'Crime type' -> 'crime_type'."""
    return re.sub(r"[^a-z0-9]+", "_", column.strip().lower()).strip("_")


def header_fields(header: list[str]) -> dict[str, str]:
    """alias -> the file's column for each column the points format uses."""
    found: dict[str, str] = {}
    for column in header:
        alias = NAMES.get(normalise(column))
        if alias is None:
            continue
        if alias in found:
            raise IngestError(f"columns '{found[alias]}' and '{column}' are the same field")
        found[alias] = column
    return found


def detect(header: list[str]) -> bool:
    names = {normalise(c) for c in header}
    return {"month", "crime_type", "longitude", "latitude"} <= names


def _month(text: str, column: str) -> tuple[str, Check]:
    typed = (f"CASE WHEN strlen({text}) = 7 THEN try_cast({text} || '-01' AS DATE) "
             f"WHEN strlen({text}) = 10 THEN date_trunc('month', try_cast({text} AS DATE))::DATE "
             "END")
    reason = (f"CASE WHEN {text} IS NULL THEN '{column} is empty' ELSE '{column} ' || "
              f"{checks.shown(text)} || ' is not a month (YYYY-MM or YYYY-MM-DD)' END")
    return typed, Check(column, "month IS NULL", reason)


def points_spec(fields: dict[str, str], force: str) -> Spec:
    """The bulk Spec for one file, from the columns it has."""
    shown = {alias: fields.get(alias, SHOWN.get(alias, alias)) for alias in NAMES.values()}
    month, month_check = _month("month_txt", shown["month_txt"])
    category, category_check, categories = checks.category("crime_type", shown["crime_type"])
    lon, lon_checks = checks.number("lon_txt", "longitude", shown["lon_txt"], *checks.LON_RANGE)
    lat, lat_checks = checks.number("lat_txt", "latitude", shown["lat_txt"], *checks.LAT_RANGE)
    coordinates = {"longitude": lon, "latitude": lat}
    coordinate_checks = [*lon_checks, *lat_checks,
                         checks.pair("longitude", "latitude", shown["lon_txt"], shown["lat_txt"])]
    typed = {"month": month, "force": literal(force), **coordinates, "category": category}
    rules: list[Check] = [month_check, *coordinate_checks, category_check]
    lookups = [categories]
    columns = {
        "source": "'policeuk'", "force": "v.force", "month": "v.month",
        "lsoa_code": "v.lsoa_code", "lsoa_name": "v.lsoa_name",
        "neighbourhood_id": "a.area_neighbourhood", "lpu_id": "a.area_lpu",
        "location": "v.location" if "location" in fields else "NULL",
        "longitude": "v.longitude", "latitude": "v.latitude", "bng_x": "v.bng_x",
        "bng_y": "v.bng_y", "context": "v.context" if "context" in fields else "NULL",
    }
    if "lsoa_code" in fields:
        rules.append(checks.lsoa("lsoa_code", shown["lsoa_code"]))
    crime_columns = {**columns, "category": "v.category"}
    if "outcome_txt" in fields:
        outcome, outcome_check, outcomes = checks.outcome("outcome_txt", shown["outcome_txt"],
                                                          required=False)
        typed["outcome_type"] = outcome
        rules.append(outcome_check)
        lookups.append(outcomes)
        crime_columns |= {"last_outcome": "v.outcome_txt", "outcome_type": "v.outcome_type"}
    content_key = (f"'points:' || v.force || ':' || strftime(v.month, '%Y-%m') || ':' || "
                   f"{CONTENT}")
    if "crime_id" in fields:
        crime_columns["crime_reference"] = "v.crime_id"
        key = (f"CASE WHEN v.crime_id IS NOT NULL THEN 'policeuk:' || v.crime_id "
               f"ELSE {content_key} END")
        plain = "v.crime_id IS NOT NULL"
    else:
        key, plain = content_key, "false"
    text_fields = dict(fields)
    targets = (
        Target("crimes", "crime_key", key, f"v.category <> '{ASB}'", crime_columns, plain,
               AREA_JOIN),
        Target("asb_incidents", "asb_key", content_key, f"v.category = '{ASB}'", columns,
               joins=AREA_JOIN),
    )
    return Spec(
        kind=KIND,
        columns=tuple(text_fields.values()),
        fields=text_fields,
        typed=typed,
        checks=tuple(rules),
        targets=targets,
        coordinates="lonlat",
        notes={"no location": "longitude"},
        lookups=tuple(lookups),
        after=record_categories,
    )


def record_categories(con: duckdb.DuckDBPyConnection, ingest_id: int) -> None:
    """Record the police.uk crime types the file holds, by force and month (its good rows), in
    ``points_categories``: a file of one crime type covers that type's months only
    (measures.availability), so the other crime types stay missing rather than reading zero."""
    con.execute(
        "INSERT INTO points_categories SELECT DISTINCT ?, force, month, category FROM _pu_v "
        "WHERE reason IS NULL AND force IS NOT NULL AND month IS NOT NULL "
        "AND category IS NOT NULL", [ingest_id])


class PointsLoader:
    """The engine's BulkLoader for points files: a Spec per file, then the police.uk bulk path."""

    def __init__(self, force: str, crime_type: str | None) -> None:
        self.force = force
        self.crime_type = crime_type

    def prepare(self, data: bytes, source: Source) -> tuple[SqlLoader, Prepared]:
        parsed = parse_lines(data, source.name)
        try:
            fields = header_fields(parsed.header)
        except IngestError as exc:
            raise IngestError(f"{source.name}:1: {exc.message}") from exc
        missing = [SHOWN[a] for a in REQUIRED if a not in fields]
        if "crime_type" not in fields and self.crime_type is None:
            missing.append("Crime type (or name it with --crime-type)")
        if missing:
            raise IngestError(
                f"{source.name}:1: not a points file: no column for {', '.join(missing)} "
                f"(columns: {', '.join(parsed.header[:12])})"
            )
        table = parsed.table
        for column in fields.values():  # R writes missing values as NA
            name = f"c{parsed.header.index(column)}"
            col = table[name]
            table = table.set_column(table.column_names.index(name), name,
                                     pc.if_else(pc.equal(col, "NA"), "", col))
        if "crime_type" not in fields:
            assert self.crime_type is not None
            parsed.header.append("(crime type given)")
            table = table.append_column(f"c{len(parsed.header) - 1}",
                                        pa.array([self.crime_type] * len(table), pa.string()))
            fields["crime_type"] = "(crime type given)"
        parsed.table = table
        loader = SqlLoader(points_spec(fields, self.force))
        return loader, Prepared(parsed, {})

    def load(self, con: duckdb.DuckDBPyConnection, prepared: Any, ctx: BulkContext,
             report: IngestReport) -> None:
        loader, inner = prepared
        loader.load(con, inner, ctx, report)


def points_format(force: str, crime_type: str | None = None) -> Format:
    """Points files for one force; ``crime_type`` for files without a crime-type column."""
    check_force(force)
    if crime_type is not None and crime_type not in CATEGORIES:
        raise IngestError(
            f"'{crime_type[:60]}' is not a police.uk crime type "
            f"(known: {', '.join(sorted(CATEGORIES))})"
        )
    return Format(
        kind=KIND,
        table="crimes",
        key_column="crime_key",
        required_columns=(),
        columns={"crime_key": pa.string()},
        detect=detect,
        bulk=PointsLoader(force, crime_type),
        skip_identical=False,  # the same file under another --force or --crime-type is new rows
    )
