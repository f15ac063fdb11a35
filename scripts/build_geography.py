"""Rebuild the West Midlands LSOA table shipped in the package from the public source files.

Usage: python scripts/build_geography.py SHARED_DATA_DIR

Reads PoliceforceLSOA.csv (LSOA -> MSOA -> local authority -> force), lsoa_latlong.csv (LSOA
centroids) and census_2011_population_hh.csv (usual residents) and writes
src/paragon/data/geography/west_midlands_lsoa.csv: one row per West Midlands Police LSOA. The output
is committed; this script documents exactly how it was made.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/paragon/data/geography/west_midlands_lsoa.csv"


def main(shared: Path) -> None:
    geo = shared / "geography"
    with open(geo / "PoliceforceLSOA.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["Police_force"] == "West Midlands"]
    codes = {r["LSOA Code"] for r in rows}
    centroids: dict[str, tuple[str, str]] = {}
    with open(geo / "lsoa_latlong.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["lsoa11cd"] in codes:
                centroids[r["lsoa11cd"]] = (r["latitude"], r["longitude"])
    population: dict[str, int] = {}
    with open(geo / "census_2011_population_hh.csv", newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for r in reader:
            if r[6] in codes:
                population[r[6]] = int(r[9].replace(",", ""))
    missing = codes - centroids.keys() | codes - population.keys()
    if missing:
        raise SystemExit(f"no centroid or population for {sorted(missing)[:5]}")
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "lsoa_code",
                "lsoa_name",
                "msoa_code",
                "msoa_name",
                "la_code",
                "la_name",
                "latitude",
                "longitude",
                "population_2011",
            ]
        )
        for r in sorted(rows, key=lambda r: r["LSOA Code"]):
            lat, lon = centroids[r["LSOA Code"]]
            w.writerow(
                [
                    r["LSOA Code"],
                    r["LSOA Name"],
                    r["MSOA Code"],
                    r["MSOA Name"],
                    r["Local authority code"],
                    r["Local authority name"],
                    f"{float(lat):.6f}",
                    f"{float(lon):.6f}",
                    population[r["LSOA Code"]],
                ]
            )
    print(f"wrote {len(rows)} LSOAs to {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
