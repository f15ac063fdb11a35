"""Security of the web: roles in one place, sessions, CSRF, rate limits, the audit log, inert
hostile data, parameters that cannot inject SQL, and public JSON held to an allow-list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paragon.settings import Settings
from paragon.web.app import create_app
from paragon.web.auth import utc_now
from paragon.web.fixtures import HOSTILE_TEXT, csrf_from, sample_with_users, sign_in

SECRET = "t" * 32
PASSWORD = "a long enough password"
STAFF_PREFIXES = ("/dashboard", "/measures", "/quality", "/admin")
PATH_VALUES = {"measure_id": "robbery", "priority_id": "1", "name": "ana"}


@pytest.fixture
def db(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return sample_with_users(tmp_path_factory.getbasetemp(), tmp_path / "security.duckdb",
                             {"ana": "analyst", "adm": "admin"}, PASSWORD)


def make_client(db: Path, **settings: Any) -> TestClient:
    base_url = settings.pop("base_url", "http://testserver")
    return TestClient(create_app(Settings(db=db, secret_key=SECRET, **settings)),
                      base_url=base_url)


@pytest.fixture
def client(db: Path) -> Iterator[TestClient]:
    with make_client(db) as c:
        yield c


def staff_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every analyst and admin operation, from the OpenAPI document."""
    routes = []
    for template, operations in client.get("/api/openapi.json").json()["paths"].items():
        if template.startswith(STAFF_PREFIXES):
            path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template)
            routes.extend((method.upper(), path) for method in operations)
    return routes


def test_every_staff_page_and_api_refuses_the_public(client: TestClient) -> None:
    routes = staff_routes(client)
    assert len(routes) >= 15
    token = csrf_from(client.get("/login").text)
    for method, path in routes:
        as_json = client.request(method, path, headers={"Accept": "application/json",
                                                        "X-CSRF-Token": token})
        assert as_json.status_code == 401, (method, path)
        assert as_json.json()["ok"] is False
        if method == "GET":
            as_html = client.get(path, follow_redirects=False)
            assert as_html.status_code == 303
            assert as_html.headers["location"].startswith("/login?next=")
        else:
            no_token = client.request(method, path, headers={"Accept": "application/json"})
            assert no_token.status_code in (401, 403), (method, path)


def test_analysts_cannot_use_admin_pages(client: TestClient) -> None:
    sign_in(client, "ana", PASSWORD)
    assert client.get("/dashboard").status_code == 200
    for path in ("/admin", "/admin/users", "/admin/priorities", "/admin/plan", "/admin/audit"):
        assert client.get(path, headers={"Accept": "application/json"}).status_code == 403
    token = csrf_from(client.get("/dashboard").text)
    refused = client.post("/admin/users", data={"user_name": "eve", "role": "admin",
                                                "password": "x" * 12, "csrf_token": token})
    assert refused.status_code == 403


def test_session_cookie_flags(db: Path) -> None:
    with make_client(db) as c:
        response = c.post("/login", data={"user_name": "ana", "password": PASSWORD,
                                          "csrf_token": csrf_from(c.get("/login").text)},
                          follow_redirects=False)
        cookie = next(h for h in response.headers.get_list("set-cookie")
                      if h.startswith("paragon_session="))
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie
    with make_client(db, base_url="https://testserver") as c:
        response = c.post("/login", data={"user_name": "ana", "password": PASSWORD,
                                          "csrf_token": csrf_from(c.get("/login").text)},
                          follow_redirects=False)
        cookies = response.headers.get_list("set-cookie")
        assert {h.split("=")[0] for h in cookies} == {"__Host-paragon_session",
                                                      "__Host-paragon_csrf"}
        for header in cookies:
            assert "Secure" in header and "HttpOnly" in header and "Path=/" in header
            assert "domain" not in header.lower()


