"""Rebuild the compact postcode -> LSOA lookup the web site uses for "find your area by postcode".

Usage: python scripts/build_postcodes.py SHARED_DATA_DIR

Input: ``geography/deprivation-data-2019.csv`` (Ministry of Housing, Communities and Local
Government, English Indices of Deprivation 2019 postcode lookup; columns Postcode, Postcode Status,
LSOA Code, ...). It covers Birmingham (B) postcodes only, live and terminated.

Output: ``src/paragon/data/geography/postcode_lsoa.csv.gz``: one line per postcode,
``postcode,lsoa``, with the postcode upper-case and without spaces, sorted, keeping only LSOAs
of West Midlands Police.
Terminated postcodes are kept because people still use them. The file is committed; this script
documents how it was made.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

from paragon.geography.lpus import west_midlands_lsoas

OUT = Path(__file__).resolve().parents[1] / "src/paragon/data/geography/postcode_lsoa.csv.gz"


def main(shared: Path) -> None:
    known = {x.lsoa_code for x in west_midlands_lsoas()}
    pairs: dict[str, str] = {}
    dropped = 0
    source = shared / "geography" / "deprivation-data-2019.csv"
    with open(source, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            postcode = row["Postcode"].replace(" ", "").upper()
            if row["LSOA Code"] in known:
                pairs[postcode] = row["LSOA Code"]
            else:
                dropped += 1
    lines = ["postcode,lsoa"] + [f"{pc},{lsoa}" for pc, lsoa in sorted(pairs.items())]
    OUT.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("ascii"), mtime=0))
    print(f"wrote {len(pairs)} postcodes to {OUT} ({dropped} outside West Midlands Police dropped)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
