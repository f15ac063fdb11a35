"""A force's own crime records: the documented CSV export format (docs/formats.md#force-crimes).

One row per recorded crime. Columns::

    crime_reference, recorded_date, offence_code, hate_flag, business_flag, domestic_flag,
    lsoa_code, location, easting, northing, outcome_type, outcome_date

``offence_code`` is a Home Office offence code (mapped to group, subgroup and police.uk category),
flags are Y/N, ``easting``/``northing`` British National Grid metres (may be blank), and
``outcome_type`` one of OUTCOME_TYPES (blank while under investigation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from paragon.geography.bng import bng_to_lonlat
from paragon.geography.lpus import west_midlands_lsoas
from paragon.ingest.engine import Format, RowError
from paragon.ingest.fields import parse_date, parse_flag, parse_float, parse_lsoa, required
from paragon.ingest.offences import offence_codes

OUTCOME_TYPES = (
    "charged_summonsed",
    "caution",
    "taken_into_consideration",
    "penalty_notice",
    "cannabis_warning",
    "community_resolution",
    "no_further_action",
    "evidential_difficulties",
    "victim_declined",
    "not_in_public_interest",
    "offender_died",
)

COLUMNS = (
    "crime_reference",
    "recorded_date",
    "offence_code",
    "hate_flag",
    "business_flag",
    "domestic_flag",
    "lsoa_code",
    "location",
    "easting",
    "northing",
    "outcome_type",
    "outcome_date",
)

TABLE_COLUMNS: dict[str, pa.DataType] = {
    "crime_key": pa.string(),
    "source": pa.string(),
    "force": pa.string(),
    "crime_reference": pa.string(),
    "month": pa.date32(),
    "recorded_date": pa.date32(),
    "offence_code": pa.string(),
    "offence_group": pa.string(),
    "offence_subgroup": pa.string(),
    "category": pa.string(),
    "is_hate": pa.bool_(),
    "is_business": pa.bool_(),
    "is_domestic": pa.bool_(),
    "lsoa_code": pa.string(),
    "lsoa_name": pa.string(),
    "neighbourhood_id": pa.string(),
    "lpu_id": pa.string(),
    "location": pa.string(),
    "longitude": pa.float64(),
    "latitude": pa.float64(),
    "bng_x": pa.float64(),
    "bng_y": pa.float64(),
    "outcome_type": pa.string(),
    "outcome_date": pa.date32(),
}


def _add_lonlat(table: pa.Table) -> pa.Table:
    """Longitude/latitude from the grid references, for the whole file at once."""
    x = table.column("bng_x").to_numpy(zero_copy_only=False).astype(float)
    y = table.column("bng_y").to_numpy(zero_copy_only=False).astype(float)
    lon, lat = bng_to_lonlat(x, y)
    missing = np.isnan(x) | np.isnan(y)
    lon_arr = pa.array(np.round(lon, 6), pa.float64(), mask=missing)
    lat_arr = pa.array(np.round(lat, 6), pa.float64(), mask=missing)
    table = table.set_column(table.schema.get_field_index("longitude"), "longitude", lon_arr)
    return table.set_column(table.schema.get_field_index("latitude"), "latitude", lat_arr)


def force_crimes_format(force: str, *, bulk: bool = False) -> Format:
    """The force-crimes format for ``force`` (its slug keys the records). With ``bulk``, the same
    checks and keys on the engine's vectorised path (force_crimes_bulk.py)."""
    from paragon.ingest.force_crimes_bulk import ForceCrimesLoader

    codes = offence_codes()
    lsoas = {x.lsoa_code: x for x in west_midlands_lsoas()}

    def to_record(row: dict[str, str], _name: str) -> dict[str, Any]:
        reference = required(row, "crime_reference")
        recorded = parse_date(row, "recorded_date")
        assert recorded is not None
        code = required(row, "offence_code")
        offence = codes.get(code)
        if offence is None:
            raise RowError("offence_code", f"unknown Home Office offence code '{code[:20]}'")
        lsoa_code = parse_lsoa(row, "lsoa_code")
        lsoa = lsoas.get(lsoa_code) if lsoa_code else None
        x = parse_float(row, "easting", 0, 700_000)
        y = parse_float(row, "northing", 0, 1_300_000)
        if (x is None) != (y is None):
            raise RowError(
                "northing" if y is None else "easting", "easting and northing go together"
            )
        outcome = row["outcome_type"].strip() or None
        if outcome is not None and outcome not in OUTCOME_TYPES:
            raise RowError("outcome_type", f"unknown outcome type '{outcome[:40]}'")
        outcome_date = parse_date(row, "outcome_date", optional=True)
        if (outcome is None) != (outcome_date is None):
            raise RowError("outcome_date", "outcome_type and outcome_date go together")
        if outcome_date is not None and outcome_date < recorded:
            raise RowError("outcome_date", "outcome_date is before recorded_date")
        return {
            "crime_key": f"force:{force}:{reference}",
            "source": "force",
            "force": force,
            "crime_reference": reference,
            "month": recorded.replace(day=1),
            "recorded_date": recorded,
            "offence_code": code,
            "offence_group": offence.group,
            "offence_subgroup": offence.subgroup,
            "category": offence.category,
            "is_hate": parse_flag(row, "hate_flag"),
            "is_business": parse_flag(row, "business_flag"),
            "is_domestic": parse_flag(row, "domestic_flag"),
            "lsoa_code": lsoa_code,
            "lsoa_name": lsoa.lsoa_name if lsoa else None,
            "neighbourhood_id": lsoa.neighbourhood_id if lsoa else None,
            "lpu_id": lsoa.lpu_id if lsoa else None,
            "location": row["location"].strip() or None,
            "bng_x": x,
            "bng_y": y,
            "outcome_type": outcome,
            "outcome_date": outcome_date,
        }

    return Format(
        kind="force-crimes",
        table="crimes",
        key_column="crime_key",
        required_columns=COLUMNS,
        columns=TABLE_COLUMNS,
        to_record=to_record,
        finalize=_add_lonlat,
        detect=lambda header: "crime_reference" in header and "offence_code" in header,
        bulk=ForceCrimesLoader(force, COLUMNS, OUTCOME_TYPES) if bulk else None,
    )
