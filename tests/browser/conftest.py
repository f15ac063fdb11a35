"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against a real uvicorn
server on 127.0.0.1 and a free port, serving a real DuckDB file in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from paragon.settings import Settings
from paragon.warehouse import Warehouse
from paragon.web.app import create_app
from paragon.web.fixtures import sample_with_users, serve_in_thread

PASSWORD = "browser test password"


@dataclass
class LiveServer:
    url: str
    app: Any

    @property
    def warehouse(self) -> Warehouse:
        return self.app.state.ctx.warehouse  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = sample_with_users(tmp_path_factory.getbasetemp(),
                           tmp_path_factory.mktemp("browser") / "browser.duckdb",
                           {"analyst": "analyst", "admin": "admin"}, PASSWORD)
    app = create_app(Settings(db=db, secret_key="b" * 32), warm_cache=True)
    with serve_in_thread(app, "uvicorn-test") as url:
        yield LiveServer(url, app)


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
