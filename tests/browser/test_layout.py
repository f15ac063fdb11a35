"""The site's layout in a real browser: the signed-in navigation (every staff link, and Admin for
an admin) stays on one line at 1280 px wide and wraps without overflowing at 390 px, keeps its
links in keyboard order and marks the current page; an area's month-by-month chart with one month
of data draws that month in the middle with its figures, not at the chart's edge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conftest import LiveServer, sign_in
from paragon.settings import Settings
from paragon.web.app import create_app
from paragon.web.fixtures import build_sample_warehouse, serve_in_thread

pytestmark = pytest.mark.browser

LINKS = ["Overview", "The plan", "Your area", "Open data", "How we count", "Dashboard", "Tasking",
         "Data quality", "Outcomes", "Stop and search", "Admin"]


def nav_boxes(page: Any) -> list[dict[str, float]]:
    return [a.bounding_box() for a in page.locator("nav.main a").all()]


def test_signed_in_navigation_is_one_line_at_1280(live_server: LiveServer, page: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/dashboard")
    assert page.locator("nav.main a").all_inner_texts() == LINKS
    boxes = nav_boxes(page)
    assert len({round(b["y"]) for b in boxes}) == 1, "the navigation wraps onto a second line"
    nav = page.locator("nav.main").bounding_box()
    assert nav["height"] < 1.5 * boxes[0]["height"]
    assert page.get_by_role("button", name="Sign out admin").is_visible()
    current = page.locator("nav.main a[aria-current=page]")
    assert current.all_inner_texts() == ["Dashboard"]
    page.goto(live_server.url + "/admin")
    assert current.all_inner_texts() == ["Admin"]


def test_navigation_wraps_without_overflow_at_390(live_server: LiveServer, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/tasking")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for box in nav_boxes(page):
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.locator("nav.main a").all_inner_texts() == LINKS
    assert page.get_by_role("button", name="Sign out admin").is_visible()


def test_keyboard_reaches_sign_out_then_every_link_in_order(live_server: LiveServer,
                                                            page: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/quality")
    reached = []
    for _ in range(len(LINKS) + 4):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
    start = reached.index("Sign out admin")
    assert reached[start + 1:start + 1 + len(LINKS)] == LINKS


@pytest.fixture(scope="module")
def one_month_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A warehouse holding one month of crimes and anti-social behaviour, served."""
    db = build_sample_warehouse(tmp_path_factory.mktemp("one-month") / "one.duckdb", months=1,
                                crimes_per_month=200, survey_per_month=10)
    app = create_app(Settings(db=db, secret_key="m" * 32))
    with serve_in_thread(app, "uvicorn-one-month") as url:
        yield url


def test_a_single_month_is_drawn_in_the_middle_with_its_figures(one_month_server: str,
                                                                page: Any) -> None:
    page.goto(one_month_server + "/areas/lpu/coventry")
    chart = page.locator(".vega[data-spec=chart-monthly][data-rendered=true] svg")
    chart.wait_for()
    label = page.locator(".vega[data-spec=chart-monthly]").get_attribute("aria-label")
    assert "December 2011, the one month with data:" in label
    monthly = page.request.get(one_month_server + "/areas/lpu/coventry?format=json").json()
    [counted] = [m for m in monthly["monthly"] if m["crimes"] is not None]
    crimes = f"{counted['crimes']:,}"
    assert f"{crimes} crimes" in label
    box = chart.bounding_box()
    centres = page.evaluate(
        "el => [...el.querySelectorAll('.mark-symbol.role-mark path')].map(p => {"
        " const b = p.getBoundingClientRect(); return b.left + b.width / 2; })",
        chart.element_handle())
    assert len(centres) == 2  # crimes and anti-social behaviour
    for x in centres:
        assert abs((x - box["x"]) / box["width"] - 0.5) < 0.1, "the month is not in the middle"
    assert crimes in chart.locator(".mark-text.role-mark text").all_text_contents()
