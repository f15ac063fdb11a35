"""Proportions from surveys and case samples: Wilson intervals and differences.

Survey answers are often weighted, which makes them less informative than their
raw count suggests. Everything here works on the *effective* sample size:

* with a known design effect ``deff``, ``n_eff = n / deff`` (successes are scaled
  the same way, so the estimate itself does not change);
* with weights and no design effect, Kish's ``n_eff = (Σw)² / Σw²``.

Below :data:`MIN_RESPONSES` effective responses no estimate is given: the result
says "not enough responses" instead. 50 follows the Office for National
Statistics' practice for the Crime Survey for England and Wales, which does not
publish estimates based on fewer than 50 respondents.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

from scipy import special

MIN_RESPONSES = 50.0
"""Minimum effective number of responses needed to report an estimate."""
Status = Literal["ok", "not enough responses"]
NOT_ENOUGH: Final = "not enough responses"


@dataclass(frozen=True)
class ProportionEstimate:
    """A proportion with its Wilson interval, or "not enough responses"."""

    estimate: float | None
    lower: float | None
    upper: float | None
    n_effective: float
    confidence: float
    status: Status

    def to_dict(self) -> dict[str, Any]:
        """Return the estimate as plain JSON-serialisable Python objects."""
        return asdict(self)


@dataclass(frozen=True)
class ProportionDifference:
    """Difference ``p1 - p2`` with Newcombe's interval, or "not enough responses"."""

    difference: float | None
    lower: float | None
    upper: float | None
    significant: bool | None
    """True when the interval excludes zero; ``None`` if there is no estimate."""
    confidence: float
    status: Status

    def to_dict(self) -> dict[str, Any]:
        """Return the difference as plain JSON-serialisable Python objects."""
        return asdict(self)


def z_value(confidence: float) -> float:
    """Two-sided standard normal critical value for a confidence level in (0, 1)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be strictly between 0 and 1")
    return float(-special.ndtri((1.0 - confidence) / 2.0))


def wilson_bounds(p_hat: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p_hat`` observed on ``n`` (may be fractional)."""
    if not 0.0 <= p_hat <= 1.0:
        raise ValueError("p_hat must be between 0 and 1")
    if n <= 0:
        raise ValueError("n must be positive")
    z = z_value(confidence)
    z2n = z * z / n
    centre = (p_hat + z2n / 2.0) / (1.0 + z2n)
    half = z * math.sqrt(p_hat * (1.0 - p_hat) / n + z2n / (4.0 * n)) / (1.0 + z2n)
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_interval(
    successes: float,
    n: float,
    confidence: float = 0.95,
    design_effect: float = 1.0,
    *,
    min_responses: float = MIN_RESPONSES,
) -> ProportionEstimate:
    """Wilson interval for ``successes`` out of ``n``, on the effective sample size.

    The effective size is ``n / design_effect``. If it is below ``min_responses``
    the result has no estimate and the status "not enough responses".
    """
    if design_effect <= 0:
        raise ValueError("design_effect must be positive")
    if n < 0 or not 0 <= successes <= n:
        raise ValueError("need 0 <= successes <= n")
    n_eff = n / design_effect
    if n_eff < min_responses or n == 0:
        return ProportionEstimate(None, None, None, n_eff, confidence, NOT_ENOUGH)
    p_hat = successes / n
    lower, upper = wilson_bounds(p_hat, n_eff, confidence)
    return ProportionEstimate(p_hat, lower, upper, n_eff, confidence, "ok")


def kish_effective_n(weights: Sequence[float]) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` for positive weights."""
    if not weights or any(w <= 0 or not math.isfinite(w) for w in weights):
        raise ValueError("weights must be positive finite numbers")
    return sum(weights) ** 2 / sum(w * w for w in weights)


def weighted_proportion(
    values: Sequence[float],
    weights: Sequence[float],
    design_effect: float | None = None,
    *,
    confidence: float = 0.95,
    min_responses: float = MIN_RESPONSES,
) -> ProportionEstimate:
    """Weighted proportion of 0/1 ``values`` with a Wilson interval.

    The effective sample size is ``len(values) / design_effect`` if a design effect
    is given, else Kish's effective n from the weights.
    """
    if len(values) != len(weights):
        raise ValueError("values and weights must have the same length")
    if any(v not in (0, 1) for v in values):
        raise ValueError("values must be 0 or 1")
    if design_effect is not None and design_effect <= 0:
        raise ValueError("design_effect must be positive")
    n_eff = kish_effective_n(weights) if design_effect is None else len(values) / design_effect
    if n_eff < min_responses:
        return ProportionEstimate(None, None, None, n_eff, confidence, NOT_ENOUGH)
    p_hat = sum(map(operator.mul, values, weights)) / sum(weights)  # lengths checked above
    lower, upper = wilson_bounds(p_hat, n_eff, confidence)
    return ProportionEstimate(p_hat, lower, upper, n_eff, confidence, "ok")


def newcombe_difference(
    p1: float,
    n1: float,
    p2: float,
    n2: float,
    confidence: float = 0.95,
    *,
    min_responses: float = MIN_RESPONSES,
) -> ProportionDifference:
    """Newcombe's hybrid score interval (method 10) for ``p1 - p2``.

    ``p1`` and ``p2`` are proportions and ``n1``, ``n2`` their (effective) sample
    sizes, so weighted survey estimates can be compared. Each proportion gets a
    Wilson interval (l, u) and the difference's interval is
    ``d - sqrt((p1-l1)² + (u2-p2)²)`` to ``d + sqrt((u1-p1)² + (p2-l2)²)``.
    """
    if min(n1, n2) < min_responses:
        return ProportionDifference(None, None, None, None, confidence, NOT_ENOUGH)
    l1, u1 = wilson_bounds(p1, n1, confidence)
    l2, u2 = wilson_bounds(p2, n2, confidence)
    diff = p1 - p2
    lower = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    significant = lower > 0.0 or upper < 0.0
    return ProportionDifference(diff, lower, upper, significant, confidence, "ok")
