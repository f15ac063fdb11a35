"""What compare_counts reports, field by field, against statsmodels and scipy (the E-test and
the Clopper-Pearson interval turned into one for the rate ratio): edges a small wrong change
to stats/counts.py would break. The dispersion estimate itself is tested in
tests/test_stats_counts.py."""

from __future__ import annotations

import pytest
from scipy import stats
from statsmodels.stats.rates import test_poisson_2indep as sm_test_poisson_2indep

from paragon.stats.counts import compare_counts, etest_pvalue, rate_ratio_interval


def _reference(c1: float, c2: float, e1: float, e2: float) -> tuple[float, float, float]:
    """Clopper-Pearson interval for count2's share, turned into one for rate2 / rate1."""
    lo_pi = stats.beta.ppf(0.025, c2, c1 + 1)
    hi_pi = stats.beta.ppf(0.975, c2 + 1, c1)
    p = sm_test_poisson_2indep(c2, e2, c1, e1, method="etest").pvalue
    return lo_pi / (1 - lo_pi) * e1 / e2, hi_pi / (1 - hi_pi) * e1 / e2, float(p)


def test_every_field_with_unequal_exposures() -> None:
    r = compare_counts(40, 90, 2.0, 3.0)
    lower, upper, p = _reference(40, 90, 2.0, 3.0)
    assert (r.count1, r.count2, r.exposure1, r.exposure2) == (40, 90, 2.0, 3.0)
    assert isinstance(r.count1, int) and isinstance(r.exposure2, float)
    assert (r.rate1, r.rate2) == pytest.approx((20.0, 30.0))
    assert r.rate_ratio == pytest.approx(1.5)
    assert (r.ratio_lower, r.ratio_upper) == pytest.approx((lower, upper), rel=1e-9)
    assert r.p_value == pytest.approx(p, rel=1e-9)
    assert r.percent_change == pytest.approx(50.0)
    assert r.percent_change_lower == pytest.approx(100 * (lower - 1), rel=1e-9)
    assert r.dispersion == 1.0
    assert r.interval_method == "exact conditional binomial (Clopper-Pearson)"
    assert r.test_method == "E-test (score statistic)"
    assert r.to_dict()["rate1"] == pytest.approx(20.0)


def test_dispersion_divides_the_counts_and_says_so() -> None:
    r = compare_counts(40, 90, 2.0, 3.0, dispersion=1.5)
    lower, upper, _ = _reference(40 / 1.5, 90 / 1.5, 2.0, 3.0)
    assert (r.ratio_lower, r.ratio_upper) == pytest.approx((lower, upper), rel=1e-9)
    assert r.rate_ratio == pytest.approx(1.5) and r.dispersion == 1.5
    assert r.interval_method == (
        "exact conditional binomial (Clopper-Pearson) on counts ÷ dispersion"
    )
    assert r.test_method == "quasi-Poisson E-test (counts ÷ dispersion)"
    # the scaled counts are fractional (statsmodels' etest needs whole ones): the p-value is the
    # E-test's on them, with the exposures
    assert r.p_value == etest_pvalue(40 / 1.5, 90 / 1.5, 2.0, 3.0)
    assert r.p_value != etest_pvalue(40 / 1.5, 90 / 1.5)
    with pytest.raises(
        ValueError, match=r"^the dispersion factor must be a finite number of at least 1$"
    ):
        compare_counts(40, 90, dispersion=0.5)


def test_default_exposures_are_one() -> None:
    assert rate_ratio_interval(10, 20) == rate_ratio_interval(10, 20, 1.0, 1.0)
    assert compare_counts(10, 20).ratio_lower == rate_ratio_interval(10, 20)[0]
    assert compare_counts(10, 20).exposure1 == 1.0


@pytest.mark.parametrize(
    ("c1", "c2", "e1", "e2", "message"),
    [
        (-1, 3, 1.0, 1.0, "^counts must be non-negative whole numbers$"),
        (3, 2.5, 1.0, 1.0, "^counts must be non-negative whole numbers$"),
        (3, 4, 1.0, 0.0, "^exposures must be positive and finite$"),
        (3, 4, 0.0, 1.0, "^exposures must be positive and finite$"),
        (3, 4, 1.0, float("inf"), "^exposures must be positive and finite$"),
    ],
)
def test_refusals_say_what_is_wrong(
    c1: int, c2: float, e1: float, e2: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        compare_counts(c1, c2, e1, e2)  # type: ignore[arg-type]
