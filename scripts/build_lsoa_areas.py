"""Rebuild ``src/paragon/data/geography/lsoa_2011_area.csv.gz``: the land area of every 2011 LSOA of
England and Wales, used to place points that have coordinates but no LSOA (geography.place).

Usage: python scripts/build_lsoa_areas.py DATA_DIR   (the folder holding geography/)

The area (hectares) is the Census 2011 table's "Hectares" column of census_2011_population_hh.csv,
one row per LSOA (34,753), as published.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/paragon/data/geography/lsoa_2011_area.csv.gz"


def main(shared: Path) -> None:
    source = shared / "geography" / "census_2011_population_hh.csv"
    rows: list[tuple[str, str]] = []
    with open(source, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        code, hectares = header.index("LSOA Code"), header.index("Hectares")
        for r in reader:
            rows.append((r[code], r[hectares].replace(",", "")))
    rows.sort()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["lsoa_code", "hectares"])
    writer.writerows(rows)
    OUT.write_bytes(gzip.compress(text.getvalue().encode("utf-8"), mtime=0))
    print(f"wrote {OUT}: {len(rows)} LSOAs")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: build_lsoa_areas.py DATA_DIR")
    main(Path(sys.argv[1]))
