"""The police forces of England and Wales: police.uk slugs, and the local authorities whose force
the ONS LSOA lookup leaves out.

A police force area is made of whole local authority districts (Police Act 1996, schedule 1, as
amended; the Home Office's police force area definitions). The ONS LSOA → police force lookup
(PoliceforceLSOA.csv) names the force of most English LSOAs but leaves 53 whole districts blank, and
it has no Welsh LSOAs at all. ``LA_FORCE`` places those districts by that schedule: it is the only
hand-written part of the bundled geography, and scripts/build_geography.py checks it never disagrees
with the lookup.
"""

from __future__ import annotations

import difflib

from paragon.errors import NotFoundError

# The force names PoliceforceLSOA.csv uses -> police.uk slugs (paragon.ingest.policeuk.vocab.FORCES)
FORCE_SLUGS: dict[str, str] = {
    "Avon and Somerset": "avon-and-somerset",
    "Bedfordshire": "bedfordshire",
    "Cambridgeshire": "cambridgeshire",
    "Cheshire": "cheshire",
    "City of London": "city-of-london",
    "Cleveland": "cleveland",
    "Cumbria": "cumbria",
    "Derbyshire": "derbyshire",
    "Devon and Cornwall": "devon-and-cornwall",
    "Dorset": "dorset",
    "Durham": "durham",
    "Essex": "essex",
    "Gloucestershire": "gloucestershire",
    "Greater Manchester": "greater-manchester",
    "Hampshire": "hampshire",
    "Hertfordshire": "hertfordshire",
    "Humberside": "humberside",
    "Kent": "kent",
    "Lancashire": "lancashire",
    "Leicestershire": "leicestershire",
    "Lincolnshire": "lincolnshire",
    "Merseyside": "merseyside",
    "Metropolitan Police": "metropolitan",
    "Norfolk": "norfolk",
    "North Yorkshire": "north-yorkshire",
    "Northamptonshire": "northamptonshire",
    "Northumbria": "northumbria",
    "Nottinghamshire": "nottinghamshire",
    "South Yorkshire": "south-yorkshire",
    "Staffordshire": "staffordshire",
    "Suffolk": "suffolk",
    "Surrey": "surrey",
    "Sussex": "sussex",
    "Thames Valley": "thames-valley",
    "Warwickshire": "warwickshire",
    "West Mercia": "west-mercia",
    "West Midlands": "west-midlands",
    "West Yorkshire": "west-yorkshire",
    "Wiltshire": "wiltshire",
}

