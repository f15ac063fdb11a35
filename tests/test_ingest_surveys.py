"""Survey responses: the respondent-level format and its invariants."""

from __future__ import annotations

from pathlib import Path

from paragon.ingest.registry import ingest_paths
from paragon.plan import Plan
from paragon.warehouse import Warehouse

HEADER = (
    "survey,respondent_id,interview_date,lpu_id,lsoa_code,victim_type,question_id,answer,weight"
)


def test_survey_invariants(wh: Warehouse, plan: Plan, tmp_path: Path) -> None:
    lines = [
        "feeling-the-difference,R1,2010-05-01,coventry,,,confidence_in_police,tend_to_agree,1.2",
        "feeling-the-difference,R2,2010-05-02,,E01009946,,confidence_in_police,strongly_disagree,0.8",
        "contact-counts,V1,2010-06-01,dudley,,crime,satisfaction_actions,very_satisfied,1",
        "opinion-poll,X1,2010-06-01,dudley,,,q,yes,1",
        "contact-counts,V2,2010-06-01,dudley,,burglary,satisfaction_actions,very_satisfied,1",
        "contact-counts,V3,2010-06-01,nowhere,,crime,satisfaction_actions,very_satisfied,1",
        "contact-counts,V4,2010-06-01,dudley,,crime,satisfaction_actions,very_satisfied,-2",
        "contact-counts,V5,2010-06-01,,,crime,satisfaction_actions,very_satisfied,1",
        "feeling-the-difference,R1,2010-05-01,coventry,,,confidence_in_police,tend_to_agree,1.2",
    ]
    path = tmp_path / "s.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    [report] = ingest_paths(wh, [path], plan)
    assert report.kind == "survey"
    assert (
        report.rows_read,
        report.rows_loaded,
        report.rows_quarantined,
        report.rows_duplicate,
    ) == (9, 3, 5, 1)
    reasons = [r["reason"] for r in wh.query("SELECT reason FROM quarantine ORDER BY line_number")]
    assert "unknown survey 'opinion-poll'" in reasons[0]
    assert "is not crime or asb" in reasons[1]
    assert "unknown LPU 'nowhere'" in reasons[2]
    assert "weight" in reasons[3]
    assert "neither lpu_id nor a known lsoa_code" in reasons[4]
    assert wh.scalar("SELECT lpu_id FROM survey_responses WHERE respondent_id = 'R2'") == "sandwell"
    [again] = ingest_paths(wh, [path], plan)
    assert again.rows_loaded == 0 and again.rows_duplicate == 4
