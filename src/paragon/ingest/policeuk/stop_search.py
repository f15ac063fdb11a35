"""data.police.uk stop-and-search files into ``stop_search`` (docs/ingest.md#stop-and-search).

The force is only in the file name (``2020-01-essex-stop-and-search.csv``), and so is the month the
file publishes. ``Date`` carries a UTC offset and is stored as TIMESTAMPTZ.
"""

from __future__ import annotations

from paragon.errors import IngestError
from paragon.ingest.engine import Format, Source
from paragon.ingest.policeuk import checks
from paragon.ingest.policeuk.bulk import CONTENT, Check, Spec, Target, bulk_format, literal
from paragon.ingest.policeuk.vocab import parse_file_name

COLUMNS = (
    "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude",
    "Longitude", "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity",
    "Legislation", "Object of search", "Outcome", "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)
SEARCH_TYPES = ("Person search", "Vehicle search", "Person and Vehicle search")
OFFSET = "([+-][0-9]{2}:?[0-9]{2}|Z)$"
BOOLEANS = {
    "in_operation": ("in_operation_txt", "Part of a policing operation"),
    "linked": ("linked_txt", "Outcome linked to object of search"),
    "removal": ("removal_txt", "Removal of more than just outer clothing"),
}


def file_values(source: Source) -> dict[str, str | None]:
    parsed = parse_file_name(source.name)
    if parsed is None or parsed[2] != "stop-and-search":
        raise IngestError(
            f"{source.name}: cannot tell the force from the file name: stop-and-search files are "
            "named YYYY-MM-<force>-stop-and-search.csv, as data.police.uk publishes them"
        )
    return {"file_month": parsed[0], "file_force": parsed[1]}


def _boolean(alias: str, text: str, column: str) -> tuple[str, Check]:
    typed = f"CASE lower({text}) WHEN 'true' THEN true WHEN 'false' THEN false END"
    return typed, Check(column, f"{text} IS NOT NULL AND {alias} IS NULL",
                        f"'{column} ' || {checks.shown(text)} || ' is not True or False'")


def _occurred() -> tuple[str, list[Check]]:
    typed = "try_cast(date_txt AS TIMESTAMPTZ)"
    return typed, [
        checks.required("date_txt", "Date"),
        Check("Date", f"occurred_at IS NULL OR NOT regexp_matches(date_txt, '{OFFSET}')",
              f"'Date ' || {checks.shown('date_txt')} || ' is not a time with a UTC offset'"),
    ]


def _spec() -> Spec:
    occurred, date_checks = _occurred()
    coordinates, coordinate_checks = checks.coordinates("lonlat")
    typed = {"force": "file_force", "month": "CAST(file_month || '-01' AS DATE)",
             "occurred_at": occurred, **coordinates}
    rules: list[Check] = [
        Check("Type", f"search_type IS NULL OR search_type NOT IN "
              f"({', '.join(literal(t) for t in SEARCH_TYPES)})",
              "CASE WHEN search_type IS NULL THEN 'Type is empty' "
              f"ELSE 'unknown search type ' || {checks.shown('search_type')} END"),
        *date_checks,
    ]
    for alias, (text, column) in BOOLEANS.items():
        typed[alias], check = _boolean(alias, text, column)
        rules.append(check)
    rules += coordinate_checks
    passthrough = ("gender", "age_range", "self_defined_ethnicity", "officer_defined_ethnicity",
                   "legislation", "object_of_search", "outcome")
    columns = {
        "force": "v.force", "search_type": "v.search_type", "occurred_at": "v.occurred_at",
        "month": "v.month",
        "part_of_policing_operation": "v.in_operation",
        "policing_operation": "v.policing_operation", "longitude": "v.longitude",
        "latitude": "v.latitude", "bng_x": "v.bng_x", "bng_y": "v.bng_y",
        **{name: f"v.{name}" for name in passthrough},
        "outcome_linked_to_object": "v.linked", "removal_of_outer_clothing": "v.removal",
    }
    key = f"'policeuk:' || v.force || ':' || {CONTENT}"
    fields = dict(zip(
        ("search_type", "date_txt", "in_operation_txt", "policing_operation", "lat_txt",
         "lon_txt", *passthrough[:6], "outcome", "linked_txt", "removal_txt"),
        COLUMNS, strict=True,
    ))
    return Spec(
        kind="stop-search",
        columns=COLUMNS,
        fields=fields,
        typed=typed,
        checks=tuple(rules),
        targets=(Target("stop_search", "stop_key", key, "true", columns),),
        coordinates="lonlat",
        places=False,  # stop_search stores no LSOA
        file_values=file_values,
        notes={"no location": "longitude"},
    )


def stop_search_format() -> Format:
    return bulk_format(
        _spec(), "stop_search", "stop_key",
        detect=lambda header: "Object of search" in header or "Legislation" in header)
