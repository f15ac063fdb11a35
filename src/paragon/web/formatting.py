"""Jinja filters: numbers, percentages and months the way a resident reads them."""

from __future__ import annotations

from datetime import date
from typing import Any

from jinja2 import Environment

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def num(value: Any, digits: int = 0) -> str:
    """1234.5 -> '1,235'; None -> '–'."""
    if value is None or value == "":
        return "–"
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


def pct(value: Any, digits: int = 1) -> str:
    """A value already in percent: 84.53 -> '84.5%'."""
    return "–" if value is None else f"{num(value, digits)}%"


def signed_pct(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{float(value):+,.{digits}f}%".replace("-", "−")


def month(value: Any) -> str:
    """'2011-12' or a date -> 'December 2011'."""
    if value is None:
        return "–"
    if isinstance(value, date):
        return f"{MONTHS[value.month - 1]} {value.year}"
    text = str(value)
    try:
        year, mon = int(text[:4]), int(text[5:7])
        return f"{MONTHS[mon - 1]} {year}"
    except (ValueError, IndexError):
        return text


def day(value: Any) -> str:
    """'2011-12-05' -> '5 December 2011'."""
    if value is None or value == "":
        return "–"
    text = str(value)
    try:
        d = date.fromisoformat(text[:10])
    except ValueError:
        return text
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def change(row: Any) -> str:
    """A milestone row's change in its own unit (percent, or percentage points and relative
    change for rates): see :func:`paragon.web.data.words.change_text`."""
    from paragon.web.data.words import change_text

    return change_text(row) if isinstance(row, dict) else "–"


def chance(prob: Any) -> str:
    """A probability in words ('less than a 1 in 1,000 chance'), never 4.3e-61."""
    from paragon.web.data.words import chance_text

    return chance_text(None if prob is None else float(prob))


def install(env: Environment) -> None:
    env.filters.update(num=num, pct=pct, signed_pct=signed_pct, month=month, day=day,
                       change=change, chance=chance)
