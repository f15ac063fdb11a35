"""The site's layout in a real browser: the signed-in navigation (every staff link, and Admin for
an admin) stays on one line at 1280 px wide and wraps without overflowing at 390 px, keeps its
links in keyboard order and marks the current page."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import LiveServer, sign_in

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
