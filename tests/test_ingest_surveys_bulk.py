"""The vectorised survey path loads, quarantines and counts exactly what the row path does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bulk_check import load_and_read
from paragon.ingest.surveys import survey_format
from paragon.plan import Plan

HEADER = "survey,respondent_id,interview_date,lpu_id,lsoa_code,victim_type,question_id,answer,weight"
LINES = [
    "feeling-the-difference,R1,2010-05-01,coventry,,,confidence_in_police,tend_to_agree,1.2",
    "feeling-the-difference,R2,2010-05-02,,E01009946,,confidence_in_police,strongly_disagree,0.8",
    " contact-counts , V1 , 20100601 , dudley , , crime , satisfaction_actions , very_satisfied , 1 ",
    "opinion-poll,X1,2010-06-01,dudley,,,q,yes,1",
    ",X2,2010-06-01,dudley,,,q,yes,1",
    "contact-counts,,2010-06-01,dudley,,,q,yes,1",
    "contact-counts,X3,,dudley,,,q,yes,1",
    "contact-counts,X4,2010-13-01,dudley,,,q,yes,1",
    "contact-counts,X5,01/06/2010,dudley,,,q,yes,1",
    "contact-counts,X6,2010-06-01,dudley,NOTANLSOA,,q,yes,1",
    "contact-counts,V5,2010-06-01,,,crime,satisfaction_actions,very_satisfied,1",
    "contact-counts,V6,2010-06-01,,E01999999,crime,satisfaction_actions,very_satisfied,1",
    "contact-counts,V3,2010-06-01,nowhere,,crime,satisfaction_actions,very_satisfied,1",
    "contact-counts,V2,2010-06-01,dudley,,burglary,satisfaction_actions,very_satisfied,1",
    "contact-counts,V7,2010-06-01,dudley,,crime,,very_satisfied,1",
    "contact-counts,V8,2010-06-01,dudley,,crime,q,very_satisfied,heavy",
    "contact-counts,V9,2010-06-01,dudley,,crime,q,very_satisfied,nan",
    "contact-counts,V10,2010-06-01,dudley,,crime,q,very_satisfied,1001",
    "contact-counts,V4,2010-06-01,dudley,,crime,q,very_satisfied,-2",
    "contact-counts,V11,2010-06-01,dudley,,crime,q,very_satisfied,0",
    "contact-counts,V12,2010-06-01,dudley,,crime,q,very_satisfied,",
    "contact-counts,V13,2010-06-01,dudley,,crime,q,,1",
    "contact-counts,V14,2010-06-01,dudley,,asb,q,fair,1_000",
    "contact-counts,V15,2010-06-01,dudley",
    "",
    "feeling-the-difference,R1,2010-05-01,coventry,,,confidence_in_police,tend_to_agree,1.2",
    'feeling-the-difference,"R3",2010-05-01,coventry,,,confidence_in_police,"tend_to_agree",1',
]
PLAIN = [line for line in LINES if '"' not in line and line and line.count(",") == 8]


def _load(tmp_path: Path, plan: Plan, name: str, bulk: bool,
          files: list[list[str]]) -> dict[str, Any]:
    return load_and_read(tmp_path, name, HEADER, files, lambda: survey_format(plan, bulk=bulk),
                         "SELECT * EXCLUDE (ingest_id) FROM survey_responses ORDER BY response_key")


@pytest.mark.parametrize(
    "files",
    [
        pytest.param([LINES], id="awkward file"),
        pytest.param([PLAIN], id="plain file"),
        pytest.param([PLAIN[:4], LINES, PLAIN], id="overlapping and repeated files"),
    ],
)
def test_bulk_path_matches_row_path(tmp_path: Path, plan: Plan, files: list[list[str]]) -> None:
    rows = _load(tmp_path, plan, "rows", False, files)
    bulk = _load(tmp_path, plan, "bulk", True, files)
    assert bulk["quarantine"] == rows["quarantine"]
    assert bulk["reports"] == rows["reports"]
    assert bulk["rows"] == rows["rows"]
    if files == [LINES]:
        assert rows["reports"][0]["rows_loaded"] == 5  # R1, R2, V1, V14, R3
        assert rows["reports"][0]["rows_quarantined"] == 20
        assert rows["reports"][0]["rows_duplicate"] == 1


def test_bulk_paths_share_public_helpers_only() -> None:
    """The survey and force-crimes bulk paths take what they share from ingest/bulk_common.py by
    public names: neither imports another module's private (underscore) names."""
    import ast

    import paragon.ingest.force_crimes_bulk as crimes_bulk
    import paragon.ingest.surveys_bulk as surveys_bulk

    for module in (crimes_bulk, surveys_bulk):
        assert module.__file__ is not None
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        private = [(node.module, alias.name) for node in ast.walk(tree)
                   if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("paragon")
                   for alias in node.names if alias.name.startswith("_")]
        assert private == [], f"{module.__name__} imports private names {private}"
    assert surveys_bulk.read_checked is crimes_bulk.read_checked


@pytest.mark.parametrize("force", ["greater-manchester", "cambridgeshire"])
def test_another_forces_plan_places_rows_by_its_own_lsoas(tmp_path: Path, force: str) -> None:
    """A survey file for another force's starter plan: a row placed by its LSOA lands in the LPU
    that plan gives the LSOA (not a West Midlands lookup), and a row whose LSOA is outside the
    plan's force is quarantined saying so, on the row path and the bulk path alike."""
    from paragon.geography.lpus import plan_lsoas
    from paragon.plan import default_plan, parse_plan
    from paragon.plan.init import starter_plan_text

    plan = parse_plan(starter_plan_text(force, "2016-17"), force)
    plan = plan.model_copy(update={"surveys": default_plan().surveys})
    placed = plan_lsoas(plan)
    first, last = placed[0], placed[-1]
    lpu = plan.lpus[0].id
    lines = [
        f"feeling-the-difference,G1,2016-05-01,,{first.lsoa_code},,confidence_in_police,yes,1",
        f"feeling-the-difference,G2,2016-05-01,,{last.lsoa_code},,confidence_in_police,no,1",
        f"feeling-the-difference,G3,2016-05-01,{lpu},,,confidence_in_police,no,1",
        "feeling-the-difference,W1,2016-05-01,,E01009946,,confidence_in_police,no,1",  # Sandwell
        f"feeling-the-difference,W2,2016-05-01,{lpu},E01009946,,confidence_in_police,no,1",
        "feeling-the-difference,W3,2016-05-01,sandwell,,,confidence_in_police,no,1",
    ]
    got = {bulk: _load(tmp_path, plan, f"{force}-{bulk}", bulk, [lines]) for bulk in (False, True)}
    assert got[True] == got[False]
    rows = {r[2]: r for r in got[True]["rows"]}  # respondent_id -> row
    assert set(rows) == {"G1", "G2", "G3"}
    assert rows["G1"][4] == first.lpu_id and rows["G2"][4] == last.lpu_id
    assert rows["G3"][4] == lpu
    quarantine = [(line, column, reason) for line, column, reason, _ in got[True]["quarantine"]]
    outside = f"lsoa_code 'E01009946' is not in the plan's force area ({force})"
    assert quarantine == [(5, "lsoa_code", outside), (6, "lsoa_code", outside),
                          (7, "lpu_id", "unknown LPU 'sandwell'")]
