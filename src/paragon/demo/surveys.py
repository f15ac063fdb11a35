"""Synthetic respondent-level survey data: Feeling the Difference and Contact Counts.

Each respondent gets an LPU (with the LPU's own level of agreement), an LSOA in it, an interview
date and a weight (the LPU's population share over its sample share, times noise). Answers are then
calibrated, by changing as few answers as needed, so that each measure's weighted result for each
year is the target in calibration.SURVEY_TARGETS to the printed decimal.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from paragon.demo.calibration import LAST_MONTH, SURVEY_FIRST_YEAR, SURVEY_TARGETS
from paragon.demo.places import EPOCH
from paragon.geography.lpus import west_midlands_lsoas
from paragon.measures.periods import add_months, months_between
from paragon.plan.schema import Measure, Plan

FTD_PER_LPU_YEAR = 600
CC_PER_YEAR = 8000
CC_ASB_SHARE = 0.25
DONT_KNOW = 0.03

NEGATIVE = {
    "agree": (["neither", "tend_to_disagree", "strongly_disagree"], [0.4, 0.35, 0.25]),
    "increased": (["about_the_same", "decreased"], [0.7, 0.3]),
    "satisfied": (
        ["neither", "fairly_dissatisfied", "very_dissatisfied", "completely_dissatisfied"],
        [0.35, 0.35, 0.2, 0.1],
    ),
    "good": (["fair", "poor", "very_poor"], [0.6, 0.3, 0.1]),
}


def _scale(measure: Measure) -> str:
    return next(k for k in NEGATIVE if any(k in a for a in measure.positive_answers))


def _window(year: int) -> tuple[date, date]:
    """The part of a financial year the demo's surveys cover: up to the data end."""
    return date(year, 4, 1), min(date(year + 1, 4, 1), add_months(date(*LAST_MONTH, 1), 1))


def _year_days(rng: np.random.Generator, year: int, n: int) -> np.ndarray:
    """Interview dates (days since 1970) spread over the year's window."""
    start, end = _window(year)
    return (start - EPOCH).days + rng.integers(0, (end - start).days, n)


def _months_in(year: int) -> int:
    return len(months_between(*_window(year)))


def calibrate(
    rng: np.random.Generator,
    positive: np.ndarray,
    weights: np.ndarray,
    valid: np.ndarray,
    target: float,
) -> None:
    """Flip answers (positive <-> not) until the weighted % rounds to ``target`` (1 decimal)."""
    total = weights[valid].sum()
    for _ in range(100_000):
        pct = 100 * weights[valid & positive].sum() / total
        if round(pct, 1) == round(target, 1) and abs(pct - target) < 0.05:
            return
        want = not pct < target
        pool = np.flatnonzero(valid & (positive == want))
        positive[rng.choice(pool)] = not want
    raise RuntimeError(f"could not calibrate to {target}")  # pragma: no cover


def _respondents(rng: np.random.Generator, plan: Plan, n: int, year: int) -> dict[str, np.ndarray]:
    lsoas = west_midlands_lsoas()
    lpu_ids = [lpu.id for lpu in plan.lpus]
    pop = np.array([sum(x.population for x in lsoas if x.lpu_id == lpu) for lpu in lpu_ids], float)
    lpu_index = rng.integers(0, len(lpu_ids), n)
    sample_share = np.bincount(lpu_index, minlength=len(lpu_ids)) / n
    weights = (pop / pop.sum() / sample_share)[lpu_index] * rng.lognormal(0, 0.3, n)
    weights = np.round(weights / weights.mean(), 4)
    by_lpu = {lpu: [x.lsoa_code for x in lsoas if x.lpu_id == lpu] for lpu in lpu_ids}
    lsoa = np.array([rng.choice(by_lpu[lpu_ids[i]]) for i in lpu_index], dtype=object)
    return {
        "lpu": np.array(lpu_ids, dtype=object)[lpu_index],
        "lpu_index": lpu_index,
        "lsoa": lsoa,
        "weight": weights,
        "day": _year_days(rng, year, n),
    }


def _answers(
    rng: np.random.Generator,
    measure: Measure,
    people: dict[str, np.ndarray],
    target: float,
    mask: np.ndarray,
) -> np.ndarray:
    n = len(people["weight"])
    effect = rng.normal(0, 0.25, int(people["lpu_index"].max()) + 1)[people["lpu_index"]]
    logit = np.log(target / (100 - target)) + effect
    positive = rng.random(n) < 1 / (1 + np.exp(-logit))
    valid = mask & (rng.random(n) >= DONT_KNOW)
    calibrate(rng, positive, people["weight"], valid, target)
    negatives, p = NEGATIVE[_scale(measure)]
    pos_answers = measure.positive_answers
    answer = np.where(positive, rng.choice(pos_answers, n), rng.choice(negatives, n, p=p))
    answer = np.where(valid, answer, "dont_know").astype(object)
    answer[~mask] = None
    return answer


def _rows(
    survey: str,
    year: int,
    people: dict[str, np.ndarray],
    victim: np.ndarray | None,
    question: str,
    answer: np.ndarray,
) -> dict[str, list[object]]:
    keep = np.flatnonzero(answer != None)  # noqa: E711 - numpy elementwise comparison
    prefix = "FTD" if survey == "feeling-the-difference" else "CC"
    return {
        "survey": [survey] * len(keep),
        "respondent_id": [f"{prefix}-{year}-{i:06d}" for i in keep],
        "interview_date": list(people["day"][keep]),
        "lpu_id": list(people["lpu"][keep]),
        "lsoa_code": list(people["lsoa"][keep]),
        "victim_type": [None] * len(keep) if victim is None else list(victim[keep]),
        "question_id": [question] * len(keep),
        "answer": list(answer[keep]),
        "weight": list(people["weight"][keep]),
    }


def generate_survey_responses(plan: Plan, seed: int) -> pa.Table:
    """Both surveys, 2009-10 to December 2011, in the survey-responses format."""
    rng = np.random.default_rng(seed + 1)
    parts: list[dict[str, list[object]]] = []
    measures = [m for m in plan.measures if m.kind == "survey_proportion"]
    for year in range(SURVEY_FIRST_YEAR, LAST_MONTH[0] + 1):
        months = _months_in(year)
        ftd = _respondents(rng, plan, FTD_PER_LPU_YEAR * len(plan.lpus) * months // 12, year)
        cc = _respondents(rng, plan, CC_PER_YEAR * months // 12, year)
        victim = np.where(rng.random(len(cc["weight"])) < CC_ASB_SHARE, "asb", "crime").astype(
            object
        )
        for m in measures:
            assert m.question is not None and m.survey is not None
            people = ftd if m.survey == "feeling-the-difference" else cc
            mask = np.ones(len(people["weight"]), bool)
            if m.victim_type:
                mask = victim == m.victim_type
            answer = _answers(rng, m, people, SURVEY_TARGETS[m.id][year], mask)
            parts.append(
                _rows(
                    m.survey,
                    year,
                    people,
                    None if m.survey != "contact-counts" else victim,
                    m.question,
                    answer,
                )
            )
    table = {k: [v for part in parts for v in part[k]] for k in parts[0]}
    days = np.array(table.pop("interview_date"), dtype="int32")
    out = pa.table(
        {
            **{k: pa.array(v, pa.string()) for k, v in table.items() if k != "weight"},
            "weight": pa.array(table["weight"], pa.float64()),
        }
    )
    return out.add_column(2, "interview_date", pa.array(days, pa.date32()))
