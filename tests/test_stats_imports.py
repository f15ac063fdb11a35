"""Importing the statistics (and the milestones built on them) does not load scipy.stats."""

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
