"""Accessibility checks that do not need a browser: WCAG 2.2 AA contrast of the site's colours, and
the structure every page must have (language, one h1, skip link, labelled fields, captioned
tables, a table beside every chart)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paragon.settings import Settings
from paragon.web.app import create_app
from paragon.web.data import charts
from paragon.web.fixtures import sample_with_users, sign_in

PASSWORD = "a long enough password"


def luminance(colour: str) -> float:
    rgb = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def css_variables() -> dict[str, str]:
    css = resources.files("paragon.web").joinpath("static/css/site.css").read_text("utf-8")
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))


def test_text_colours_meet_aa_contrast() -> None:
    v = css_variables()
    text_pairs = [
        ("ink", "paper"), ("muted", "paper"), ("muted", "wash"), ("link", "paper"),
        ("link", "wash"), ("link-visited", "paper"), ("good-ink", "good-bg"),
        ("bad-ink", "bad-bg"), ("neutral-ink", "neutral-bg"), ("unknown-ink", "unknown-bg"),
        ("bad-ink", "paper"), ("good-ink", "paper"),
    ]
    for fg, bg in text_pairs:
        assert contrast(v[fg], v[bg]) >= 4.5, (fg, bg, contrast(v[fg], v[bg]))
    fixed = [("#ffffff", v["brand"]), ("#3d2e00", "#fff3bf"), ("#ffffff", "#1b6e3a"),
             (v["ink"], "#e9edf1"), (v["ink"], v["focus"])]
    for fg, bg in fixed:
        assert contrast(fg, bg) >= 4.5, (fg, bg)


def test_chart_colours_meet_non_text_contrast() -> None:
    for colour in (charts.BLUE, charts.ORANGE, charts.GREY, charts.INK):
        assert contrast(colour, "#ffffff") >= 3.0, colour


class Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.h1 = 0
        self.labels: set[str] = set()
        self.fields: list[dict[str, str | None]] = []
        self.tables = 0
        self.captions = 0
        self.charts = 0
        self.skip_link = False
        self.main = False
        self.images_without_alt = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        elif tag in ("input", "select", "textarea"):
            if a.get("type") not in ("hidden", "submit", "button"):
                self.fields.append(a)
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "div" and "vega" in (a.get("class") or "").split():
            self.charts += 1
        elif tag == "a" and a.get("href") == "#main":
            self.skip_link = True
        elif tag == "main" and a.get("id") == "main":
            self.main = True
        elif tag == "img" and "alt" not in a:
            self.images_without_alt += 1


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = sample_with_users(tmp_path_factory.getbasetemp(),
                           tmp_path_factory.mktemp("a11y") / "a11y.duckdb", {"adm": "admin"},
                           PASSWORD)
    with TestClient(create_app(Settings(db=db, secret_key="a" * 32))) as c:
        sign_in(c, "adm", PASSWORD)
        yield c


PAGES = ["/", "/plan", "/plan/crime-asb", "/areas", "/areas/search?q=dudley",
         "/areas/lpu/dudley", "/data", "/methods", "/login", "/dashboard",
         "/measures/robbery-detections", "/measures/confidence", "/quality", "/admin",
         "/admin/users", "/admin/priorities", "/admin/plan", "/admin/audit", "/no/such/page"]


@pytest.mark.parametrize("path", PAGES)
def test_page_structure(client: TestClient, path: str) -> None:
    html = client.get(path).text
    s = Structure()
    s.feed(html)
    assert s.lang == "en-GB"
    assert s.h1 == 1, f"{path} has {s.h1} h1 elements"
    assert s.skip_link and s.main
    for field in s.fields:
        labelled = field.get("id") in s.labels or field.get("aria-label")
        assert labelled, f"{path}: unlabelled form field {field}"
    assert s.captions == s.tables, f"{path}: a table without a caption"
    if s.charts:
        assert s.tables >= 1, f"{path}: a chart without a table alternative"
    assert s.images_without_alt == 0


def test_neighbourhood_page_structure(client: TestClient) -> None:
    url = client.get("/areas?format=json").json()["lpus"][0]["neighbourhoods"][0]["url"]
    test_page_structure(client, url)


def test_maps_are_labelled_regions_with_lists(client: TestClient) -> None:
    html = client.get("/areas").text
    assert re.search(r'class="map"[^>]*role="region"[^>]*aria-label="[^"]+"', html)
    assert html.count('href="/areas/lpu/') >= 10


def test_css_has_visible_focus() -> None:
    css = resources.files("paragon.web").joinpath("static/css/site.css").read_text("utf-8")
    assert ":focus-visible" in css and "outline: 3px solid" in css
    assert Path(str(resources.files("paragon.web"))).joinpath("static/css/site.css").exists()
