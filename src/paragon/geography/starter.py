"""The starter LPUs of a force: one per local authority district (West Midlands keeps the Birmingham
split of its 2011-15 plan as the example of a split district)."""

from __future__ import annotations

import re

from paragon.geography.lpus import force_districts
from paragon.plan.schema import Lpu


def district_slug(la_name: str) -> str:
    """An LPU id for a district name: 'Bristol, City of' -> 'bristol-city-of'."""
    return re.sub(r"[^a-z0-9]+", "-", la_name.lower().replace("'", "")).strip("-")


def starter_lpus(force: str) -> list[Lpu]:
    """One LPU per district of the force, by name; for West Midlands the default plan's ten."""
    if force == "west-midlands":
        from paragon.plan.loader import default_plan

        return list(default_plan().lpus)
    return [Lpu(id=district_slug(name), name=name, local_authority=name)
            for _, name in force_districts(force)]
