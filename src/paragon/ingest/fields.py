"""Field parsers shared by the formats: a value, or a RowError that names the column."""

from __future__ import annotations

import math
import re
from datetime import date

from paragon.ingest.engine import RowError

LSOA_PATTERN = re.compile(r"^[EW]01\d{6}$")


def required(row: dict[str, str], column: str) -> str:
    value = row[column].strip()
    if not value:
        raise RowError(column, f"{column} is empty")
    return value


def parse_date(row: dict[str, str], column: str, *, optional: bool = False) -> date | None:
    value = row[column].strip()
    if not value:
        if optional:
            return None
        raise RowError(column, f"{column} is empty")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise RowError(column, f"{column} '{value[:40]}' is not a date (YYYY-MM-DD)") from exc


def parse_month(row: dict[str, str], column: str) -> date:
    value = row[column].strip()
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise RowError(column, f"{column} '{value[:40]}' is not a month (YYYY-MM)") from exc


def parse_float(row: dict[str, str], column: str, lo: float, hi: float) -> float | None:
    value = row[column].strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError as exc:
        raise RowError(column, f"{column} '{value[:40]}' is not a number") from exc
    if not math.isfinite(number) or not lo <= number <= hi:
        raise RowError(column, f"{column} {value[:40]} is out of range ({lo} to {hi})")
    return number


def parse_flag(row: dict[str, str], column: str) -> bool:
    value = row[column].strip().upper()
    if value in ("Y", "YES", "TRUE", "1"):
        return True
    if value in ("", "N", "NO", "FALSE", "0"):
        return False
    raise RowError(column, f"{column} '{value[:40]}' is not Y or N")


def parse_lsoa(row: dict[str, str], column: str) -> str | None:
    value = row[column].strip()
    if not value:
        return None
    if not LSOA_PATTERN.match(value):
        raise RowError(column, f"{column} '{value[:40]}' is not an LSOA code (E01nnnnnn)")
    return value
