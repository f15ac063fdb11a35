"""Synthetic respondent-level survey data: Feeling the Difference and Contact Counts.

Each respondent gets an LPU, an LSOA in it, an interview date and a weight (the LPU's population
share over its sample share, times noise). Each answer is drawn: positive with the LPU's own chance
(the intended proportion of calibration.SURVEY_TARGETS on the logit scale, plus an LPU effect, with
the intercept set so that the population-weighted chance over the LPUs is the intended proportion),
"don't know" for 3%. Nothing is changed afterwards to hit a target: a year's weighted result differs
from the intended (for 2010-11, the published) figure by sampling noise, as a real survey's would;
the build reports by how much (build.check_reproduction).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.optimize import brentq
from scipy.special import expit, logit

from paragon.demo.calibration import LAST_MONTH, SURVEY_FIRST_YEAR, SURVEY_TARGETS
from paragon.demo.places import EPOCH
from paragon.geography.lpus import west_midlands_lsoas
from paragon.measures.periods import add_months, months_between
from paragon.plan.schema import Measure, Plan

FTD_PER_LPU_YEAR = 600
CC_PER_YEAR = 8000
CC_ASB_SHARE = 0.25
DONT_KNOW = 0.03
LPU_EFFECT_SD = 0.25  # between-LPU spread of agreement, logit scale

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


def lpu_chances(target_pct: float, effects: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Each LPU's chance of a positive answer: logit⁻¹(c + effect), with ``c`` such that the
    population-weighted mean chance is ``target_pct`` / 100 (the intended proportion)."""
    share = population / population.sum()
    p = target_pct / 100

    def gap(c: float) -> float:
        return float(np.sum(share * expit(c + effects))) - p

    c = brentq(gap, logit(p) - 10, logit(p) + 10, xtol=1e-12)
    return np.asarray(expit(c + effects))


def _respondents(rng: np.random.Generator, plan: Plan, n: int, year: int) -> dict[str, Any]:
    lsoas = west_midlands_lsoas()
    lpu_ids = [lpu.id for lpu in plan.lpus]
    by_lpu = [[x.lsoa_code for x in lsoas if x.lpu_id == lpu] for lpu in lpu_ids]
    pop = np.array([sum(x.population for x in lsoas if x.lpu_id == lpu) for lpu in lpu_ids], float)
    lpu_index = rng.integers(0, len(lpu_ids), n)
    sample_share = np.bincount(lpu_index, minlength=len(lpu_ids)) / n
    weights = (pop / pop.sum() / sample_share)[lpu_index] * rng.lognormal(0, 0.3, n)
    weights = np.round(weights / weights.mean(), 4)
    codes = [c for group in by_lpu for c in group]
    sizes = np.array([len(group) for group in by_lpu])
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    pick = offsets[lpu_index] + (rng.random(n) * sizes[lpu_index]).astype(np.int64)
    return {
        "lpu": pc.take(pa.array(lpu_ids, pa.string()), pa.array(lpu_index)),
        "lpu_index": lpu_index,
        "population": pop,
        "lsoa": pc.take(pa.array(codes, pa.string()), pa.array(pick)),
        "weight": weights,
        "day": _year_days(rng, year, n),
    }


def _answers(
    rng: np.random.Generator,
    measure: Measure,
    people: dict[str, Any],
    target: float,
    mask: np.ndarray,
) -> tuple[list[str], np.ndarray]:
    """Answers drawn from the intended proportion: (the answer texts, each respondent's index
    into them; -1 where the question was not asked)."""
    n = len(people["weight"])
    effects = rng.normal(0, LPU_EFFECT_SD, len(people["population"]))
    chance = lpu_chances(target, effects, people["population"])[people["lpu_index"]]
    positive = rng.random(n) < chance
    valid = mask & (rng.random(n) >= DONT_KNOW)
    negatives, p = NEGATIVE[_scale(measure)]
    pos_answers = list(measure.positive_answers)
    texts = [*pos_answers, *negatives, "dont_know"]
    answer = np.where(
        positive,
        rng.integers(0, len(pos_answers), n),
        len(pos_answers) + rng.choice(len(negatives), n, p=p),
    )
    answer = np.where(valid, answer, len(texts) - 1)
    return texts, np.where(mask, answer, -1)


def _part(
    survey: str,
    year: int,
    people: dict[str, Any],
    victim: np.ndarray | None,
    question: str,
    answers: tuple[list[str], np.ndarray],
) -> pa.Table:
    texts, answer = answers
    keep = np.flatnonzero(answer >= 0)
    prefix = "FTD" if survey == "feeling-the-difference" else "CC"
    number = pc.utf8_lpad(pc.cast(pa.array(keep), pa.string()), 6, "0")
    n = len(keep)
    rows = pa.array(keep)
    return pa.table(
        {
            "survey": pa.array([survey] * n, pa.string()),
            "respondent_id": pc.binary_join_element_wise(f"{prefix}-{year}-", number, ""),
            "interview_date": pa.array(people["day"][keep].astype("int32"), pa.date32()),
            "lpu_id": pc.take(people["lpu"], rows),
            "lsoa_code": pc.take(people["lsoa"], rows),
            "victim_type": (
                pa.nulls(n, pa.string())
                if victim is None
                else pc.take(pa.array(["crime", "asb"]), pa.array(victim[keep].astype(np.int8)))
            ),
            "question_id": pa.array([question] * n, pa.string()),
            "answer": pc.take(pa.array(texts, pa.string()), pa.array(answer[keep])),
            "weight": pa.array(people["weight"][keep], pa.float64()),
        }
    )


def generate_survey_responses(plan: Plan, seed: int) -> pa.Table:
    """Both surveys, 2009-10 to December 2011, in the survey-responses format."""
    rng = np.random.default_rng(seed + 1)
    parts: list[pa.Table] = []
    measures = [m for m in plan.measures if m.kind == "survey_proportion"]
    for year in range(SURVEY_FIRST_YEAR, LAST_MONTH[0] + 1):
        months = _months_in(year)
        ftd = _respondents(rng, plan, FTD_PER_LPU_YEAR * len(plan.lpus) * months // 12, year)
        cc = _respondents(rng, plan, CC_PER_YEAR * months // 12, year)
        asb = rng.random(len(cc["weight"])) < CC_ASB_SHARE  # else a victim of crime
        for m in measures:
            assert m.question is not None and m.survey is not None
            people = ftd if m.survey == "feeling-the-difference" else cc
            mask = np.ones(len(people["weight"]), bool)
            if m.victim_type:
                mask = asb if m.victim_type == "asb" else ~asb
            answer = _answers(rng, m, people, SURVEY_TARGETS[m.id][year], mask)
            parts.append(
                _part(
                    m.survey,
                    year,
                    people,
                    None if m.survey != "contact-counts" else asb,
                    m.question,
                    answer,
                )
            )
    return pa.concat_tables(parts)