def test_wrong_password_rate_limit_and_audit(db: Path) -> None:
    with make_client(db, login_attempts_per_minute=3) as c:
        token = csrf_from(c.get("/login").text)
        for _ in range(3):
            wrong = c.post("/login", data={"user_name": "ana", "password": "nope nope nope",
                                           "csrf_token": token})
            assert wrong.status_code == 401 and "do not match" in wrong.text
        blocked = c.post("/login", data={"user_name": "ana", "password": PASSWORD,
                                         "csrf_token": token})
        assert blocked.status_code == 429
        assert sign_in(c, "adm", PASSWORD).status_code == 200
        entries = c.get("/admin/audit?format=json").json()["entries"]
        actions = [e["action"] for e in entries]
        failed = [e for e in entries if e["action"] == "login failed"]
        assert len(failed) == 1 and failed[0]["repeats"] == 3 and "login" in actions
        assert all(PASSWORD not in str(e) for e in entries)


def test_unknown_user_and_blocked_user_are_refused(client: TestClient) -> None:
    assert sign_in(client, "nobody", PASSWORD).status_code == 401
    sign_in(client, "adm", PASSWORD)
    token = csrf_from(client.get("/admin/users").text)
    client.post("/admin/users/ana", data={"active": "false", "csrf_token": token})
    with TestClient(client.app) as other:
        assert sign_in(other, "ana", PASSWORD).status_code == 401


def test_expired_session_is_refused(client: TestClient) -> None:
    sign_in(client, "ana", PASSWORD)
    assert client.get("/dashboard?format=json").status_code == 200
    ops = client.app.state.ctx.ops  # type: ignore[attr-defined]
    with ops.transaction() as con:
        con.execute("UPDATE sessions SET last_seen = ?", [utc_now() - timedelta(hours=2)])
    expired = client.get("/dashboard?format=json")
    assert expired.status_code == 401 and "expired" in expired.json()["error"]
    sign_in(client, "ana", PASSWORD)
    with ops.transaction() as con:
        con.execute("UPDATE sessions SET last_seen = ?", [utc_now() - timedelta(hours=2)])
    html = client.get("/dashboard", follow_redirects=False)
    assert html.status_code == 303 and "expired=1" in html.headers["location"]
    assert "Your session has expired" in client.get(html.headers["location"]).text


