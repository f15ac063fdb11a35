"""Reference docs generated from the code: the CLI from --help, settings from the registry."""

from __future__ import annotations

import os
from typing import Any

import typer
from typer.testing import CliRunner

from paragon.settings import Settings


def _commands(group: Any, prefix: list[str]) -> list[list[str]]:
    out = []
    for name in sorted(group.commands):
        command = group.commands[name]
        path = [*prefix, name]
        if hasattr(command, "commands"):
            out.extend(_commands(command, path))
        else:
            out.append(path)
    return out


def cli_reference() -> str:
    """Markdown with the --help of every `paragon` command."""
    from paragon.cli import app

    root = typer.main.get_command(app)
    runner = CliRunner()
    env = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}
    old = {k: os.environ.get(k) for k in env}
    parts = [
        "# Command-line reference\n",
        "Generated from `--help` by `scripts/gen_docs.py`; a test fails when it is stale.\n",
    ]
    try:
        os.environ.update(env)
        for path in [[], *_commands(root, [])]:
            result = runner.invoke(app, [*path, "--help"], env=env, color=False)
            title = " ".join(["paragon", *path])
            parts.append(f"## `{title}`\n\n```\n{result.output.rstrip()}\n```\n")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return "\n".join(parts)


def settings_reference() -> str:
    """Markdown table of every setting: variable, type, default and help."""
    lines = [
        "# Settings\n",
        "Every setting is read from a `PARAGON_*` environment variable. Generated from the "
        "registry (`paragon.settings.Settings`) by `scripts/gen_docs.py`.\n",
        "| variable | type | default | what it is |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = "(user data dir)/paragon.duckdb" if name == "db" else repr(field.default)
        kind = getattr(field.annotation, "__name__", str(field.annotation)).replace(" | ", " or ")
        lines.append(f"| `PARAGON_{name.upper()}` | {kind} | {default} | {field.description} |")
    return "\n".join(lines) + "\n"
