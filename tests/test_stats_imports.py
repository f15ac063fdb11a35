"""Importing the statistics (and the milestones built on them) does not load scipy.stats, and
neither does projecting a count (its negative binomial comes from scipy.special)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["paragon.stats", "paragon.measures.milestones"])
def test_import_does_not_load_scipy_stats(module: str) -> None:
    code = f"import sys, {module}; print('scipy.stats' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_count_projection_does_not_load_scipy_stats() -> None:
    code = ("import sys\n"
            "from paragon.stats.projection import project_count_year_end\n"
            "p = project_count_year_end([100.0] * 6, [[90.0 + m for m in range(12)]] * 3, 1150.0)\n"
            "assert p.interval_80 is not None and p.probability_met is not None, p\n"
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
