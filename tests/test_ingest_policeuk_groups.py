"""Files of one police.uk format load together in groups (one query per group, not per file), with
the same result as loading them one after another: the same reports, rows, quarantine, ledger and
ingests. On the real Cambridgeshire, City of London and Derbyshire files, with bad rows put in."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from paragon.ingest import engine
from paragon.ingest.policeuk.bulk import SqlLoader
from paragon.ingest.registry import ingest_paths
from paragon.plan import Plan
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "policeuk"
TABLES = {
    "crimes": "",
    "asb_incidents": "",
    "outcomes": "",
    "stop_search": "",
    "quarantine": "",
    "loaded_months": "",
    "ingests": " EXCLUDE (path, started_at, finished_at)",
}


def _folder(root: Path) -> Path:
    """Street files of two forces and two months (one with bad rows), the same bytes twice, three
    months of outcomes and two forces' stop and search."""
    folder = root / "files"
    (folder / "again").mkdir(parents=True)
    for path in sorted((DATA / "street").glob("2021-01-*.csv")):
        shutil.copy(path, folder / path.name)
    shutil.copy(DATA / "street" / "2021-01-cambridgeshire-street.csv",
                folder / "again" / "2021-01-cambridgeshire-street.csv")
    lines = (DATA / "street" / "2021-01-city-of-london-street.csv").read_text().splitlines()
    moved = [line.replace(",2021-01,", ",2021-02,") for line in lines]
    moved[3] = moved[3].replace(",2021-02,", ",2021-13,", 1)  # not a month
    moved[5] = moved[5] + ',"open'  # a quote left open
    moved[7] = ",".join(moved[7].split(",")[:3])  # too few fields
    (folder / "2021-02-city-of-london-street.csv").write_text("\n".join(moved) + "\n")
    for path in sorted((DATA / "outcomes").glob("*.csv")):
        shutil.copy(path, folder / path.name)
    for name in ("2019-12-city-of-london", "2019-12-derbyshire"):
        shutil.copy(DATA / "stop-and-search" / f"{name}-stop-and-search.csv", folder)
    return folder


def _contents(wh: Warehouse) -> dict[str, list[dict[str, Any]]]:
    return {table: wh.query(f"SELECT *{exclude} FROM {table} ORDER BY ALL")
            for table, exclude in TABLES.items()}


def test_files_loaded_in_groups_equal_files_loaded_one_by_one(
        wh: Warehouse, plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    sizes: list[int] = []
    load_many = SqlLoader.load_many

    def spy(self: SqlLoader, con: Any, items: list[Any]) -> None:
        sizes.append(len(items))
        load_many(self, con, items)

    monkeypatch.setattr(SqlLoader, "load_many", spy)
    grouped = ingest_paths(wh, [folder], plan)
    assert max(sizes) >= 3  # the outcomes months went together
    grouped_contents = _contents(wh)

    sizes.clear()
    monkeypatch.setattr(engine, "GROUP_FILES", 1)
    alone = Warehouse.open(tmp_path / "alone" / "w.duckdb")
    try:
        single = ingest_paths(alone, [folder], plan)
        assert set(sizes) == {1}
        assert [r.as_dict() for r in grouped] == [r.as_dict() for r in single]
        assert grouped_contents == _contents(alone)
    finally:
        alone.close(publish_changes=False)

    by_name = {Path(r.path).name: r for r in grouped if "again" not in r.path}
    bad = by_name["2021-02-city-of-london-street.csv"]
    assert bad.rows_quarantined == 3 and bad.rows_loaded == bad.rows_read - 3
    assert {q["line_number"] for q in grouped_contents["quarantine"]} == {4, 6, 8}
    copy = next(r for r in grouped if "again" in r.path)
    assert copy.rows_loaded == 0 and copy.rows_duplicate == copy.rows_read
    assert sum(r.rows_loaded for r in grouped) == sum(
        len(grouped_contents[t]) for t in ("crimes", "asb_incidents", "outcomes", "stop_search"))
