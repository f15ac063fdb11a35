"""The words data.police.uk uses, and what Paragon makes of them (documented in docs/ingest.md).

- ``CATEGORIES``: every crime type police.uk street files have published, mapped to the category
  Paragon stores. A category is renamed only where the mapping is sound (the same offences under a
  new name); where police.uk later split a category, the old one is kept as published.
- ``OUTCOMES``: every outcome text of street ("Last outcome category") and outcomes ("Outcome type")
  files, mapped to a Paragon outcome type, with a stage used to break ties within one month.
- ``FORCES``: police.uk force slugs and the names "Reported by" uses for them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paragon.ingest.engine import Source

ASB = "Anti-social behaviour"

# published crime type -> category stored in crimes.category (police.uk street spelling)
CATEGORIES: dict[str, str] = {
    ASB: ASB,
    "Bicycle theft": "Bicycle theft",
    "Burglary": "Burglary",
    "Criminal damage and arson": "Criminal damage and arson",
    "Drugs": "Drugs",
    "Other crime": "Other crime",
    "Other theft": "Other theft",
    "Possession of weapons": "Possession of weapons",
    "Public order": "Public order",
    "Robbery": "Robbery",
    "Shoplifting": "Shoplifting",
    "Theft from the person": "Theft from the person",
    "Vehicle crime": "Vehicle crime",
    "Violence and sexual offences": "Violence and sexual offences",
    # 2010-12 .. 2013-04: renamed in May 2013 (same offences; the API kept its slug violent-crime)
    "Violent crime": "Violence and sexual offences",
    # 2011-09 .. 2013-04: later split into Public order and Possession of weapons: kept as published
    "Public disorder and weapons": "Public disorder and weapons",
}

# outcome type -> stage: within one month, the outcome at the later stage is the crime's last
OUTCOME_STAGE: dict[str, int] = {
    "status_update_unavailable": 0,
    "under_investigation": 1,
    "no_further_action": 2,
    "evidential_difficulties": 2,
    "unable_to_prosecute": 2,
    "formal_action_not_in_public_interest": 2,
    "further_investigation_not_in_public_interest": 2,
    "not_in_public_interest": 2,
    "transferred": 2,
    "community_resolution": 3,
    "caution": 3,
    "penalty_notice": 3,
    "cannabis_warning": 3,
    "charged_summonsed": 4,
    "taken_into_consideration": 4,
    "awaiting_court": 5,
    "court_result_unavailable": 6,
    "court_case_unable_to_proceed": 6,
    "not_guilty": 6,
    "court_disposal": 6,
}

# published outcome text (compared after normalise_outcome) -> Paragon outcome type
_OUTCOME_TEXTS: dict[str, str] = {
    "Under investigation": "under_investigation",
    "Status update unavailable": "status_update_unavailable",
    "Investigation complete; no suspect identified": "no_further_action",
    "No further action": "no_further_action",
    "Unable to prosecute suspect": "unable_to_prosecute",
    "Formal action is not in the public interest": "formal_action_not_in_public_interest",
    "Further action is not in the public interest": "formal_action_not_in_public_interest",
    "Further investigation is not in the public interest":
        "further_investigation_not_in_public_interest",
    "Action to be taken by another organisation": "transferred",
    "Local resolution": "community_resolution",
    "Offender given a caution": "caution",
    "Offender given a drugs possession warning": "cannabis_warning",
    "Offender given a cannabis warning": "cannabis_warning",
    "Offender given penalty notice": "penalty_notice",
    "Offender given a penalty notice": "penalty_notice",
    "Suspect charged": "charged_summonsed",
    "Suspect charged as part of another case": "taken_into_consideration",
    "Awaiting court outcome": "awaiting_court",
    "Awaiting court result": "awaiting_court",
    "Defendant sent to Crown Court": "awaiting_court",
    "Court result unavailable": "court_result_unavailable",
    "Court case unable to proceed": "court_case_unable_to_proceed",
    "Defendant found not guilty": "not_guilty",
    "Offender sent to prison": "court_disposal",
    "Offender given suspended prison sentence": "court_disposal",
    "Offender fined": "court_disposal",
    "Offender given a fine": "court_disposal",
    "Offender given community sentence": "court_disposal",
    "Offender given conditional discharge": "court_disposal",
    "Offender given absolute discharge": "court_disposal",
    "Offender ordered to pay compensation": "court_disposal",
    "Offender deprived of property": "court_disposal",
    "Offender otherwise dealt with": "court_disposal",
}


def normalise_outcome(text: str) -> str:
    """Case and runs of spaces do not matter: 'Offender given  a Caution' is the same outcome as
    'offender given a caution' (the SQL of checks.outcome does the same)."""
    return re.sub(" +", " ", text).lower()


OUTCOMES: dict[str, str] = {normalise_outcome(k): v for k, v in _OUTCOME_TEXTS.items()}

# police.uk force slug -> the name its files use in "Reported by" / "Falls within"
FORCES: dict[str, str] = {
    "avon-and-somerset": "Avon and Somerset Constabulary",
    "bedfordshire": "Bedfordshire Police",
    "btp": "British Transport Police",
    "cambridgeshire": "Cambridgeshire Constabulary",
    "cheshire": "Cheshire Constabulary",
    "city-of-london": "City of London Police",
    "cleveland": "Cleveland Police",
    "cumbria": "Cumbria Constabulary",
    "derbyshire": "Derbyshire Constabulary",
    "devon-and-cornwall": "Devon & Cornwall Police",
    "dorset": "Dorset Police",
    "durham": "Durham Constabulary",
    "dyfed-powys": "Dyfed-Powys Police",
    "essex": "Essex Police",
    "gloucestershire": "Gloucestershire Constabulary",
    "greater-manchester": "Greater Manchester Police",
    "gwent": "Gwent Police",
    "hampshire": "Hampshire Constabulary",
    "hertfordshire": "Hertfordshire Constabulary",
    "humberside": "Humberside Police",
    "kent": "Kent Police",
    "lancashire": "Lancashire Constabulary",
    "leicestershire": "Leicestershire Police",
    "lincolnshire": "Lincolnshire Police",
    "merseyside": "Merseyside Police",
    "metropolitan": "Metropolitan Police Service",
    "norfolk": "Norfolk Constabulary",
    "north-wales": "North Wales Police",
    "north-yorkshire": "North Yorkshire Police",
    "northamptonshire": "Northamptonshire Police",
    "northern-ireland": "Police Service of Northern Ireland",
    "northumbria": "Northumbria Police",
    "nottinghamshire": "Nottinghamshire Police",
    "south-wales": "South Wales Police",
    "south-yorkshire": "South Yorkshire Police",
    "staffordshire": "Staffordshire Police",
    "suffolk": "Suffolk Constabulary",
    "surrey": "Surrey Police",
    "sussex": "Sussex Police",
    "thames-valley": "Thames Valley Police",
    "warwickshire": "Warwickshire Police",
    "west-mercia": "West Mercia Police",
    "west-midlands": "West Midlands Police",
    "west-yorkshire": "West Yorkshire Police",
    "wiltshire": "Wiltshire Police",
}

FILE_NAME = re.compile(
    r"(?P<month>\d{4}-(?:0[1-9]|1[0-2]))-(?P<force>[a-z][a-z-]*?)-"
    r"(?P<kind>street|outcomes|stop-and-search)"
)


def parse_file_name(name: str) -> tuple[str, str, str] | None:
    """(month, force slug, kind) of a police.uk file name such as 2021-01-cambridgeshire-street.csv,
    or None when the name does not follow the pattern or names an unknown force."""
    match = FILE_NAME.search(name.lower())
    if match is None or match["force"] not in FORCES:
        return None
    return match["month"], match["force"], match["kind"]


def file_force(source: Source) -> dict[str, str | None]:
    """The force a file's name gives (``file_force`` in SQL), or NULL."""
    parsed = parse_file_name(source.name)
    return {"file_force": parsed[1] if parsed else None}
