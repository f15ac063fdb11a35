"""Financial years (April to March) and months."""

from __future__ import annotations

import re
from datetime import date

from paragon.errors import ParagonError

YEAR_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_year(year: str) -> int:
    """'2010-11' -> 2010 (the calendar year the financial year starts in)."""
    match = YEAR_RE.match(year)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ParagonError(f"'{year}' is not a financial year like 2010-11")
    return int(match.group(1))


def year_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def year_bounds(year: str) -> tuple[date, date]:
    """First day of the year and first day after it: [1 April, next 1 April)."""
    start = parse_year(year)
    return date(start, 4, 1), date(start + 1, 4, 1)


def financial_year_of(day: date) -> str:
    return year_label(day.year if day.month >= 4 else day.year - 1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(start: date, end: date) -> list[date]:
    """First days of the months in [start, end)."""
    out, current = [], date(start.year, start.month, 1)
    while current < end:
        out.append(current)
        current = add_months(current, 1)
    return out
