"""Generated reference docs stay in step with the code; every setting is documented."""

from __future__ import annotations

from pathlib import Path

from paragon.docgen import cli_reference, settings_reference
from paragon.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_cli_reference_is_current() -> None:
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == cli_reference(), (
        "docs/cli.md is stale: run python scripts/gen_docs.py"
    )


def test_settings_reference_is_current() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    assert text == settings_reference(), "docs/settings.md is stale: run python scripts/gen_docs.py"
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no help text"
        assert f"PARAGON_{name.upper()}" in text


def test_placeholder_secret_refused() -> None:
    import pytest

    from paragon.errors import ParagonError

    with pytest.raises(ParagonError, match="PARAGON_SECRET_KEY"):
        Settings(secret_key="changeme").require_secret()
    assert Settings(secret_key="x" * 32).require_secret() == "x" * 32
