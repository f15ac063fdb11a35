"""Rebuild the England and Wales geography shipped in the package from the public source files.

Usage: python scripts/build_geography.py SHARED_DATA_DIR

Writes two files under src/paragon/data/geography/ (both committed; this script documents exactly
how they were made):

``lsoa_2011.csv.gz`` — one row per 2011 LSOA of England and Wales (34,753): LSOA, MSOA, local
authority district, police force (police.uk slug), centroid and Census 2011 usual residents.

- The LSOA list, names, MSOA, local authority and usual residents come from
  census_2011_population_hh.csv (England and Wales; the first of its three "Persons" columns is all
  usual residents).
- The force comes from PoliceforceLSOA.csv (England). That lookup leaves 3,335 English LSOAs
  without a force, always whole local authorities; and Wales is not in it. Both are placed by their
  local authority with ``paragon.geography.forces.LA_FORCE`` (the police force areas as the Home
  Office defines them, made of whole local authorities; see that module).
- Centroids come from lsoa_latlong.csv (ONS population-weighted centroids), six decimals.

``lad_2011.geojson.gz`` — the 326 generalised 2011 local authority districts of England
(england_lad_2011_gen.shp, British National Grid), simplified with shapely at 25 m tolerance
(topology kept per district) and rounded to whole metres, for point-in-polygon placement of
crimes that have coordinates but no LSOA.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

import shapefile
from shapely.geometry import mapping, shape

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from paragon.geography.forces import FORCE_SLUGS, LA_FORCE

OUT = Path(__file__).resolve().parents[1] / "src/paragon/data/geography"
SIMPLIFY_M = 25.0


def _lsoas(geo: Path) -> list[list[str]]:
    force_of: dict[str, str] = {}
    with open(geo / "PoliceforceLSOA.csv", newline="", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            if r["Police_force"]:
                force_of[r["LSOA Code"]] = FORCE_SLUGS[r["Police_force"]]
    centroids: dict[str, tuple[float, float]] = {}
    with open(geo / "lsoa_latlong.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            centroids[r["lsoa11cd"]] = (float(r["latitude"]), float(r["longitude"]))
    out: list[list[str]] = []
    with open(geo / "census_2011_population_hh.csv", newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader)
        for r in reader:
            code, la_code = r[6], r[2]
            by_la = LA_FORCE.get(la_code)
            force = force_of.get(code) or by_la
            if force is None:
                raise SystemExit(f"LSOA {code} ({r[3]}) has no force and its LA is not mapped")
            if by_la is not None and code in force_of and force_of[code] != by_la:
                raise SystemExit(f"LSOA {code}: lookup says {force_of[code]}, LA map {by_la}")
            lat, lon = centroids[code]
            la_name = r[3].removesuffix(" UA")
            out.append([code, r[7], r[4], r[5], la_code, la_name, force,
                        f"{lat:.6f}", f"{lon:.6f}", str(int(r[9].replace(",", "")))])
    return sorted(out)


def _districts(geo: Path) -> dict[str, object]:
    reader = shapefile.Reader(str(geo / "england_lad_2011_gen"))
    features = []
    for sr in reader.shapeRecords():
        _, name, _, code = sr.record
        geom = shape(sr.shape.__geo_interface__).buffer(0)
        simple = geom.simplify(SIMPLIFY_M, preserve_topology=True)
        gj = mapping(simple)

        def _round(c: object) -> object:
            if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
                return [round(float(c[0])), round(float(c[1]))]
            return [_round(x) for x in c]  # type: ignore[attr-defined]

        features.append({"type": "Feature", "properties": {"la_code": code, "la_name": name},
                         "geometry": {"type": gj["type"],
                                      "coordinates": _round(gj["coordinates"])}})
    features.sort(key=lambda f: f["properties"]["la_code"])  # type: ignore[index]
    return {"type": "FeatureCollection", "crs": "EPSG:27700", "features": features}


def main(shared: Path) -> None:
    geo = shared / "geography"
    rows = _lsoas(geo)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["lsoa_code", "lsoa_name", "msoa_code", "msoa_name", "la_code", "la_name", "force",
                "latitude", "longitude", "population_2011"])
    w.writerows(rows)
    (OUT / "lsoa_2011.csv.gz").write_bytes(gzip.compress(buf.getvalue().encode(), mtime=0))
    districts = _districts(geo)
    text = json.dumps(districts, separators=(",", ":"))
    (OUT / "lad_2011.geojson.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
    print(f"wrote {len(rows)} LSOAs and {len(districts['features'])} districts to {OUT}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main(Path(sys.argv[1]))
