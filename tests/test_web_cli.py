"""`paragon users add`, `paragon serve` and `paragon demo` (the web's CLI commands)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_builds_then_serves_with_new_accounts(tmp_path: Path) -> None:
    """The real `paragon demo`: it builds the demo warehouse, prints two new accounts and serves
    it with a real server, where the printed analyst account signs in and sees the dashboard."""
    db, port = tmp_path / "demo.duckdb", _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "paragon", "demo", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PARAGON_SECRET_KEY": ""},
    )
    passwords: dict[str, str] = {}
    output: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the build's progress, then the accounts, then the server
            output.append(line)
            if " account: user name " in line:
                name, password = line.split(" account: user name ")[1].split(", password ")
                passwords[name.strip()] = password.strip()
            if len(passwords) == 2:
                break
        assert set(passwords) == {"analyst", "admin"}, "".join(output)
        assert any("demo warehouse built at" in line for line in output)
        with Warehouse.open(db, read_only=True) as wh:
            assert wh.scalar("SELECT count(*) FROM crimes") > 100_000
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as client:
            page = None
            for _ in range(600):  # until the server answers (it starts after the accounts)
                try:
                    page = client.get("/login")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, "".join(output)
                    time.sleep(0.1)
            assert page is not None and page.status_code == 200
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token is not None
            signed_in = client.post("/login", data={
                "csrf_token": token.group(1), "user_name": "analyst",
                "password": passwords["analyst"], "next": "/dashboard"})
            assert signed_in.status_code == 303, signed_in.text
            dashboard = client.get("/dashboard")
            assert dashboard.status_code == 200 and "synthetic" in dashboard.text.lower()
        with OpsStore.open(Settings(db=db).ops_location()) as ops:
            for name, password in passwords.items():
                user = verify_login(ops, name, password)
                assert user is not None and user.role == name
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_default_demo_path_is_under_the_user_data_dir() -> None:
    path = cli_web.default_demo_path()
    assert path.name == "paragon.duckdb"
