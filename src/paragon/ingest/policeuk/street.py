"""data.police.uk street-level files: crimes into ``crimes``, anti-social behaviour into
``asb_incidents`` (docs/ingest.md#street).

Two schemas: the current one (12 columns, longitude/latitude, Crime ID, LSOA, last outcome) and the
2011 one (Easting/Northing in British National Grid, no Crime ID, LSOA or outcome).
"""

from __future__ import annotations

from paragon.ingest.engine import Format
from paragon.ingest.policeuk import checks
from paragon.ingest.policeuk.bulk import CONTENT, Check, Spec, Target, bulk_format
from paragon.ingest.policeuk.geo import AREA_JOIN
from paragon.ingest.policeuk.outcomes import apply_outcomes, apply_outcomes_many
from paragon.ingest.policeuk.vocab import ASB, file_force

COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)
COLUMNS_2011 = (
    "Month", "Reported by", "Falls within", "Easting", "Northing", "Location", "Crime type",
    "Context",
)
CONTENT_KEY = (f"'policeuk:' || v.force || ':' || strftime(v.month, '%Y-%m') || ':' || "
               f"{CONTENT}")


def _place_columns(located: bool) -> dict[str, str]:
    """Columns shared by crimes and asb_incidents (``located``: with LSOA, neighbourhood, LPU)."""
    lsoa = {"lsoa_code": "v.lsoa_code", "lsoa_name": "v.lsoa_name",
            "neighbourhood_id": "a.area_neighbourhood", "lpu_id": "a.area_lpu"} if located else {}
    return {
        "source": "'policeuk'", "force": "v.force", "month": "v.month",
        "reported_by": "v.reported_by", "falls_within": "v.falls_within", **lsoa,
        "location": "v.location", "longitude": "v.longitude", "latitude": "v.latitude",
        "bng_x": "v.bng_x", "bng_y": "v.bng_y", "context": "v.context",
    }


def _targets(current: bool) -> tuple[Target, Target]:
    place = _place_columns(True)  # 2011 rows get an LSOA by geography.place
    crime_columns = {**place, "category": "v.category"}
    if current:
        crime_columns |= {"crime_reference": "v.crime_id", "last_outcome": "v.outcome_txt",
                          "outcome_type": "v.outcome_type"}
        key = (f"CASE WHEN v.crime_id IS NOT NULL THEN 'policeuk:' || v.crime_id "
               f"ELSE {CONTENT_KEY} END")
        plain = "v.crime_id IS NOT NULL"
    else:
        key, plain = CONTENT_KEY, "false"
    joins = AREA_JOIN
    crimes = Target("crimes", "crime_key", key, f"v.category <> '{ASB}'", crime_columns,
                    plain, joins)
    asb = Target("asb_incidents", "asb_key", CONTENT_KEY, f"v.category = '{ASB}'", place,
                 joins=joins)
    return crimes, asb


def _spec(current: bool) -> Spec:
    month, month_check = checks.month("month_txt", "Month")
    force, force_check, forces = checks.force()
    category, category_check, categories = checks.category()
    lookups = [forces, categories]
    coordinates, coordinate_checks = checks.coordinates("lonlat" if current else "bng")
    typed = {"month": month, "force": force, **coordinates, "category": category}
    rules: list[Check] = [month_check, force_check, *coordinate_checks]
    fields = {"month_txt": "Month", "reported_by": "Reported by", "falls_within": "Falls within",
              "location": "Location", "crime_type": "Crime type", "context": "Context"}
    if current:
        outcome, outcome_check, outcomes = checks.outcome("outcome_txt", "Last outcome category",
                                                          required=False)
        typed["outcome_type"] = outcome
        lookups.append(outcomes)
        rules += [checks.lsoa(), category_check, outcome_check]
        fields |= {"crime_id": "Crime ID", "lon_txt": "Longitude", "lat_txt": "Latitude",
                   "lsoa_code": "LSOA code", "lsoa_name": "LSOA name",
                   "outcome_txt": "Last outcome category"}
    else:
        rules.append(category_check)
        fields |= {"easting_txt": "Easting", "northing_txt": "Northing"}
    return Spec(
        kind="street" if current else "street-2011",
        columns=COLUMNS if current else COLUMNS_2011,
        fields=fields,
        typed=typed,
        checks=tuple(rules),
        targets=_targets(current),
        coordinates="lonlat" if current else "bng",
        file_values=file_force,
        after=apply_outcomes if current else None,
        after_many=apply_outcomes_many if current else None,
        notes={"no location": "longitude" if current else "bng_x"},
        lookups=tuple(lookups),
    )


def _format(current: bool) -> Format:
    return bulk_format(
        _spec(current), "crimes", "crime_key",
        detect=lambda header: "Crime type" in header and ("Easting" in header) != current)


def street_format() -> Format:
    """Street-level crimes and ASB, the current 12-column schema."""
    return _format(True)


def street_2011_format() -> Format:
    """Street-level crimes and ASB, the 2011 schema (Easting/Northing)."""
    return _format(False)

