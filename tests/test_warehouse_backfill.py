"""Warehouses that loaded points files before ``points_categories`` existed get the crime types
each file holds filled in when the warehouse is opened for writing, from the rows each file loaded;
on the real Greater Manchester burglary and Merseyside shoplifting files (tests/data/policeuk)."""

from __future__ import annotations

import gzip
from pathlib import Path

from paragon.ingest.registry import ingest_paths
from paragon.plan import parse_plan
from paragon.plan.init import starter_plan_text
from paragon.warehouse import Warehouse

DERIVED = Path(__file__).parent / "data" / "policeuk" / "derived"
HELD = "SELECT ingest_id, force, month, category FROM points_categories ORDER BY ALL"


def _loaded(tmp_path: Path) -> tuple[Path, list[tuple[object, ...]]]:
    """A warehouse with both points files loaded, and what the ingest recorded for them."""
    db = tmp_path / "wh.duckdb"
    plan = parse_plan(starter_plan_text("greater-manchester", "2016-17"), "gm starter")
    files = []
    for name in ("gmp_bur.csv.gz", "merseyside_shoplifting.csv.gz"):
        path = tmp_path / name.removesuffix(".gz")
        path.write_bytes(gzip.decompress((DERIVED / name).read_bytes()))
        files.append(path)
    with Warehouse.open(db) as wh:
        ingest_paths(wh, files[:1], plan, kind="points", force="greater-manchester")
        ingest_paths(wh, files[1:], plan, kind="points", force="merseyside")
        held = wh.con.execute(HELD).fetchall()
    return db, held


def test_a_warehouse_made_without_the_table_gets_it_filled_in(tmp_path: Path) -> None:
    db, held = _loaded(tmp_path)
    assert {(r[1], r[3]) for r in held} == {("greater-manchester", "Burglary"),
                                            ("merseyside", "Shoplifting")}
    assert sum(r[1] == "merseyside" for r in held) == 13  # 2019-05 .. 2020-05
    with Warehouse.open(db) as wh:  # as a warehouse made before the table was
        wh.con.execute("DROP TABLE points_categories")
    with Warehouse.open(db) as wh:
        assert wh.con.execute(HELD).fetchall() == held
    with Warehouse.open(db) as wh:  # opened again: nothing recorded twice
        assert wh.con.execute(HELD).fetchall() == held
    reader = Warehouse.open(db, read_only=True)
    try:
        assert reader.con.execute(HELD).fetchall() == held
    finally:
        reader.close()


def test_only_the_files_missing_from_the_table_are_filled_in(tmp_path: Path) -> None:
    db, held = _loaded(tmp_path)
    merseyside = min(r[0] for r in held if r[1] == "merseyside")
    with Warehouse.open(db) as wh:
        wh.con.execute("DELETE FROM points_categories WHERE ingest_id = ?", [merseyside])
        wh.con.execute("INSERT INTO points_categories SELECT ingest_id, force, month, 'Drugs' "
                       "FROM points_categories")  # a recorded file is left as it is
    with Warehouse.open(db) as wh:
        got = wh.con.execute(HELD).fetchall()
    drugs = [r for r in got if r[3] == "Drugs"]
    assert sorted([*held, *drugs]) == got
    assert {r[1] for r in drugs} == {"greater-manchester"}
