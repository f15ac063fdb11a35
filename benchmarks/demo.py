"""Demo build time and peak memory, against bare DuckDB loading the same rows.

Each run is a fresh Python process (so each peak resident memory is its own):

- the floor: generate the demo's crimes, survey responses and ASB incidents (the same seed, the
  same rows) and INSERT them from Arrow into a new warehouse: no CSV, no checks, no measures;
- the demo: ``build_demo`` as ``paragon demo --no-serve`` runs it (CSV files, the ingest engine's
  checks and keys, geography, the check against the plan's published figures, publishing);

and prints wall time, CPU time and peak memory of each, the demo's ratios to the floor, and where
the demo's time went (its progress steps).

    .venv/bin/python benchmarks/demo.py
    .venv/bin/python benchmarks/demo.py --format json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

CHILD_PRELUDE = """
import json, resource, sys, time
from pathlib import Path
started, cpu = time.perf_counter(), time.process_time()
steps = []
def step(name):
    steps.append([name, round(time.perf_counter() - started, 2)])
def done(**extra):
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": round(time.perf_counter() - started, 2),
                      "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                      "peak_mb": round(usage.ru_maxrss / 1024), "steps": steps, **extra}))
db = Path(sys.argv[1])
"""

FLOOR = CHILD_PRELUDE + """
import duckdb
from importlib import resources
from paragon.demo.community import generate_asb
from paragon.demo.crimes import generate_crimes
from paragon.demo.surveys import generate_survey_responses
from paragon.plan import default_plan
import pyarrow as pa, pyarrow.compute as pc
step("imported")
plan = default_plan()
crime_rows = generate_crimes(2011, plan)
key = pc.binary_join_element_wise("force:west-midlands:", crime_rows["crime_reference"], "")
crime_rows = crime_rows.append_column("crime_key", key)
survey_rows = generate_survey_responses(plan, 2011)
key = pc.binary_join_element_wise(survey_rows["survey"], survey_rows["respondent_id"],
                                  survey_rows["question_id"], ":")
survey_rows = survey_rows.append_column("response_key", key)
asb_rows = generate_asb(2011, plan.force)
step("generated")
con = duckdb.connect(str(db))
con.execute(resources.files("paragon.warehouse").joinpath("schema.sql").read_text("utf-8"))
con.execute("BEGIN")
con.execute("INSERT INTO crimes BY NAME SELECT crime_key, 'force' AS source, "
            "'west-midlands' AS force, crime_reference, date_trunc('month', recorded_date)::DATE "
            "AS month, recorded_date, offence_code, hate_flag = 'Y' AS is_hate, "
            "business_flag = 'Y' AS is_business, domestic_flag = 'Y' AS is_domestic, "
            "lsoa_code, location, "
            "easting::DOUBLE AS bng_x, northing::DOUBLE AS bng_y, outcome_type, outcome_date, "
            "0 AS ingest_id FROM crime_rows")
con.execute("INSERT INTO survey_responses BY NAME SELECT *, 0 AS ingest_id FROM survey_rows")
con.execute("INSERT INTO asb_incidents BY NAME SELECT *, 0 AS ingest_id FROM asb_rows")
con.execute("COMMIT")
con.close()
step("loaded")
done(rows=crime_rows.num_rows + survey_rows.num_rows + asb_rows.num_rows)
"""

DEMO = CHILD_PRELUDE + """
from paragon.demo import build_demo
step("imported")
summary = build_demo(db, progress=step)
step("built")
done(rows=summary["crimes"]["rows_loaded"] + summary["surveys"]["rows_loaded"]
     + summary["asb_incidents"])
"""


def run(code: str, db: Path) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter and return what it printed (JSON)."""
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        floor = run(FLOOR, Path(tmp) / "floor.duckdb")
        demo = run(DEMO, Path(tmp) / "demo.duckdb")
    result = {
        "floor": floor,
        "demo": demo,
        "time_ratio": round(demo["seconds"] / floor["seconds"], 2),
        "cpu_ratio": round(demo["cpu_seconds"] / floor["cpu_seconds"], 2),
        "memory_ratio": round(demo["peak_mb"] / floor["peak_mb"], 2),
    }
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return
    for name, r in (("floor (generate + bare INSERT)", floor), ("demo (build_demo)", demo)):
        print(f"{name:32s} {r['rows']:>9,} rows  {r['seconds']:6.1f} s wall  "
              f"{r['cpu_seconds']:6.1f} s CPU  {r['peak_mb']:6,} MB peak")
    print(f"demo / floor: {result['time_ratio']}x wall time, {result['cpu_ratio']}x CPU time, "
          f"{result['memory_ratio']}x peak memory")
    print("demo steps (seconds from start, each step starting):")
    last = 0.0
    for name, at in demo["steps"]:
        print(f"  {at:6.1f}  (+{at - last:4.1f})  {name}")
        last = at


if __name__ == "__main__":
    main()