def test_logout_ends_the_session(client: TestClient) -> None:
    sign_in(client, "ana", PASSWORD)
    token = csrf_from(client.get("/dashboard").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 200
    assert client.get("/dashboard?format=json").status_code == 401


def test_csrf_token_is_required(client: TestClient) -> None:
    sign_in(client, "adm", PASSWORD)
    form = {"area": "lpu:coventry", "issue": "Noise", "action": "Patrols"}
    missing = client.post("/admin/priorities", data=form)
    assert missing.status_code == 403 and "security token" in missing.text
    wrong = client.post("/admin/priorities", data={**form, "csrf_token": "0" * 64})
    assert wrong.status_code == 403
    with TestClient(client.app) as stranger:
        foreign = csrf_from(stranger.get("/login").text)
    assert client.post("/admin/priorities", data={**form, "csrf_token": foreign}).status_code == 403
    token = csrf_from(client.get("/admin/priorities").text)
    ok = client.post("/admin/priorities", data={**form, "csrf_token": token},
                     follow_redirects=False)
    assert ok.status_code == 303
    login_without_token = client.post("/login", data={"user_name": "adm", "password": PASSWORD})
    assert login_without_token.status_code == 403


def test_login_never_redirects_off_site(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post("/login", data={"user_name": "ana", "password": PASSWORD,
                                               "csrf_token": token, "next": target},
                               follow_redirects=False)
        assert response.headers["location"] == "/dashboard"
        token = csrf_from(client.get("/login").text)


def test_hostile_text_renders_inert(client: TestClient) -> None:
    pages = ["/areas/lpu/coventry", "/areas/search?q=" + HOSTILE_TEXT]
    sign_in(client, "adm", PASSWORD)
    pages += ["/quality", "/admin/priorities", "/admin/audit"]
    for path in pages:
        html = client.get(path).text
        assert "<script>alert" not in html and "onerror=alert" not in html.replace(
            "onerror=alert(1)&gt;", ""), path
    assert "&lt;script&gt;alert" in client.get("/areas/lpu/coventry").text
    assert "&lt;script&gt;alert" in client.get("/quality").text
    data = client.get("/areas/lpu/coventry?format=json")
    assert data.headers["content-type"].startswith("application/json")


def test_chart_specs_cannot_break_out_of_their_script_tag(client: TestClient) -> None:
    html = client.get("/areas/lpu/coventry").text
    for spec in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in spec and ">" not in spec


INJECTIONS = ["' OR '1'='1", "1; DROP TABLE crimes; --", "coventry' --", "%", "_",
              "\\x00", "robbery\"; SELECT * FROM users; --", "'; DELETE FROM priorities; --"]


def test_query_parameters_cannot_inject_sql(client: TestClient) -> None:
    sign_in(client, "adm", PASSWORD)
    wh = client.app.state.ctx.warehouse  # type: ignore[attr-defined]
    before = wh.table_counts()
    for value in INJECTIONS:
        for path, params in (
            ("/areas/search", {"q": value}), ("/areas/postcode", {"postcode": value}),
            ("/", {"year": value}), ("/dashboard", {"lpu": value, "year": value}),
            ("/measures/robbery", {"lpu": value, "from": value, "to": value}),
            ("/quality", {"ingest": value, "reason": value}),
            (f"/areas/lpu/{value}", {}), (f"/measures/{value}", {}),
            ("/map/neighbourhoods.geojson", {"lpu": value}),
            ("/map/lsoas.geojson", {"neighbourhood": value}),
        ):
            response = client.get(path, params=params, headers={"Accept": "application/json"})
            assert response.status_code < 500, (path, params, response.text)
    reasons = client.get("/quality", params={"reason": "x' OR '1'='1", "format": "json"}).json()
    assert reasons["quarantine"] == []
    assert wh.table_counts() == before


ALLOWED_KEYS = {
    # envelope and page structure
    "ok", "page", "tables", "year", "years", "data_through", "status_counts", "milestone_count",
    "plan_title", "force_name", "vision", "window", "crime", "priorities", "id", "title", "aims",
    "milestones", "good", "bad", "neutral", "unknown", "label", "before_label", "first_month",
    "last_month", "authority", "first_year", "last_year", "control_plans",
    "strategic_assessment", "headline_themes", "specific_priority_areas", "consultation_themes",
    "lpus", "name", "url", "footnotes", "text", "milestone_tables", "rows", "priority",
    "neighbourhoods", "map", "focus", "highlight", "points", "query", "results", "kind",
    "population", "lpu_id", "lpu_name", "local_authority", "datasets", "description", "columns",
    "downloads", "csv", "parquet", "licence", "markdown", "html", "area", "charts", "postcode",
    "postcode_error",
    # milestone rows (paragon.web.data.opendata.PUBLIC_MILESTONE_FIELDS and their words)
    "table", "measure", "better", "period_start", "period_end", "months", "partial_year",
    "unit", "value", "value_lower", "value_upper", "published_value", "baseline_year",
    "baseline", "compared_with", "comparison_value", "milestone_published", "milestone",
    "change_pct", "change_lower", "change_upper", "change_unit", "change_significant", "status",
    "beyond_noise", "projected", "probability_met", "assurance", "status_label", "tone",
    "sentence", "figure_text", "projection_text", "milestone_text", "period_label",
    # area pages
    "crime_total", "crime_by_category", "category", "last_12_months", "previous_12_months",
    "p_value", "verdict", "in_words", "anti_social_behaviour", "outcomes", "outcome", "crimes",
    "share_pct", "monthly", "month", "local_priorities", "priority_id", "area_type", "area_id",
    "issue", "action", "opened_on", "result", "closed_on", "lsoas", "lsoa_code",
    "crimes_last_12_months", "categories",
}
FORBIDDEN_KEYS = {"crime_reference", "crime_key", "location", "longitude", "latitude", "bng_x",
                  "bng_y", "respondent_id", "answer", "weight", "updated_by", "password_hash",
                  "user_name", "raw_text", "outcome_date", "recorded_date"}


def walk_keys(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key == "charts":
                for spec in value.values():
                    chart_rows(spec, found)
            else:
                walk_keys(value, found)
    elif isinstance(node, list):
        for item in node:
            walk_keys(item, found)


def chart_rows(spec: Any, found: set[str]) -> None:
    """A chart's data rows must be public fields too; its other keys are Vega-Lite grammar."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "values" and isinstance(value, list):
                for row in value:
                    found.update(k for k in row if k not in ("series", "count"))
            else:
                chart_rows(value, found)
    elif isinstance(spec, list):
        for item in spec:
            chart_rows(item, found)


def public_json_pages(client: TestClient) -> list[str]:
    areas = client.get("/areas?format=json").json()
    hood = areas["lpus"][0]["neighbourhoods"][0]["url"]
    return ["/", "/plan", "/plan/trust-confidence", "/areas", "/areas/search?q=birmingham",
            "/areas/lpu/coventry", "/areas/lpu/birmingham-north", hood, "/data", "/methods",
            "/areas/postcode?postcode=B10%200AB", "/login"]


def test_public_json_is_held_to_an_allow_list(client: TestClient) -> None:
    found: set[str] = set()
    for path in public_json_pages(client):
        joiner = "&" if "?" in path else "?"
        body = client.get(f"{path}{joiner}format=json").json()
        walk_keys(body, found)
        text = str(body)
        assert not re.search(r"WM\d{9}", text), f"{path} carries a crime reference"
    unexpected = found - ALLOWED_KEYS - {"next", "message", "error", "in_words",
                                         "before", "period", "crimes", "anti_social_behaviour"}
    assert not unexpected, f"public JSON carries fields not on the allow-list: {unexpected}"
    assert not found & FORBIDDEN_KEYS


def test_public_map_points_are_lsoa_centroids_only(client: TestClient) -> None:
    hood = client.get("/areas?format=json").json()["lpus"][0]["neighbourhoods"][0]["id"]
    points = client.get(f"/map/lsoas.geojson?neighbourhood={hood}").json()
    wh = client.app.state.ctx.warehouse  # type: ignore[attr-defined]
    centroids = {r["lsoa_code"]: (round(r["longitude"], 5), round(r["latitude"], 5))
                 for r in wh.query("SELECT lsoa_code, longitude, latitude FROM geography")}
    for feature in points["features"]:
        assert set(feature["properties"]) == {"id", "name", "crimes"}
        assert tuple(feature["geometry"]["coordinates"]) == centroids[feature["id"]]


def test_security_headers(client: TestClient) -> None:
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    csrf = next(h for h in response.headers.get_list("set-cookie")
                if h.startswith("paragon_csrf="))
    assert "HttpOnly" in csrf and "SameSite=Lax" in csrf


def test_admin_changes_and_exports_are_audited(client: TestClient) -> None:
    sign_in(client, "adm", PASSWORD)
    token = csrf_from(client.get("/admin/priorities").text)
    created = client.post("/admin/priorities", data={
        "area": "lpu:walsall", "issue": "Fly-tipping", "action": "Joint patrols",
        "csrf_token": token}, headers={"Accept": "application/json"}).json()
    closed = client.post(f"/admin/priorities/{created['priority_id']}/close",
                         data={"result": "Fly-tipping reports halved", "csrf_token": token})
    assert closed.status_code == 200
    client.get("/dashboard?format=csv&table=milestones")
    actions = {e["action"] for e in client.get("/admin/audit?format=json").json()["entries"]}
    assert {"login", "priority opened", "priority closed", "export"} <= actions
    public = client.get("/areas/lpu/walsall?format=json").json()["local_priorities"]
    assert any(p["result"] == "Fly-tipping reports halved" for p in public)


def test_plan_upload_shows_validation_errors(client: TestClient) -> None:
    sign_in(client, "adm", PASSWORD)
    token = csrf_from(client.get("/admin/plan").text)
    bad = "id: x\ntitle: T\nforce: west-midlands\nmeasures: [1, 2]\n"
    response = client.post("/admin/plan", params={"csrf_token": token},
                           files={"plan_file": ("bad-plan.yaml", bad, "text/yaml")})
    assert response.status_code == 422
    assert re.search(r"bad-plan\.yaml:\d+:\d+: ", response.text)
    from paragon.plan.loader import default_plan_text

    good = default_plan_text().replace("current_year: 2011-12", "current_year: 2011-12\n")
    accepted = client.post("/admin/plan", params={"csrf_token": token},
                           files={"plan_file": ("plan.yaml", good, "text/yaml")},
                           follow_redirects=False)
    assert accepted.status_code == 303
    versions = client.get("/admin/plan?format=json").json()["versions"]
    assert versions[0]["active"] and versions[0]["source_name"] == "plan.yaml"
    assert client.get("/").status_code == 200
