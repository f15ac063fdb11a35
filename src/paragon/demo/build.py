"""Build the demo warehouse: synthetic West Midlands data through the real ingest path.

Deterministic for a seed. Crimes and survey responses are written as files in the documented
export formats and loaded by the same ingest engine a force would use (the formats' vectorised
loaders, which check and key rows exactly as the row paths do); geography, ASB incidents and local
priorities are loaded directly. The warehouse is marked ``meta.demo = true`` so every surface can
label its figures as synthetic. The build then compares every published 2010-11 figure with the
demo's (:func:`check_reproduction`), says how closely they agree and keeps the comparison in
``meta.demo_reproduction``.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from paragon.demo.community import generate_asb, generate_priorities
from paragon.demo.crimes import generate_crimes
from paragon.demo.surveys import generate_survey_responses
from paragon.geography.load import load_geography
from paragon.ingest.engine import ingest_file
from paragon.ingest.force_crimes import force_crimes_format
from paragon.ingest.surveys import survey_format
from paragon.ops import OpsStore
from paragon.plan import Plan, default_plan
from paragon.settings import Settings
from paragon.warehouse import Warehouse

# Fields are written without quotes (pyarrow refuses a value holding a comma or quote rather
# than write it unquoted), as a force's export usually is: quoted lines take the ingest's slow path.
PLAIN_CSV = pacsv.WriteOptions(quoting_style="none")
DEMO_DUCKDB_MEMORY = "400MB"
DEMO_LABEL = "Synthetic demonstration data calibrated to the West Midlands Police plan 2011-15"


def build_demo(
    db_path: Path,
    *,
    seed: int = 2011,
    plan: Plan | None = None,
    progress: Callable[[str], None] | None = None,
    ops_url: str | None = None,
) -> dict[str, Any]:
    """Create (replacing any file there) the demo warehouse at ``db_path``, and its local
    priorities in the operational store at ``ops_url`` (default: the settings' store beside the
    warehouse, replacing its priorities); return a summary."""
    plan = plan or default_plan()
    say = progress or (lambda _msg: None)
    db_path = Path(db_path)
    for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    summary: dict[str, Any] = {"db": str(db_path), "seed": seed}
    with Warehouse.open(db_path) as wh, tempfile.TemporaryDirectory() as tmp:
        # DuckDB may otherwise keep up to 80% of the machine's memory of the loads' pages; the
        # demo's writes go to the file instead (the build's peak memory: docs/methods.md).
        wh.con.execute(f"SET memory_limit = '{DEMO_DUCKDB_MEMORY}'")
        say("loading geography")
        summary["lsoas"] = load_geography(wh)
        say("generating crime records")
        crimes_csv = Path(tmp) / "west-midlands-force-crimes.csv"
        pacsv.write_csv(generate_crimes(seed, plan), crimes_csv, PLAIN_CSV)
        pa.default_memory_pool().release_unused()  # the generated table is on disk now
        say("ingesting crime records")
        crimes_format = force_crimes_format(plan.force, bulk=True)
        summary["crimes"] = ingest_file(wh, crimes_csv, crimes_format).as_dict()
        say("generating and ingesting survey responses")
        survey_csv = Path(tmp) / "west-midlands-survey-responses.csv"
        pacsv.write_csv(generate_survey_responses(plan, seed), survey_csv, PLAIN_CSV)
        summary["surveys"] = ingest_file(wh, survey_csv, survey_format(plan, bulk=True)).as_dict()
        say("generating anti-social behaviour and local priorities")
        summary["asb_incidents"] = _load_asb(wh, seed, plan.force)
        summary["priorities"] = _load_priorities(
            ops_url or Settings(db=db_path).ops_location(), plan, seed)
        _mark_demo(wh, seed)
        say("checking the demo against the plan's published 2010-11 figures")
        summary["reproduction"] = check_reproduction(wh, plan)
        _record_reproduction(wh, summary["reproduction"])
        _say_reproduction(say, summary["reproduction"])
    summary["seconds"] = round(time.perf_counter() - started, 1)
    return summary


def _load_asb(wh: Warehouse, seed: int, force: str) -> int:
    table = generate_asb(seed, force)
    with wh.transaction() as con:
        con.register("asb_in", table)
        con.execute("INSERT INTO asb_incidents BY NAME SELECT *, 0 AS ingest_id FROM asb_in")
        con.unregister("asb_in")
    return table.num_rows


def _load_priorities(ops_url: str, plan: Plan, seed: int) -> int:
    rows = generate_priorities(plan, seed)
    with OpsStore.open(ops_url) as ops:
        if ops.needs_copy():
            ops.mark_copied()  # a new demo: nothing to copy from an older warehouse
        with ops.transaction() as cur:
            cur.execute("DELETE FROM priorities")
            for row in rows:
                cur.execute(
                    "INSERT INTO priorities (area_type, area_id, issue, action, opened_on, "
                    "status, result, closed_on, updated_by, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [row["area_type"], row["area_id"], row["issue"], row["action"],
                     row["opened_on"], row["status"], row["result"], row["closed_on"],
                     row["updated_by"], row["updated_at"]])
    return len(rows)


def _record_reproduction(wh: Warehouse, rows: list[dict[str, Any]]) -> None:
    """Keep the comparison with the published figures in the warehouse (meta.demo_reproduction)."""
    with wh.transaction() as con:
        con.execute("DELETE FROM meta WHERE key = 'demo_reproduction'")
        con.execute("INSERT INTO meta VALUES ('demo_reproduction', ?)", [json.dumps(rows)])


def _mark_demo(wh: Warehouse, seed: int) -> None:
    with wh.transaction() as con:
        con.execute("DELETE FROM meta WHERE key IN ('demo', 'demo_seed', 'demo_label')")
        con.execute(
            "INSERT INTO meta VALUES ('demo', 'true'), ('demo_seed', ?), ('demo_label', ?)",
            [str(seed), DEMO_LABEL],
        )


SURVEY_Z_ALLOWED = 3.29  # a survey figure this many standard errors away has a 1 in 1,000 chance


def check_reproduction(wh: Warehouse, plan: Plan) -> list[dict[str, Any]]:
    """Compare the demo's 2010-11 figures with the plan's published ones; return one row per
    published figure with the difference, and refuse a demo that is further off than it should be.

    Counts, baselines and detections are generated to the published numbers, so they must match
    exactly. Survey figures are drawn with sampling noise, so they differ: each must lie within
    SURVEY_Z_ALLOWED standard errors (from the figure's own 95% interval) of the published value.
    """
    from paragon.measures.milestones import milestone_table

    out: list[dict[str, Any]] = []
    wrong: list[str] = []
    for r in milestone_table(wh, plan, "2010-11"):
        if r["published_value"] is None:
            continue
        row = {"table": r["table"], "title": r["title"], "kind": r["kind"],
               "published": r["published_value"], "demo": r["value"],
               "difference": round(r["value"] - r["published_value"], 3), "z": None}
        if r["kind"] == "survey_proportion":
            se = (r["value_upper"] - r["value_lower"]) / (2 * 1.959964)
            row["z"] = round(row["difference"] / se, 2)
            row["within"] = abs(row["z"]) <= SURVEY_Z_ALLOWED
            detail = f"{row['difference']:+.1f} points ({row['z']:+.1f} standard errors)"
        else:
            row["within"] = r["performance_matches"] is True
            detail = "; ".join(r["flags"])
        if not row["within"]:
            wrong.append(f"{r['table']}/{r['title']}: {detail}")
        out.append(row)
    if wrong:
        raise RuntimeError("the demo does not reproduce the plan: " + " | ".join(wrong))
    return out


def _say_reproduction(say: Callable[[str], None], rows: list[dict[str, Any]]) -> None:
    exact = [r for r in rows if r["z"] is None]
    surveys = [r for r in rows if r["z"] is not None]
    say(f"{len(exact)} published 2010-11 counts and detection rates reproduced exactly")
    if surveys:
        worst = max(surveys, key=lambda r: abs(r["z"]))
        mean_abs = sum(abs(r["difference"]) for r in surveys) / len(surveys)
        say(f"{len(surveys)} survey figures drawn with sampling noise: mean difference from the "
            f"published figure {mean_abs:.2f} points, largest {worst['difference']:+.2f} "
            f"({worst['title']}, {worst['z']:+.1f} standard errors)")
