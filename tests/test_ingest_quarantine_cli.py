"""`paragon quarantine list|show`: the ingest history and the refused lines, as the files had them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from paragon.cli import app

DATA = Path(__file__).parent / "data" / "policeuk"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout


def damaged_copy(path: Path) -> Path:
    """The real City of London file with three lines damaged (lines 3, 10 and 20)."""
    lines = (DATA / "street" / "2021-01-city-of-london-street.csv").read_text().splitlines()
    lines[2] = lines[2].replace("-0.098572", "west")
    lines[9] = lines[9] + ",extra"
    lines[19] = lines[19].replace("Anti-social behaviour", "Noise").replace("Other theft", "Noise")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_list_and_show(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    bad = damaged_copy(tmp_path / "2021-01-city-of-london-street.csv")
    assert run("ingest", str(bad), str(DATA / "outcomes"), "--db", db)[0] == 0
    code, out = run("quarantine", "list", "--db", db, "--format", "json")
    assert code == 0
    ingests = json.loads(out)["ingests"]
    assert [i["file"] for i in ingests][-1] == bad.name  # most recent first
    street = ingests[-1]
    assert (street["rows_read"], street["rows_quarantined"], street["rows_loaded"]) == (247, 3, 244)
    assert set(street["top_reasons"]) == {
        "Longitude 'west' is not a number",
        "expected 12 fields, found 13",
        "unknown crime type 'Noise'",
    }
    assert all(i["rows_quarantined"] == 0 for i in ingests[:-1])

    code, out = run(
        "quarantine", "show", "--db", db, "--ingest", str(street["ingest_id"]), "--format", "json"
    )
    shown = json.loads(out)
    assert shown["total"] == 3
    lines = bad.read_text().splitlines()
    assert [(r["line"], r["column"]) for r in shown["rows"]] == [
        (3, "Longitude"),
        (10, None),
        (20, "Crime type"),
    ]
    assert all(r["raw_text"] == lines[r["line"] - 1] for r in shown["rows"])
    code, out = run("quarantine", "show", "--db", db, "--limit", "1")
    assert code == 0 and "1 of 3 quarantined rows" in out
    code, out = run("quarantine", "list", "--db", db)
    assert code == 0 and bad.name in out


def test_no_warehouse_is_a_readable_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["quarantine", "list", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "no warehouse" in result.stderr


def test_list_keeps_the_three_commonest_reasons(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    lines = (DATA / "street" / "2021-01-city-of-london-street.csv").read_text().splitlines()
    # Four kinds of damage, on 4, 3, 2 and 1 lines: the rarest must drop out of the list.
    for extra, rows in ((1, range(2, 6)), (2, range(10, 13)), (3, range(20, 22)), (4, [30])):
        for i in rows:
            lines[i] = lines[i] + ",x" * extra
    bad = tmp_path / "2021-01-city-of-london-street.csv"
    bad.write_text("\n".join(lines) + "\n")
    assert run("ingest", str(bad), "--db", db)[0] == 0
    code, out = run("quarantine", "list", "--db", db, "--format", "json")
    assert code == 0
    [street] = json.loads(out)["ingests"]
    assert street["rows_quarantined"] == 10
    top = street["top_reasons"]
    assert top == {
        "expected 12 fields, found 13": 4,
        "expected 12 fields, found 14": 3,
        "expected 12 fields, found 15": 2,
    }
