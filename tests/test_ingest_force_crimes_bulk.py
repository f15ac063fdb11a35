"""The vectorised force-crimes path loads, quarantines and counts exactly what the row path does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bulk_check import load_and_read
from paragon.ingest.bulk_common import plain_read
from paragon.ingest.force_crimes import force_crimes_format

HEADER = (
    "crime_reference,recorded_date,offence_code,hate_flag,business_flag,domestic_flag,"
    "lsoa_code,location,easting,northing,outcome_type,outcome_date"
)
LINES = [
    "WM/1,2010-04-03,28E,N,N,N,E01008881,On or near High Street,407000,287000,charged_summonsed,2010-05-01",
    "WM/2,2010-04-09,34B,n,no,0,E01008882,On or near Station Road,406900,286800,,",
    "WM/3,2010-05-11,46,N,Y,N,,Supermarket,,,caution,2010-05-12",
    'WM/4,2010-06-01,8N,Y,N,Y,E01008881,"On or near Park Road, East",,,no_further_action,2010-07-01',
    " WM/20 , 2010-06-02 , 28E , yes , TRUE , 1 , E01009999 , padded ,  , , , ",
    "WM/21,20100603,28E,,,,,,,,,",
    "WM/1,2010-04-04,28F,N,N,N,,repeated reference: a duplicate,,,,",
    "WM/5,2010-13-01,28E,N,N,N,,,,,,",
    "WM/6,2010-06-01,99Z,N,N,N,,,,,,",
    "WM/7,2010-06-01,28E,maybe,N,N,,,,,,",
    "WM/8,2010-06-01,28E,N,N,N,E01008881,x,407000,,,",
    "WM/9,2010-06-01,28E,N,N,N,,,,,arrested,2010-06-02",
    "WM/10,2010-06-01,28E,N,N,N,,,,,caution,2010-05-01",
    "WM/11,2010-06-01,28E,N,N",
    "WM/12,2010-06-01,28E,N,N,N,NOTANLSOA,,,,,",
    ",2010-06-01,28E,N,N,N,,,,,,",
    "WM/13,,28E,N,N,N,,,,,,",
    "WM/14,2010-06-01,,N,N,N,,,,,,",
    "WM/15,2010-06-01,28E,N,N,N,,,abc,1,,",
    "WM/16,2010-06-01,28E,N,N,N,,,800000,1,,",
    "WM/17,2010-06-01,28E,N,N,N,,,1,-5,,",
    "WM/18,2010-06-01,28E,N,N,N,,,,,caution,",
    "WM/19,2010-06-01,28E,N,N,N,,,,,,2010-07-01",
    "WM/22,2010-06-01,28E,N,N,N,,,,,caution,01/07/2010",
    "WM/23,2010-06-01,28E,N,maybe,perhaps,,,,,,",
    "WM/24,2010-06-01,28E,N,N,N,,,nan,1,,",
    "WM/26,2010-06-01,28E,bad,worse,N,,,,,,",
    "",
    "WM/25,2010-06-01,5D,N,N,Y,E01008881,On or near Caf\u00e9 Row,407100,287100,caution,2010-06-01",
]


def _load(tmp_path: Path, name: str, bulk: bool, files: list[list[str]]) -> dict[str, Any]:
    return load_and_read(tmp_path, name, HEADER, files,
                         lambda: force_crimes_format("west-midlands", bulk=bulk),
                         "SELECT * EXCLUDE (ingest_id) FROM crimes ORDER BY crime_key")


# Without the quoted line, the blank line and the short row, the file is read by pyarrow's CSV
# reader (bulk_common.plain_read) instead of line by line: it must still match the row path.
PLAIN = [line for line in LINES if '"' not in line and line and line.count(",") == 11]


@pytest.mark.parametrize(
    "files",
    [
        pytest.param([LINES], id="one file"),
        pytest.param([LINES[:5], LINES, LINES], id="overlapping and repeated files"),
        pytest.param([PLAIN], id="plain file"),
        pytest.param([PLAIN[:5], PLAIN, LINES], id="plain and awkward files"),
    ],
)
def test_bulk_path_matches_row_path(tmp_path: Path, files: list[list[str]]) -> None:
    rows = _load(tmp_path, "rows", False, files)
    bulk = _load(tmp_path, "bulk", True, files)
    assert bulk["quarantine"] == rows["quarantine"]
    assert bulk["reports"] == rows["reports"]
    assert bulk["rows"] == rows["rows"]
    # Seven distinct good references; every bad row is a different check failing.
    if files[-1] is LINES:
        assert sum(r["rows_loaded"] for r in rows["reports"]) == len(rows["rows"]) == 7
        assert rows["reports"][-1]["rows_quarantined"] == 20


def test_which_files_take_the_plain_read() -> None:
    def text(lines: list[str]) -> bytes:
        return ("\n".join(['"' + HEADER.replace(",", '","') + '"', *lines]) + "\n").encode()

    plain = plain_read(text(PLAIN), "x.csv")
    assert plain is not None and plain.rows_read == len(PLAIN) == 26
    assert plain.table["line_number"].to_pylist() == list(range(2, 28))
    assert plain.table["c7"][3].as_py() == " padded "  # untrimmed, as the row path reads it
    assert plain_read(text(LINES), "x.csv") is None  # a quoted field, a blank line, a short row
    assert plain_read(text([*PLAIN, ""]) + b"\n", "x.csv") is None  # blank lines
    assert plain_read(text([*PLAIN[:3], "", *PLAIN[3:]]), "x.csv") is None
    assert plain_read(text(PLAIN).replace(b"\n", b"\r\n"), "x.csv") is None
    assert plain_read(text([PLAIN[0].replace("High Street", "x" * 10_001)]), "x.csv") is None
    assert plain_read(text(PLAIN).replace("Caf\u00e9".encode(), b"Caf\xe9"), "x.csv") is None
