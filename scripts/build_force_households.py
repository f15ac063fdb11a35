"""Build tests/data/homeoffice/force_households_2011.csv: Census 2011 households and usual residents
per police force area in England, for the funnel plot of crimes per 1,000 households.

Each LSOA's households come from the Census 2011 table (census_2011_population_hh.csv) and its force
from the ONS LSOA -> police force lookup (PoliceforceLSOA.csv). That lookup leaves 3,335 LSOAs in 53
whole local authorities without a force; police force areas are made of whole local authorities, so
those are filled from the local authority (the table below). England only: the lookup has no Welsh
LSOAs, so the four Welsh forces have no households here.

    .venv/bin/python scripts/build_force_households.py GEOGRAPHY_DIR   # folder holding both files
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

FILL = {
    "Northumbria": ["E06000048", "E08000020"],
    "North Yorkshire": ["E07000163", "E07000164", "E07000165", "E07000166", "E07000167",
                        "E07000168", "E07000169"],
    "Northamptonshire": ["E07000151", "E07000155"],
    "Nottinghamshire": ["E07000172", "E07000173", "E07000176"],
    "Warwickshire": ["E07000221", "E07000222"],
    "West Mercia": ["E07000234", "E07000235", "E07000236", "E07000237", "E07000238",
                    "E07000239"],
    "Hertfordshire": ["E07000097", "E07000100", "E07000101", "E07000104"],
    "Suffolk": ["E07000200", "E07000201", "E07000203", "E07000204"],
    "Hampshire": ["E07000084", "E07000089", "E07000092"],
    "Kent": ["E07000107", "E07000109"],
    "Devon and Cornwall": ["E07000040", "E07000042", "E07000043", "E07000044", "E07000045",
                           "E07000046", "E07000047"],
    "Dorset": ["E07000048", "E07000049", "E07000050", "E07000051", "E07000052", "E07000053"],
    "Avon and Somerset": ["E07000187", "E07000188", "E07000189", "E07000190", "E07000191"],
}
# The Home Office tables' names for the two forces the lookup spells differently.
HOME_OFFICE_NAME = {"City of London": "London, City of"}
OUT = (Path(__file__).resolve().parents[1] / "tests" / "data" / "homeoffice"
       / "force_households_2011.csv")


def main(folder: Path) -> None:
    by_la = {la: force for force, las in FILL.items() for la in las}
    force_of: dict[str, str] = {}
    with open(folder / "PoliceforceLSOA.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            force = r["Police_force"] or by_la.get(r["Local authority code"], "")
            if not force:
                raise SystemExit(f"no force for {r['LSOA Code']} in {r['Local authority name']}")
            force_of[r["LSOA Code"]] = HOME_OFFICE_NAME.get(force, force)
    households: Counter[str] = Counter()
    residents: Counter[str] = Counter()
    lsoas: Counter[str] = Counter()
    with open(folder / "census_2011_population_hh.csv", newline="", encoding="latin-1") as f:
        rows = csv.reader(f)
        next(rows)
        for r in rows:
            if len(r) < 15 or r[6] not in force_of:
                continue
            force = force_of[r[6]]
            households[force] += int(r[14].replace(",", ""))
            residents[force] += int(r[9].replace(",", ""))
            lsoas[force] += 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["force", "lsoas", "households_2011", "usual_residents_2011"])
        for force in sorted(households):
            w.writerow([force, lsoas[force], households[force], residents[force]])
    print(f"{OUT}: {len(households)} forces, {sum(lsoas.values())} LSOAs")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: build_force_households.py GEOGRAPHY_DIR")
    main(Path(sys.argv[1]))
