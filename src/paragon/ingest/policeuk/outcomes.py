"""data.police.uk outcomes files: one row per outcome of a crime in a month, into ``outcomes``; each
crime's ``last_outcome``/``outcome_type``/``outcome_date`` in ``crimes`` follows (docs/ingest.md).

A crime's last outcome is its outcome of the latest month; within one month, the outcome at the
later stage of the justice process (``vocab.OUTCOME_STAGE``). Whichever order street and outcomes
files arrive in, the result is the same: each side applies the outcomes already loaded.
"""

from __future__ import annotations

import duckdb

from paragon.ingest.engine import Format
from paragon.ingest.policeuk import checks
from paragon.ingest.policeuk.bulk import CONTENT, Spec, Target, bulk_format, literal
from paragon.ingest.policeuk.vocab import OUTCOME_STAGE, file_force

COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Outcome type",
)

_STAGE = checks.case_map("outcome_type", {k: str(v) for k, v in OUTCOME_STAGE.items()})


def _update(con: duckdb.DuckDBPyConnection, outcomes_where: str, crimes_where: str) -> None:
    """Set the last outcome of the crimes matching ``crimes_where`` from their outcomes."""
    latest = (
        "SELECT crime_reference, arg_max({'text': outcome_text, 'type': outcome_type, "
        f"'month': month}}, strftime(month, '%Y-%m') || {_STAGE} || outcome_key) AS last "
        f"FROM outcomes WHERE {outcomes_where} GROUP BY crime_reference"
    )
    con.execute(
        f"""UPDATE crimes c SET last_outcome = o.last.text, outcome_type = o.last.type,
                                outcome_date = o.last.month
            FROM ({latest}) o
            WHERE c.source = 'policeuk' AND c.crime_reference = o.crime_reference
              AND {crimes_where}""")


def _ids(ingest_ids: list[int]) -> str:
    """SQL list of ingest ids."""
    return "(" + ", ".join(str(int(i)) for i in ingest_ids) + ")"


def _forces(con: duckdb.DuckDBPyConnection, table: str, ingest_ids: list[int]) -> str | None:
    """SQL list of the forces of the ingests' rows in ``table`` (None if it has none). A crime and
    its outcomes are published by the same force: the updates read only that force's rows, which
    the tables' zone maps skip to (files load force by force), never the whole table."""
    forces = [f for (f,) in con.execute(
        f"SELECT DISTINCT force FROM {table} WHERE ingest_id IN {_ids(ingest_ids)}").fetchall()]
    return "(" + ", ".join(literal(f) for f in forces) + ")" if forces else None


def apply_outcomes(con: duckdb.DuckDBPyConnection, ingest_id: int) -> None:
    """After a street file: give its new crimes the outcomes already loaded."""
    apply_outcomes_many(con, [ingest_id])


def apply_outcomes_many(con: duckdb.DuckDBPyConnection, ingest_ids: list[int]) -> None:
    """After street files: give their new crimes the outcomes already loaded."""
    if not con.execute("SELECT EXISTS (SELECT 1 FROM outcomes)").fetchall()[0][0]:
        return
    forces = _forces(con, "crimes", ingest_ids)
    if forces is None:
        return
    ids = _ids(ingest_ids)
    _update(con, f"force IN {forces} AND crime_reference IN "
            f"(SELECT crime_reference FROM crimes WHERE ingest_id IN {ids})",
            f"c.ingest_id IN {ids}")


def _after_outcomes(con: duckdb.DuckDBPyConnection, ingest_ids: list[int]) -> None:
    """After outcomes files: their crimes take their latest outcome."""
    forces = _forces(con, "outcomes", ingest_ids)
    if forces is None:
        return
    _update(con, f"force IN {forces} AND crime_reference IN "
            f"(SELECT crime_reference FROM outcomes WHERE ingest_id IN {_ids(ingest_ids)})",
            f"c.force IN {forces}")


def _spec() -> Spec:
    month, month_check = checks.month("month_txt", "Month")
    force, force_check, forces = checks.force()
    coordinates, coordinate_checks = checks.coordinates("lonlat")
    outcome, outcome_check, outcomes = checks.outcome("outcome_txt", "Outcome type", required=True)
    columns = {
        "crime_reference": "v.crime_id", "force": "v.force", "month": "v.month",
        "reported_by": "v.reported_by", "falls_within": "v.falls_within",
        "longitude": "v.longitude", "latitude": "v.latitude", "location": "v.location",
        "lsoa_code": "v.lsoa_code", "lsoa_name": "v.lsoa_name",
        "outcome_text": "v.outcome_txt", "outcome_type": "v.outcome_type",
    }
    key = (f"'policeuk:' || v.crime_id || ':' || strftime(v.month, '%Y-%m') || ':' || "
           f"{CONTENT}")
    return Spec(
        kind="outcomes",
        columns=COLUMNS,
        fields={"crime_id": "Crime ID", "month_txt": "Month", "reported_by": "Reported by",
                "falls_within": "Falls within", "lon_txt": "Longitude", "lat_txt": "Latitude",
                "location": "Location", "lsoa_code": "LSOA code", "lsoa_name": "LSOA name",
                "outcome_txt": "Outcome type"},
        typed={"month": month, "force": force, **coordinates, "outcome_type": outcome},
        checks=(checks.required("crime_id", "Crime ID"), month_check, force_check,
                *coordinate_checks, checks.lsoa(), outcome_check),
        targets=(Target("outcomes", "outcome_key", key, "true", columns),),
        file_values=file_force,
        after=lambda con, ingest_id: _after_outcomes(con, [ingest_id]),
        after_many=_after_outcomes,
        lookups=(forces, outcomes),
    )


def outcomes_format() -> Format:
    return bulk_format(_spec(), "outcomes", "outcome_key",
                       detect=lambda header: "Outcome type" in header)
