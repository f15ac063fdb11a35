"""Survey responses: the documented respondent-level format (docs/formats.md#survey).

One row per respondent per question. Columns::

    survey, respondent_id, interview_date, lpu_id, lsoa_code, victim_type, question_id, answer,
    weight

``survey`` is a survey id of the plan (feeling-the-difference, contact-counts); ``lpu_id`` an LPU
of the plan (or blank when ``lsoa_code`` gives the place: the plan's own LSOA -> LPU assignment,
``geography.lpus.plan_lsoas``, for whichever force the plan is for); ``lsoa_code``, when given,
must be an LSOA of the plan's force; ``victim_type`` is crime or asb for the
victim survey and blank otherwise; ``weight`` a positive number (1 when unweighted).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from paragon.geography.lpus import plan_lsoas
from paragon.ingest.engine import Format, RowError
from paragon.ingest.fields import parse_date, parse_float, parse_lsoa, required
from paragon.plan.schema import Plan

COLUMNS = (
    "survey",
    "respondent_id",
    "interview_date",
    "lpu_id",
    "lsoa_code",
    "victim_type",
    "question_id",
    "answer",
    "weight",
)

TABLE_COLUMNS: dict[str, pa.DataType] = {
    "response_key": pa.string(),
    "survey": pa.string(),
    "respondent_id": pa.string(),
    "interview_date": pa.date32(),
    "lpu_id": pa.string(),
    "lsoa_code": pa.string(),
    "victim_type": pa.string(),
    "question_id": pa.string(),
    "answer": pa.string(),
    "weight": pa.float64(),
}


def outside_reason(force: str) -> str:
    """The end of the reason for a row whose LSOA is not in the plan's force area."""
    return f"is not in the plan's force area ({force})"


def survey_format(plan: Plan, *, bulk: bool = False) -> Format:
    """The survey-responses format, checked against the plan's surveys and LPUs. With ``bulk``,
    the same checks and keys on the engine's vectorised path (surveys_bulk.py)."""
    from paragon.ingest.surveys_bulk import SurveyLoader

    surveys = {s.id for s in plan.surveys}
    lpus = {lpu.id for lpu in plan.lpus}
    lsoa_lpu = {x.lsoa_code: x.lpu_id for x in plan_lsoas(plan)}
    outside = outside_reason(plan.force)

    def to_record(row: dict[str, str], _name: str) -> dict[str, Any]:
        survey = required(row, "survey")
        if survey not in surveys:
            raise RowError(
                "survey", f"unknown survey '{survey[:40]}' (plan has {', '.join(sorted(surveys))})"
            )
        respondent = required(row, "respondent_id")
        interviewed = parse_date(row, "interview_date")
        lsoa = parse_lsoa(row, "lsoa_code")
        if lsoa is not None and lsoa not in lsoa_lpu:
            raise RowError("lsoa_code", f"lsoa_code '{lsoa[:40]}' {outside}")
        lpu = row["lpu_id"].strip() or (lsoa_lpu.get(lsoa) if lsoa else None)
        if lpu is None:
            raise RowError("lpu_id", "neither lpu_id nor a known lsoa_code gives the place")
        if lpu not in lpus:
            raise RowError("lpu_id", f"unknown LPU '{lpu[:40]}'")
        victim_type = row["victim_type"].strip() or None
        if victim_type not in (None, "crime", "asb"):
            raise RowError("victim_type", f"victim_type '{victim_type[:20]}' is not crime or asb")
        question = required(row, "question_id")
        weight = parse_float(row, "weight", 0.0, 1000.0)
        if weight is None or weight <= 0:
            raise RowError("weight", "weight must be a positive number")
        return {
            "response_key": f"{survey}:{respondent}:{question}",
            "survey": survey,
            "respondent_id": respondent,
            "interview_date": interviewed,
            "lpu_id": lpu,
            "lsoa_code": lsoa,
            "victim_type": victim_type,
            "question_id": question,
            "answer": required(row, "answer"),
            "weight": weight,
        }

    return Format(
        kind="survey",
        table="survey_responses",
        key_column="response_key",
        required_columns=COLUMNS,
        columns=TABLE_COLUMNS,
        to_record=to_record,
        detect=lambda header: "respondent_id" in header and "question_id" in header,
        bulk=SurveyLoader(plan, COLUMNS) if bulk else None,
    )
