"""The survey-responses format (surveys.py) on the engine's vectorised path: the same checks, the
same reasons and the same keys as the row path, for a whole file at once.

The file is split as the force-crimes bulk path splits it (bulk_common.read_checked: pyarrow's
CSV reader for a plain file, ``parse_lines`` otherwise) and trimmed as the row path trims; one
DuckDB query gives each row its first failing check in the row path's order, with a row's LSOA
looked up in the plan's own LSOA -> LPU assignment (``plan_lsoas``, any force); the reasons are
worded for the failing rows only; the good rows go into ``survey_responses`` in one INSERT that
skips keys already loaded and keeps the first row (in line order) of a key repeated in the file.
``survey_format(plan, bulk=True)`` selects this path; tests/test_ingest_surveys_bulk.py checks it
loads and quarantines exactly what the row path does.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from typing import Any

import duckdb
import pyarrow as pa

from paragon.geography.lpus import plan_lsoas
from paragon.ingest.bulk_common import (
    DATE_PATTERN,
    LSOA_PATTERN,
    empty_table,
    raw_lines,
    read_checked,
    shown,
    sql_list,
)
from paragon.ingest.engine import BulkContext, IngestReport, Source
from paragon.ingest.policeuk.bulk import quarantine_rows
from paragon.ingest.policeuk.lines import Parsed
from paragon.ingest.surveys import outside_reason
from paragon.plan.schema import Plan

ALIASES = {  # alias -> header column
    "survey": "survey",
    "respondent": "respondent_id",
    "date_txt": "interview_date",
    "lpu_txt": "lpu_id",
    "lsoa_code": "lsoa_code",
    "victim_type": "victim_type",
    "question": "question_id",
    "answer": "answer",
    "weight_txt": "weight",
}


def _checks(surveys: tuple[str, ...], lpus: tuple[str, ...],
            force: str) -> list[tuple[str, str, str]]:
    """(column, bad, reason) in the order the row path (surveys.to_record) checks them."""
    outside = outside_reason(force).replace("'", "''")
    plan_has = ", ".join(sorted(surveys)).replace("'", "''")
    return [
        ("survey", "survey IS NULL", "'survey is empty'"),
        ("survey", f"survey NOT IN {sql_list(surveys)}",
         f"'unknown survey ' || {shown('survey')} || ' (plan has {plan_has})'"),
        ("respondent_id", "respondent IS NULL", "'respondent_id is empty'"),
        ("interview_date", "date_txt IS NULL", "'interview_date is empty'"),
        ("interview_date", "interview_date IS NULL",
         f"'interview_date ' || {shown('date_txt')} || ' is not a date (YYYY-MM-DD)'"),
        ("lsoa_code", f"lsoa_code IS NOT NULL AND NOT regexp_matches(lsoa_code, '{LSOA_PATTERN}')",
         f"'lsoa_code ' || {shown('lsoa_code')} || ' is not an LSOA code (E01nnnnnn)'"),
        ("lsoa_code", "lsoa_code IS NOT NULL AND plan_lsoa IS NULL",
         f"'lsoa_code ' || {shown('lsoa_code')} || ' {outside}'"),
        ("lpu_id", "lpu_id IS NULL", "'neither lpu_id nor a known lsoa_code gives the place'"),
        ("lpu_id", f"lpu_id NOT IN {sql_list(lpus)}", f"'unknown LPU ' || {shown('lpu_id')}"),
        ("victim_type", "victim_type IS NOT NULL AND victim_type NOT IN ('crime', 'asb')",
         f"'victim_type ' || {shown('victim_type', 20)} || ' is not crime or asb'"),
        ("question_id", "question IS NULL", "'question_id is empty'"),
        ("weight", "weight_txt IS NOT NULL AND weight IS NULL",
         f"'weight ' || {shown('weight_txt')} || ' is not a number'"),
        ("weight", "weight IS NOT NULL AND (isnan(weight) OR isinf(weight) "
         "OR NOT (weight BETWEEN 0 AND 1000))",
         "'weight ' || left(weight_txt, 40) || ' is out of range (0.0 to 1000.0)'"),
        ("weight", "weight IS NULL OR weight <= 0", "'weight must be a positive number'"),
        ("answer", "answer IS NULL", "'answer is empty'"),
    ]


def _typed(extra: str = "") -> str:
    """Every row of ``_sv_named`` (already trimmed), typed, with its LPU from the LSOA (in the
    plan's assignment) when the row names none; ``plan_lsoa`` is NULL for an LSOA not in the
    plan."""
    texts = ", ".join(f"nullif({a}, '') AS {a}" for a in ALIASES)
    date = (f"CASE WHEN regexp_matches(date_txt, '{DATE_PATTERN}') THEN coalesce("
            "try_cast(date_txt AS DATE), try_strptime(date_txt, '%Y%m%d')::DATE) END")
    return f"""
        SELECT t.* EXCLUDE (lpu_txt),
               survey || ':' || respondent || ':' || question AS response_key,
               {date} AS interview_date, coalesce(lpu_txt, l.lpu_id) AS lpu_id, l.code AS plan_lsoa,
               try_cast(weight_txt AS DOUBLE) AS weight
        FROM (SELECT line_number, {texts}{extra} FROM _sv_named) t
        LEFT JOIN _sv_lsoas l ON l.code = t.lsoa_code"""


def check_sql(surveys: tuple[str, ...], lpus: tuple[str, ...], force: str) -> str:
    """The index of each row's first failing check (NULL for a good row), in line order."""
    first = "CASE " + " ".join(
        f"WHEN {bad} THEN {i}" for i, (_, bad, _) in enumerate(_checks(surveys, lpus, force)))
    return f"SELECT {first} END::TINYINT AS _check FROM ({_typed()}) ORDER BY line_number"


def reason_sql(surveys: tuple[str, ...], lpus: tuple[str, ...], force: str) -> str:
    """Line, column and reason of the rows whose ``_check`` is set."""
    checks = _checks(surveys, lpus, force)
    reason = "CASE _check " + " ".join(f"WHEN {i} THEN {r}" for i, (_, _, r) in enumerate(checks))
    columns = "[" + ", ".join(f"'{c}'" for c, _, _ in checks) + "]"
    return (f"SELECT line_number, {columns}[_check + 1] AS column_name, {reason} END AS reason "
            f"FROM ({_typed(', _check')}) WHERE _check IS NOT NULL ORDER BY line_number")


INSERT_SQL = """
    INSERT INTO survey_responses BY NAME
    SELECT response_key, survey, respondent AS respondent_id, interview_date, lpu_id, lsoa_code,
           victim_type, question AS question_id, answer, weight, ? AS ingest_id
    FROM ({typed}) v
    WHERE _check IS NULL {check}
    {first}"""
FIRST_OF_REPEATS = "QUALIFY row_number() OVER (PARTITION BY response_key ORDER BY line_number) = 1"


class SurveyLoader:
    """The engine's BulkLoader for survey responses checked against a plan."""

    def __init__(self, plan: Plan, columns: tuple[str, ...]):
        self.surveys = tuple(s.id for s in plan.surveys)
        self.lpus = tuple(lpu.id for lpu in plan.lpus)
        self.force = plan.force
        lsoas = plan_lsoas(plan)  # the plan's own LSOA -> LPU assignment, as the row path
        self.lsoas = pa.table({"code": [x.lsoa_code for x in lsoas],
                               "lpu_id": [x.lpu_id for x in lsoas]})
        self.columns = columns

    def prepare(self, data: bytes, source: Source) -> Parsed:
        return read_checked(data, source, "survey", self.columns)

    def load(self, con: duckdb.DuckDBPyConnection, prepared: Any, ctx: BulkContext,
             report: IngestReport) -> None:
        assert isinstance(prepared, Parsed)
        parsed = prepared
        named = pa.table({
            "line_number": parsed.table["line_number"],
            **{a: parsed.table[f"c{parsed.header.index(c)}"] for a, c in ALIASES.items()},
        }).sort_by("line_number")
        try:
            con.register("_sv_lsoas", self.lsoas)
            con.register("_sv_named", named)
            checked = con.sql(check_sql(self.surveys, self.lpus, self.force)).to_arrow_table()
            named = named.append_column("_check", checked["_check"])
            con.unregister("_sv_named")
            con.register("_sv_named", named)
            failed = con.sql(reason_sql(self.surveys, self.lpus, self.force)).fetchall()
            bad = sorted([*parsed.bad, *failed])
            check = "" if not ctx.careful and empty_table(con, "survey_responses") else (
                "AND NOT EXISTS (SELECT 1 FROM survey_responses t "
                "WHERE t.response_key = v.response_key)")
            counts = con.sql("SELECT count(*), count(DISTINCT response_key) "
                             f"FROM ({_typed(', _check')}) WHERE _check IS NULL").fetchall()[0]
            sql = INSERT_SQL.format(typed=_typed(", _check"), check=check,
                                    first=FIRST_OF_REPEATS if counts[1] < counts[0] else "")
            loaded = con.execute(sql, [ctx.ingest_id]).fetchall()[0][0]
            report.rows_read = parsed.rows_read
            report.rows_quarantined = len(bad)
            report.rows_loaded = int(loaded)
            report.rows_duplicate = report.rows_read - report.rows_quarantined - report.rows_loaded
            report.reasons = Counter(reason for _, _, reason in bad)
            if report.rows_duplicate:
                report.reasons["duplicate"] = report.rows_duplicate
            if ctx.keep_quarantine and bad:
                raw_lines(parsed, ctx.source)
                quarantine_rows(con, ctx, parsed, bad)
            if parsed.encoding != "utf-8":
                report.message = f"decoded as {parsed.encoding}"
        finally:
            with suppress(duckdb.Error):  # after an error the transaction rolls back anyway
                for view in ("_sv_named", "_sv_lsoas", "_fc_bad"):
                    con.unregister(view)
