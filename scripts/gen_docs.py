#!/usr/bin/env python3
"""Regenerate docs/cli.md (from every command's --help) and docs/settings.md (from the settings
registry). tests/test_docs.py fails when either is stale: run this after changing a command or a
setting."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from paragon.docgen import cli_reference, settings_reference  # noqa: E402


def main() -> None:
    (ROOT / "docs/cli.md").write_text(cli_reference(), encoding="utf-8")
    (ROOT / "docs/settings.md").write_text(settings_reference(), encoding="utf-8")
    print("wrote docs/cli.md and docs/settings.md")


if __name__ == "__main__":
    main()
