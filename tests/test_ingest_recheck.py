"""Re-ingest is a check, not a load; files commit in batches; duplicates are found per force-month
without a primary-key index. On the real Cambridgeshire and City of London files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from paragon.errors import IngestError
from paragon.ingest import engine
from paragon.ingest.registry import formats, ingest_paths, pick_format, sources
from paragon.plan import Plan
from paragon.warehouse import Warehouse

DATA = Path(__file__).parent / "data" / "policeuk"
STREET = sorted((DATA / "street").glob("2021-01-*.csv"))
OUTCOMES = DATA / "outcomes" / "2016-11-city-of-london-outcomes.csv"
STOPS = DATA / "stop-and-search" / "2020-01-durham-stop-and-search.csv"


def counts(wh: Warehouse) -> dict[str, int]:
    return {t: n for t, n in wh.table_counts().items() if t not in ("ingests",)}


def test_an_identical_file_is_recognised_by_content_and_not_parsed(
        wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    files = [*STREET, OUTCOMES, STOPS]
    first = ingest_paths(wh, files, plan)
    before = counts(wh)
    # the same bytes under another name are the same file
    copy = tmp_path / "copy" / STREET[0].name
    copy.parent.mkdir()
    shutil.copy(STREET[0], copy)
    [source] = sources([copy])
    known = engine.known_files(wh)
    fmt = pick_format(copy.read_bytes().split(b"\n", 1)[0].decode().split(","), copy.name,
                      formats(plan), None)
    staged = engine.stage_source(source, fmt, known=known)
    assert staged.identical and staged.prepared is None and staged.data is None

    again = ingest_paths(wh, files, plan)
    assert counts(wh) == before  # nothing loaded, nothing quarantined twice
    for old, new in zip(first, again, strict=True):
        assert new.rows_read == old.rows_read > 0
        assert new.rows_loaded == 0
        assert new.rows_quarantined == old.rows_quarantined
        assert new.rows_duplicate == old.rows_read - old.rows_quarantined
        assert new.reasons == {**old.reasons, "duplicate": new.rows_duplicate}
        assert new.notes == old.notes
        assert new.message.startswith(f"identical to ingest {old.ingest_id}: nothing new loaded")
    assert wh.scalar("SELECT count(*) FROM ingests") == 2 * len(files)
    ids = [r.ingest_id for r in again]
    assert ids == sorted(ids) and len(set(ids)) == len(files) and ids[0] > first[-1].ingest_id
    recorded = wh.query("SELECT ingest_id, file_name, rows_read, rows_duplicate, message "
                        "FROM ingests WHERE ingest_id >= ? ORDER BY ingest_id", [ids[0]])
    assert [(r["ingest_id"], r["rows_read"], r["rows_duplicate"], r["message"]) for r in recorded] \
        == [(r.ingest_id, r.rows_read, r.rows_duplicate, r.message) for r in again]


def test_a_changed_file_is_loaded_and_its_force_month_checked(
        wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    ingest_paths(wh, STREET, plan)
    changed = tmp_path / STREET[1].name  # City of London, one ASB row added at the end
    text = STREET[1].read_text()
    changed.write_text(text + text.splitlines()[1] + "\n")
    [report] = ingest_paths(wh, [changed], plan)
    assert (report.rows_loaded, report.rows_duplicate) == (1, report.rows_read - 1)


def test_a_failing_file_leaves_the_files_before_it_loaded(
        wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    """The batch holding a bad file rolls back; its files before the bad one are loaded again
    one by one, so the run stops where it did when each file committed alone."""
    folder = tmp_path / "files"
    folder.mkdir()
    for path in STREET:
        shutil.copy(path, folder / path.name)
    (folder / "2021-02-city-of-london-street.csv").write_text("Crime ID,Month\nx,2021-02\n")
    with pytest.raises(IngestError, match=r"2021-02-city-of-london-street\.csv"):
        ingest_paths(wh, [folder], plan, kind="street")
    assert wh.scalar("SELECT count(*) FROM ingests") == 2
    assert wh.scalar("SELECT count(*) FROM crimes") > 0
    assert wh.scalar("SELECT count(DISTINCT ingest_id) FROM crimes") == 2


def test_files_commit_in_batches(wh: Warehouse, plan: Plan,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Several files, one transaction: the ingest ids of one batch are committed together (the
    CLI hears of a file once its batch is in)."""
    heard: list[int] = []

    def on_file(report: engine.IngestReport) -> None:
        heard.append(wh.scalar("SELECT count(*) FROM ingests"))

    ingest_paths(wh, [*STREET, OUTCOMES, STOPS], plan, on_file=on_file)
    assert heard == [4, 4, 4, 4]  # each file's report comes after the batch of four committed
    monkeypatch.setattr(engine, "BATCH_FILES", 1)
    heard.clear()
    ingest_paths(wh, [DATA / "outcomes" / "2016-12-city-of-london-outcomes.csv",
                      DATA / "outcomes" / "2017-01-city-of-london-outcomes.csv"], plan,
                 on_file=on_file)
    assert heard == [5, 6]


def test_a_warehouse_without_the_ledger_lists_its_months_once(
        wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    """A warehouse made before ``loaded_months`` (its tables full, the ledger empty): the first
    police.uk file fills the ledger from the tables, so a changed month still finds duplicates."""
    ingest_paths(wh, STREET, plan)
    with wh.transaction() as con:
        con.execute("DELETE FROM loaded_months")
    changed = tmp_path / STREET[1].name
    text = STREET[1].read_text()
    changed.write_text(text + text.splitlines()[1] + "\n")
    [report] = ingest_paths(wh, [changed], plan)
    assert (report.rows_loaded, report.rows_duplicate) == (1, report.rows_read - 1)
    assert wh.scalar("SELECT count(*) FROM loaded_months") == 4  # 2 forces x crimes, asb