# 2011 local authority code -> force, for the districts the ONS lookup leaves without one
LA_FORCE: dict[str, str] = {
    # England: whole districts blank in PoliceforceLSOA.csv
    "E06000048": "northumbria",  # Northumberland
    "E08000020": "northumbria",  # Gateshead
    "E07000040": "devon-and-cornwall",  # East Devon
    "E07000042": "devon-and-cornwall",  # Mid Devon
    "E07000043": "devon-and-cornwall",  # North Devon
    "E07000044": "devon-and-cornwall",  # South Hams
    "E07000045": "devon-and-cornwall",  # Teignbridge
    "E07000046": "devon-and-cornwall",  # Torridge
    "E07000047": "devon-and-cornwall",  # West Devon
    "E07000048": "dorset",  # Christchurch
    "E07000049": "dorset",  # East Dorset
    "E07000050": "dorset",  # North Dorset
    "E07000051": "dorset",  # Purbeck
    "E07000052": "dorset",  # West Dorset
    "E07000053": "dorset",  # Weymouth and Portland
    "E07000084": "hampshire",  # Basingstoke and Deane
    "E07000089": "hampshire",  # Hart
    "E07000092": "hampshire",  # Rushmoor
    "E07000097": "hertfordshire",  # East Hertfordshire
    "E07000100": "hertfordshire",  # St Albans
    "E07000101": "hertfordshire",  # Stevenage
    "E07000104": "hertfordshire",  # Welwyn Hatfield
    "E07000107": "kent",  # Dartford
    "E07000109": "kent",  # Gravesham
    "E07000151": "northamptonshire",  # Daventry
    "E07000155": "northamptonshire",  # South Northamptonshire
    "E07000163": "north-yorkshire",  # Craven
    "E07000164": "north-yorkshire",  # Hambleton
    "E07000165": "north-yorkshire",  # Harrogate
    "E07000166": "north-yorkshire",  # Richmondshire
    "E07000167": "north-yorkshire",  # Ryedale
    "E07000168": "north-yorkshire",  # Scarborough
    "E07000169": "north-yorkshire",  # Selby
    "E07000172": "nottinghamshire",  # Broxtowe
    "E07000173": "nottinghamshire",  # Gedling
    "E07000176": "nottinghamshire",  # Rushcliffe
    "E07000187": "avon-and-somerset",  # Mendip
    "E07000188": "avon-and-somerset",  # Sedgemoor
    "E07000189": "avon-and-somerset",  # South Somerset
    "E07000190": "avon-and-somerset",  # Taunton Deane
    "E07000191": "avon-and-somerset",  # West Somerset
    "E07000200": "suffolk",  # Babergh
    "E07000201": "suffolk",  # Forest Heath
    "E07000203": "suffolk",  # Mid Suffolk
    "E07000204": "suffolk",  # St Edmundsbury
    "E07000221": "warwickshire",  # Stratford-on-Avon
    "E07000222": "warwickshire",  # Warwick
    "E07000234": "west-mercia",  # Bromsgrove
    "E07000235": "west-mercia",  # Malvern Hills
    "E07000236": "west-mercia",  # Redditch
    "E07000237": "west-mercia",  # Worcester
    "E07000238": "west-mercia",  # Wychavon
    "E07000239": "west-mercia",  # Wyre Forest
    # Wales: the four Welsh forces by unitary authority
    "W06000001": "north-wales",  # Isle of Anglesey
    "W06000002": "north-wales",  # Gwynedd
    "W06000003": "north-wales",  # Conwy
    "W06000004": "north-wales",  # Denbighshire
    "W06000005": "north-wales",  # Flintshire
    "W06000006": "north-wales",  # Wrexham
    "W06000008": "dyfed-powys",  # Ceredigion
    "W06000009": "dyfed-powys",  # Pembrokeshire
    "W06000010": "dyfed-powys",  # Carmarthenshire
    "W06000023": "dyfed-powys",  # Powys
    "W06000011": "south-wales",  # Swansea
    "W06000012": "south-wales",  # Neath Port Talbot
    "W06000013": "south-wales",  # Bridgend
    "W06000014": "south-wales",  # The Vale of Glamorgan
    "W06000015": "south-wales",  # Cardiff
    "W06000016": "south-wales",  # Rhondda Cynon Taf
    "W06000024": "south-wales",  # Merthyr Tydfil
    "W06000018": "gwent",  # Caerphilly
    "W06000019": "gwent",  # Blaenau Gwent
    "W06000020": "gwent",  # Torfaen
    "W06000021": "gwent",  # Monmouthshire
    "W06000022": "gwent",  # Newport
}

# The 43 territorial forces of England and Wales (police.uk slugs)
TERRITORIAL: tuple[str, ...] = tuple(
    sorted({*FORCE_SLUGS.values(), "dyfed-powys", "gwent", "north-wales", "south-wales"})
)


def check_force(slug: str) -> str:
    """The slug if it is a territorial force of England and Wales; otherwise a UserError naming the
    nearest slugs."""
    if slug in TERRITORIAL:
        return slug
    near = difflib.get_close_matches(slug.lower(), TERRITORIAL, n=4, cutoff=0.5)
    near += [f for f in TERRITORIAL if slug.lower() and slug.lower() in f and f not in near]
    hint = f" Did you mean {', '.join(near[:4])}?" if near else ""
    raise NotFoundError(
        f"'{slug[:60]}' is not a police force of England and Wales known to police.uk.{hint} "
        f"Known forces: {', '.join(TERRITORIAL)}."
    )
