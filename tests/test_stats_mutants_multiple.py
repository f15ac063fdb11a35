"""Benjamini-Hochberg edges that a small wrong change to stats/multiple.py would break."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from paragon.stats.multiple import bh_adjust


def test_decimal_and_fraction_p_values_are_read_as_numbers() -> None:
    # A DECIMAL column read from the warehouse arrives as Decimal: numpy keeps such values as
    # Python objects unless told to make them floats, and the finiteness check then fails.
    assert bh_adjust([Decimal("0.01"), Decimal("0.04")]) == pytest.approx([0.02, 0.04])
    assert bh_adjust([Fraction(1, 100), Fraction(3, 100), Fraction(1, 2)]) == pytest.approx(
        [0.03, 0.045, 0.5]
    )


def test_ties_in_any_order_match_statsmodels() -> None:
    p = np.array([0.2, 0.01, 0.2, 0.01, 0.5, 0.2, 0.03, 0.03])
    _, expected, _, _ = multipletests(p, method="fdr_bh")
    assert bh_adjust(list(p)) == pytest.approx(list(expected), rel=1e-12)
    # the largest adjusted value is the largest p-value, so the values never exceed 1
    assert max(bh_adjust([1.0, 0.999, 0.5])) == 1.0
