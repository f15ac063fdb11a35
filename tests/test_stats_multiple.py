"""Benjamini-Hochberg false discovery rate against statsmodels and the 1995 paper's example."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from paragon.stats.multiple import bh_adjust, bh_discoveries

# Benjamini & Hochberg (1995), section 4: 15 p-values from a clinical trial; at q = 0.05
# the procedure rejects the four smallest (Bonferroni only three).
BH_1995 = [0.0201, 0.7590, 0.0344, 0.0095, 0.0001, 0.0278, 0.0004, 0.0298,
           0.0019, 0.0459, 0.3240, 0.5719, 0.4262, 1.0000, 0.6528]


def test_published_example() -> None:
    found = bh_discoveries(BH_1995, 0.05)
    assert sorted(p for p, f in zip(BH_1995, found, strict=True) if f) == [
        0.0001, 0.0004, 0.0019, 0.0095]


@pytest.mark.parametrize("seed", range(6))
def test_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 60))
    p = np.concatenate([rng.uniform(size=m), rng.uniform(0, 0.01, size=m // 3)])
    p[rng.integers(len(p))] = p[0]  # a tie
    rejected, adjusted, _, _ = multipletests(p, alpha=0.1, method="fdr_bh")
    assert bh_adjust(list(p)) == pytest.approx(list(adjusted), rel=1e-12)
    assert bh_discoveries(list(p), 0.1) == list(rejected)


def test_empty_and_bad_input() -> None:
    assert bh_adjust([]) == [] and bh_discoveries([]) == []
    with pytest.raises(ValueError, match="0 to 1"):
        bh_adjust([0.2, 1.5])
    with pytest.raises(ValueError, match="0 to 1"):
        bh_adjust([float("nan")])
    with pytest.raises(ValueError, match="false discovery rate"):
        bh_discoveries([0.01], 0.0)


def test_edges_the_mutation_run_found() -> None:
    # zero is a valid p-value; adjusted values are capped at 1; a p-value exactly at q is a
    # discovery (at most q); q must be below 1; errors say what is wrong.
    assert bh_adjust([0.0, 0.9, 0.95]) == pytest.approx([0.0, 0.95, 0.95])
    assert bh_adjust([0.9, 0.95]) == [0.95, 0.95]
    assert bh_adjust([0.6, 0.7, 0.8]) == pytest.approx([0.8, 0.8, 0.8])
    assert max(bh_adjust([0.99, 0.3])) == 0.99
    assert bh_adjust([1.0, 1.0, 0.9]) == [1.0, 1.0, 1.0]
    assert bh_discoveries([0.05]) == [True] and bh_discoveries([0.0500001]) == [False]
    assert bh_discoveries([0.02, 0.04], q=0.04) == [True, True]
    with pytest.raises(ValueError, match=r"^the false discovery rate must be between 0 and 1$"):
        bh_discoveries([0.1], q=1.0)
    with pytest.raises(ValueError, match=r"^p-values must be a flat list$"):
        bh_adjust([[0.1, 0.2]])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"^p-values must be numbers from 0 to 1$"):
        bh_adjust([0.1, -0.01])
    # tied p-values get the same adjusted value
    assert bh_adjust([0.04, 0.01, 0.04]) == pytest.approx([0.04, 0.03, 0.04])
