"""The journeys people make, in a real browser: a resident finds their area and reads its
priorities and crime; an analyst reads a control chart and downloads its CSV; an admin closes a
local priority and the resident sees the result; and the refusals (wrong password, expired
session, missing CSRF token)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import LiveServer, sign_in
from paragon.web.auth import utc_now
from paragon.web.data.areas import area_index

pytestmark = pytest.mark.browser


def priority_neighbourhood(server: LiveServer) -> tuple[str, str]:
    """The neighbourhood with the sample's closed local priority: (code, name)."""
    code = server.app.state.ctx.ops.scalar(
        "SELECT area_id FROM priorities WHERE area_type = 'neighbourhood' LIMIT 1")
    area = area_index(server.app.state.ctx).neighbourhood(code)
    return area.id, area.name


def test_resident_finds_their_area_by_name(live_server: LiveServer, page: Any) -> None:
    code, name = priority_neighbourhood(live_server)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("How is")
    page.get_by_role("link", name="Your area", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/areas$"))
    page.wait_for_load_state("load")
    page.get_by_role("searchbox", name="Place name").fill(name)
    result = page.locator("#results a", has_text=re.compile(f"^{name}$"))
    expect(result).to_be_visible()
    result.click()
    expect(page).to_have_url(re.compile(f"/areas/neighbourhood/{code}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    priorities = page.locator("#priorities ~ .priorities-list")
    expect(priorities).to_contain_text("You said: Drug dealing near the parade of shops")
    expect(priorities).to_contain_text("We did: Warrants with the housing provider")
    expect(priorities).to_contain_text("Three warrants, five people charged")
    expect(page.locator("#crime-summary")).to_contain_text("crimes")
    expect(page.locator("#crime-summary")).to_contain_text("12 months before")
    table = page.get_by_role("table", name="Recorded crime by type")
    expect(table.locator("tbody tr").first).to_be_visible()
    expect(page.locator("#chart-categories + figcaption, .vega[data-spec=chart-categories]")
           .first).to_be_visible()
    expect(page.locator(".vega[data-spec=chart-categories][data-rendered=true] svg")).to_have_count(1)
    expect(page.get_by_role("table", name="Outcomes of crimes recorded in the last 12 months")
           ).to_contain_text("Charged or summonsed")


def test_resident_finds_their_area_by_postcode_and_map(live_server: LiveServer,
                                                       page: Any) -> None:
    page.goto(live_server.url + "/areas")
    page.get_by_role("textbox", name="Postcode").fill("B10 0AB")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(r"/areas/neighbourhood/E02\d{6}$"))
    expect(page.locator("#crime-summary")).to_be_visible()
    page.goto(live_server.url + "/areas")
    expect(page.locator("#map")).to_have_attribute("data-ready", "true")
    page.locator("#map canvas").click()
    expect(page).to_have_url(re.compile(r"/areas/lpu/[a-z-]+$"))
    expect(page.locator("#crime-summary")).to_be_visible()


def test_analyst_reads_a_control_chart_and_downloads_its_csv(
        live_server: LiveServer, page: Any, tmp_path: Path) -> None:
    page.goto(live_server.url + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=/dashboard"))
    page.fill("#user_name", "analyst")
    page.fill("#password", "browser test password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Milestones dashboard")
    expect(page.locator("#milestones tbody tr")).to_have_count(28)
    page.get_by_role("link", name="Burglary dwelling", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/measures/burglary-dwelling"))
    expect(page.locator(".vega[data-spec=chart-xmr][data-rendered=true] svg")).to_have_count(1)
    expect(page.locator("#xmr + p")).to_contain_text("Centre line")
    rows = page.locator("#points tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 12
    expect(page.locator(".vega[data-spec=chart-funnel][data-rendered=true] svg")).to_have_count(1)
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV (points)").click()
    saved = tmp_path / "points.csv"
    info.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[:2] == ["period", "value"]
    assert {"numerator", "denominator", "centre", "lower_limit", "upper_limit",
            "signal"} <= set(header)
    assert len(lines) == rows.count() + 1


def test_admin_closes_a_priority_and_the_resident_sees_it(live_server: LiveServer,
                                                          browser: Any, page: Any) -> None:
    result_text = "Average speeds on the Chester Road fell from 41 to 33 mph"
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/admin/priorities")
    section = page.locator("section.priority-admin", has_text="Speeding on the Chester Road")
    section.locator("summary").click()
    section.get_by_label("Result (what changed)").fill(result_text)
    section.get_by_role("button", name="Close with this result").click()
    expect(page.locator("#done")).to_contain_text("Closed priority")
    resident = browser.new_context().new_page()
    try:
        resident.goto(live_server.url + "/areas/lpu/birmingham-north")
        item = resident.locator(".priority-item", has_text="Speeding on the Chester Road")
        expect(item).to_contain_text("We did: Speed checks with volunteers")
        expect(item).to_contain_text(result_text)
    finally:
        resident.context.close()


def test_wrong_password_is_refused(live_server: LiveServer, page: Any) -> None:
    sign_in(page, live_server.url, "analyst", "not the password")
    expect(page.locator("#login-error")).to_contain_text("do not match")
    page.goto(live_server.url + "/dashboard")
    expect(page).to_have_url(re.compile(r"/login"))


def test_expired_session_is_refused(live_server: LiveServer, page: Any) -> None:
    sign_in(page, live_server.url, "analyst")
    expect(page.get_by_role("heading", level=1)).to_have_text("Milestones dashboard")
    with live_server.app.state.ctx.ops.transaction() as con:
        con.execute("UPDATE sessions SET last_seen = ? WHERE user_name = 'analyst'",
                    [utc_now() - timedelta(hours=3)])
    page.reload()
    expect(page).to_have_url(re.compile(r"/login\?next=/dashboard&expired=1"))
    expect(page.locator("#login-message")).to_contain_text("Your session has expired")


def test_a_form_without_its_csrf_token_is_refused(live_server: LiveServer, page: Any) -> None:
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + "/admin/priorities")
    form = page.locator("form[action='/admin/priorities']")
    form.locator("input[name=csrf_token]").evaluate("input => input.remove()")
    form.get_by_label("You said (the issue)").fill("Forged priority")
    form.get_by_label("We will (the action)").fill("Nothing")
    form.get_by_role("button", name="Open priority").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_role("alert")).to_contain_text("security token")
    count = live_server.app.state.ctx.ops.scalar(
        "SELECT count(*) FROM priorities WHERE issue = 'Forged priority'")
    assert count == 0


def test_hostile_text_is_shown_not_run(live_server: LiveServer, page: Any) -> None:
    page.goto(live_server.url + "/areas/lpu/coventry")
    expect(page.locator(".priority-item").first).to_contain_text("<script>alert('x')</script>")
    assert page.evaluate("document.querySelectorAll('main script:not([type])').length") == 0


def test_keyboard_reaches_the_content_and_the_navigation(live_server: LiveServer,
                                                         page: Any) -> None:
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    page.goto(live_server.url + "/")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Your area":
            break
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/areas$"))
    page.wait_for_load_state("load")
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    page.keyboard.type("coventry")
    result = page.locator("#results a", has_text="Coventry").first
    expect(result).to_be_visible()
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "/areas/lpu/coventry":
            break
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/areas/lpu/coventry$"))
