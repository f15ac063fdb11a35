"""The tasking page in Debian's Chromium (Playwright) against a real uvicorn serving a real DuckDB
file: both maps draw, the lists hold the same cells as the maps, nothing overflows a phone-width
screen, and the patrol list downloads as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paragon.settings import Settings
from paragon.web.app import create_app
from paragon.web.fixtures import sample_with_users, serve_in_thread

PASSWORD = "tasking browser password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = sample_with_users(tmp_path_factory.getbasetemp(),
                           tmp_path_factory.mktemp("tasking-browser") / "t.duckdb",
                           {"ana": "analyst"}, PASSWORD)
    app = create_app(Settings(db=db, secret_key="t" * 32))
    with serve_in_thread(app, "uvicorn-tasking") as url:
        yield url


@pytest.mark.parametrize("width", [1280, 390])
def test_tasking_page_in_chromium(server: str, browser: Any, width: int,
                                  tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(120_000)  # the first request computes the backtest
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"javascript error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{server}/login")
    page.fill("#user_name", "ana")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{server}/tasking")
    for map_id in ("#tasking-map", "#tasking-harm-map"):
        page.wait_for_selector(f"{map_id}[data-ready='true']")
        assert page.locator(f"{map_id} canvas").count() == 1
        box = page.locator(map_id).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 200
    # The lists hold one row per mapped cell.
    demand = page.locator("#patrol tbody tr").count()
    harm = page.locator("#patrol_harm tbody tr").count()
    assert demand > 1 and harm == demand
    # Nothing is wider than the screen (wide tables scroll inside their own frame).
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the {width}px screen"
    with page.expect_download() as dl:
        page.locator("a[href*='table=patrol']").first.click()
    saved = tmp_path / "patrol.csv"
    dl.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert len(lines) == demand + 1 and "expected_crimes" in lines[0]
    context.close()
    assert not problems, problems
