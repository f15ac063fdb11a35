"""Home Office offence codes and what they map to (offence group, subgroup, police.uk category)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Offence:
    code: str
    description: str
    group: str
    subgroup: str
    category: str


@lru_cache(maxsize=1)
def offence_codes() -> dict[str, Offence]:
    """Every Home Office offence code in the shipped mapping, with the police.uk category spelled
    as police.uk street files spell it ("Vehicle crime"). A row listing several codes
    ("1/4.1/4.10/4.2", homicide) gives each of them the same mapping."""
    text = (
        resources.files("paragon.data")
        .joinpath("homeoffice/CrimeCatMappings.csv")
        .read_text("utf-8")
    )
    out: dict[str, Offence] = {}
    for row in csv.DictReader(text.splitlines()):
        for code in row["Offence_Code"].split("/"):
            out[code.strip()] = Offence(
                code=code.strip(),
                description=row["Offence_Description"],
                group=row["Offence_Group"],
                subgroup=row["Offence_Subgroup"],
                category=row["Police.uk_Cat"].capitalize(),  # police.uk spelling
            )
    return out
