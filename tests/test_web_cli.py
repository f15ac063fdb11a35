"""`paragon users add`, `paragon serve` and `paragon demo` (the web's CLI commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paragon import cli_web
from paragon.cli import app
from paragon.ops import OpsStore
from paragon.settings import Settings
from paragon.warehouse import Warehouse
from paragon.web.auth import verify_login

runner = CliRunner()


def test_users_add_takes_the_password_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "users.duckdb"
    result = runner.invoke(app, ["users", "add", "carol", "--role", "admin", "--db", str(db)],
                           env={"PARAGON_NEW_USER_PASSWORD": "a long enough password"})
    assert result.exit_code == 0, result.output
    with OpsStore.open(Settings(db=db).ops_location()) as ops:
        user = verify_login(ops, "carol", "a long enough password")
        assert user is not None and user.role == "admin"
        stored = ops.scalar("SELECT password_hash FROM users WHERE user_name = 'carol'")
        assert stored.startswith("$argon2id$")
    again = runner.invoke(app, ["users", "add", "carol", "--db", str(db)],
                          env={"PARAGON_NEW_USER_PASSWORD": "another long password"})
    assert again.exit_code == 1 and "already exists" in again.output
    listed = runner.invoke(app, ["users", "list", "--db", str(db)])
    assert "carol" in listed.stdout and "admin" in listed.stdout


def test_users_add_refuses_bad_input(tmp_path: Path) -> None:
    db = str(tmp_path / "users.duckdb")
    env = {"PARAGON_NEW_USER_PASSWORD": "a long enough password"}
    assert runner.invoke(app, ["users", "add", "Bad Name", "--db", db], env=env).exit_code == 1
    assert runner.invoke(app, ["users", "add", "dave", "--role", "root", "--db", db],
                         env=env).exit_code == 1
    short = runner.invoke(app, ["users", "add", "dave", "--db", db],
                          env={"PARAGON_NEW_USER_PASSWORD": "short"})
    assert short.exit_code == 1 and "at least" in short.output


def test_users_add_prompts_when_no_password_is_given(tmp_path: Path) -> None:
    db = tmp_path / "users.duckdb"
    result = runner.invoke(app, ["users", "add", "erin", "--db", str(db)],
                           input="typed password 1\ntyped password 1\n",
                           env={"PARAGON_NEW_USER_PASSWORD": ""})
    assert result.exit_code == 0, result.output
    with OpsStore.open(Settings(db=db).ops_location()) as ops:
        assert verify_login(ops, "erin", "typed password 1") is not None


def test_serve_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "x.duckdb")],
                           env={"PARAGON_SECRET_KEY": ""})
    assert result.exit_code == 1 and "PARAGON_SECRET_KEY" in result.output


def test_demo_builds_then_serves_with_new_accounts(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, Any] = {}

    def fake_build(path: Path, *, seed: int, progress: Any) -> dict[str, Any]:
        progress("building")
        Warehouse.open(path).close()
        calls["build"] = (Path(path), seed)
        return {"seconds": 0.0}

    def fake_serve(settings: Settings, host: str, port: int, *, demo: bool | None = None) -> None:
        calls["serve"] = (settings, host, port, demo)

    monkeypatch.setattr("paragon.demo.build_demo", fake_build)
    monkeypatch.setattr(cli_web, "serve_app", fake_serve)
    db = tmp_path / "demo.duckdb"
    built_only = runner.invoke(app, ["demo", "--no-serve", "--db", str(db)])
    assert built_only.exit_code == 0, built_only.output
    assert calls["build"] == (db, 2011) and "serve" not in calls
    served = runner.invoke(app, ["demo", "--db", str(db), "--port", "8123"])
    assert served.exit_code == 0, served.output
    settings, host, port, demo = calls["serve"]
    assert (host, port, demo) == ("127.0.0.1", 8123, True)
    assert len(settings.require_secret()) >= 32
    passwords = dict(
        line.split(" account: user name ")[1].split(", password ")
        for line in served.output.splitlines() if "account: user name" in line
    )
    assert set(passwords) == {"analyst", "admin"}
    with OpsStore.open(Settings(db=db).ops_location()) as ops:
        for name, password in passwords.items():
            user = verify_login(ops, name, password.strip())
            assert user is not None and user.role == name


def test_default_demo_path_is_under_the_user_data_dir() -> None:
    path = cli_web.default_demo_path()
    assert path.name == "paragon.duckdb"
