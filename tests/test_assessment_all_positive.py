"""A survey question every respondent answered positively (100%) still gets its interval and
assurance: the percentage rebuilt into weighted answers can land a rounding error above the
number of responses, which the Wilson interval refuses."""

from __future__ import annotations

from datetime import date

from paragon.measures.assessment import enough_responses, survey_successes, value_interval
from paragon.measures.engine import Figure
from paragon.plan import default_plan


def _survey(value: float, responses: int) -> Figure:
    return Figure("survey", "survey_proportion", date(2010, 4, 1), date(2011, 4, 1), None,
                  value, responses=responses, effective_n=float(responses))


def test_all_positive_answers_are_judged_not_refused() -> None:
    plan = default_plan()
    measure = next(m for m in plan.measures if m.kind == "survey_proportion")
    # the same weights summed in two orders: 100.00000000000001%, just above every response
    weights = [0.1, 0.2, 0.7, 0.3, 0.9, 1.3]
    value = 100 * sum(reversed(weights)) / sum(weights)
    assert value > 100 and value / 100 * 700 > 700
    assert survey_successes(_survey(value, 7)) == 7.0
    fig = _survey(value, 700)
    lower, upper = value_interval(plan, measure, fig)
    assert lower is not None and upper is not None
    assert 95 < lower < 100 and upper == 100
    assert enough_responses(plan, measure, fig)


def test_successes_stay_within_the_responses() -> None:
    assert survey_successes(_survey(-1e-12, 50)) == 0.0
    assert survey_successes(_survey(40.0, 50)) == 20.0
