"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against a real uvicorn
server on 127.0.0.1 and a free port, serving a real DuckDB file in a temporary folder."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from paragon.settings import Settings
from paragon.warehouse import Warehouse
from paragon.web.app import create_app
from paragon.web.fixtures import sample_with_users

PASSWORD = "browser test password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    app: Any
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def warehouse(self) -> Warehouse:
        return self.app.state.ctx.warehouse  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = sample_with_users(tmp_path_factory.getbasetemp(),
                           tmp_path_factory.mktemp("browser") / "browser.duckdb",
                           {"analyst": "analyst", "admin": "admin"}, PASSWORD)
    app = create_app(Settings(db=db, secret_key="b" * 32), warm_cache=True)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", app, server, thread)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; fails the test on a CSP violation or a
    JavaScript error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda exc: problems.append(f"javascript error: {exc}"))
    pg.on("console", lambda msg: problems.append(msg.text)
          if msg.type == "error" and "Content Security Policy" in msg.text else None)
    pg.on("dialog", lambda dialog: (problems.append(f"dialog opened: {dialog.message}"),
                                    dialog.dismiss()))
    yield pg
    context.close()
    assert not problems, problems


def sign_in(page: Any, base: str, user: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("#user_name", user)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
