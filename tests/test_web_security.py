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

from paragon.ops import OpsStore, copy_store, default_url
from paragon.ops.testing import fresh_database, postgres_server
from paragon.settings import Settings
from paragon.web.app import create_app
from paragon.web.auth import utc_now
from paragon.web.fixtures import HOSTILE_TEXT, csrf_from, sample_with_users, sign_in

SECRET = "t" * 32
PASSWORD = "a long enough password"
STAFF_PREFIXES = ("/dashboard", "/measures", "/quality", "/admin")
PATH_VALUES = {"measure_id": "robbery", "priority_id": "1", "name": "ana", "break_id": "1",
               "job_id": "1"}


@pytest.fixture
def db(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path,
       monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The hostile sample with two users. With PARAGON_TEST_POSTGRES_URL set, the operational
    store is a new PostgreSQL database (PARAGON_OPS_URL) holding a copy of the sample's."""
    path = sample_with_users(tmp_path_factory.getbasetemp(), tmp_path / "security.duckdb",
                             {"ana": "analyst", "adm": "admin"}, PASSWORD)
    server = postgres_server()
    if server is None:
        yield path
        return
    with fresh_database(server) as url:
        with OpsStore.open(default_url(path)) as source, OpsStore.open(url) as target:
            copy_store(source, target)
        monkeypatch.setenv("PARAGON_OPS_URL", url)
        yield path


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
            path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "1"), template)
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


def test_a_nul_character_in_a_sign_in_name_is_refused_not_an_error(client: TestClient) -> None:
    """Found on PostgreSQL, whose text cannot hold NUL: the attempt was a 500 there."""
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"user_name": "an\x00a", "password": "x" * 12,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 401, response.text[:300]


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
    # area changes compared over the months with data in both years (aggregates only)
    "months_covered", "months_expected", "months_compared", "compared_last", "compared",
    "p_value_adjusted", "dispersion", "against_text",
    # place search: the postcode box's hint, streets (police.uk "On or near" names) found
    "postcode_hint", "street", "neighbourhood_name",
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
    assert response.headers["cache-control"] == "public, no-cache"  # public: tagged by data version
    assert client.get("/login").headers["cache-control"] == "no-store"
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


# --- findings of the security review, one test each ------------------------------------------------
MULTIPART_START = (b'--x\r\nContent-Disposition: form-data; name="plan_file"; filename="p.yaml"'
                   b"\r\nContent-Type: text/yaml\r\n\r\n")


def asgi_post(app: Any, path: str, headers: dict[str, str], *, chunks: int, chunk_size: int,
              query: str = "") -> tuple[int, int]:
    """POST the start of a multipart file, then ``chunks`` x ``chunk_size`` bytes of it, straight
    through the ASGI interface, with no Content-Length unless ``headers`` has one; returns
    (status, bytes the app read)."""
    import asyncio
    import threading

    block = b"x" * chunk_size
    pending = [MULTIPART_START]
    left = chunks
    read = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal left, read
        if pending:
            read += len(pending[0])
            return {"type": "http.request", "body": pending.pop(), "more_body": True}
        if left:
            left -= 1
            read += chunk_size
            return {"type": "http.request", "body": block, "more_body": left > 0}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "", "client": ("198.51.100.7", 1),
             "server": ("testserver", 80),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    # on a thread of its own: the browser tests' Playwright holds an event loop in this one
    worker = threading.Thread(target=lambda: asyncio.run(app(scope, receive, send)))
    worker.start()
    worker.join()
    return status, read


def cookie_header(client: TestClient) -> str:
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def test_forwarded_for_from_an_untrusted_peer_cannot_bypass_the_rate_limit(db: Path) -> None:
    with make_client(db) as c:
        token = csrf_from(c.get("/login").text)
        statuses = [c.post("/login", data={"user_name": "ana", "password": "wrong password here",
                                           "csrf_token": token},
                           headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                    for i in range(40)]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        right = c.post("/login", data={"user_name": "ana", "password": PASSWORD,
                                       "csrf_token": token},
                       headers={"X-Forwarded-For": "203.0.113.250"})
        assert right.status_code == 429
        addresses = {r["address"] for r in c.app.state.ctx.ops.query(  # type: ignore[attr-defined]
            "SELECT address FROM audit_log UNION SELECT address FROM login_attempts")}
        assert addresses == {"testclient"}


def test_concurrent_sign_ins_cannot_race_past_the_limit(db: Path) -> None:
    import threading

    app = create_app(Settings(db=db, secret_key=SECRET, login_hash_concurrency=64))
    clients = [TestClient(app) for _ in range(30)]
    tokens = [csrf_from(c.get("/login").text) for c in clients]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def attempt(client: TestClient, token: str) -> None:
        barrier.wait()
        statuses.append(client.post("/login", data={"user_name": "ana", "password": "not it at all",
                                                    "csrf_token": token}).status_code)

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, tokens,
                                                                           strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(401) == 5 and statuses.count(429) == 25
    assert app.state.ctx.ops.scalar("SELECT count(*) FROM login_attempts") == 5


def test_password_rules_follow_nist_800_63b() -> None:
    from paragon.errors import ParagonError
    from paragon.web.auth import check_password

    for weak in ("1111111111", "password123", "qwertyuiop", "1234567890", "abcabcabcabc",
                 "iloveyou2024", "Paragon2024!", "short"):
        with pytest.raises(ParagonError):
            check_password(weak)
    with pytest.raises(ParagonError, match="user name"):
        check_password("analyst_analyst!1", "analyst")
    for fine in ("correct horse battery", "Tr0ub4dor&3 lamp", "ünïcode pässwörd ✓"):
        assert check_password(fine, "ana") == fine


def test_weak_passwords_are_refused_when_adding_a_user(client: TestClient) -> None:
    sign_in(client, "adm", PASSWORD)
    token = csrf_from(client.get("/admin/users").text)
    refused = client.post("/admin/users", data={"user_name": "zoe", "role": "analyst",
                                                "password": "1111111111", "csrf_token": token},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 400 and "commonly used" in refused.json()["error"]


def test_password_checks_are_capped_and_excess_answered_at_once(db: Path) -> None:
    with make_client(db, login_hash_concurrency=1) as c:
        token = csrf_from(c.get("/login").text)
        slots = c.app.state.hash_slots  # type: ignore[attr-defined]
        assert slots.acquire()  # another sign-in is checking its password
        try:
            busy = c.post("/login", data={"user_name": "ana", "password": PASSWORD,
                                          "csrf_token": token})
        finally:
            slots.release()
        assert busy.status_code == 503 and busy.headers["retry-after"]
        ops = c.app.state.ctx.ops  # type: ignore[attr-defined]
        assert ops.scalar("SELECT count(*) FROM login_attempts") == 0  # no password checked:
        # the busy answer uses up none of the account's attempts
        assert sign_in(c, "ana", PASSWORD).status_code == 200


def test_bodies_are_refused_before_they_are_read(db: Path) -> None:
    app = create_app(Settings(db=db, secret_key=SECRET))
    multipart = {"content-type": "multipart/form-data; boundary=x", "accept": "application/json"}
    declared = asgi_post(app, "/admin/plan", {**multipart, "content-length": str(2**30)},
                         chunks=1, chunk_size=10)
    assert declared == (413, 0)
    assert asgi_post(app, "/admin/plan", multipart, chunks=64, chunk_size=2**20) == (403, 0)
    with TestClient(app) as stranger:
        stranger.get("/login")
        headers = {**multipart, "cookie": cookie_header(stranger),
                   "x-csrf-token": csrf_from(stranger.get("/login").text)}
    assert asgi_post(app, "/admin/plan", headers, chunks=64, chunk_size=2**20) == (401, 0)
    with TestClient(app) as admin:
        sign_in(admin, "adm", PASSWORD)
        headers = {**multipart, "cookie": cookie_header(admin),
                   "x-csrf-token": csrf_from(admin.get("/admin/plan").text)}
    status, read = asgi_post(app, "/admin/plan", headers, chunks=64, chunk_size=2**20)
    assert status == 413 and read <= 2 * 2**20 + len(MULTIPART_START)  # the limit + a chunk
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert asgi_post(app, "/login", form, chunks=64, chunk_size=2**20)[0] == 413


def test_forwarded_headers_are_believed_only_from_trusted_proxies(db: Path) -> None:
    settings = Settings(db=db, secret_key=SECRET, trusted_proxies="10.0.0.0/8, 192.0.2.1")
    proxied = TestClient(create_app(settings), client=("10.1.2.3", 4444))
    headers = {"X-Forwarded-For": "203.0.113.66, 192.0.2.1", "X-Forwarded-Proto": "https"}
    first = proxied.get("/login", headers=headers)
    token = csrf_from(first.text)
    cookie = next(h for h in first.headers.get_list("set-cookie"))
    assert cookie.startswith("__Host-paragon_csrf=") and "Secure" in cookie
    proxied.cookies.set("__Host-paragon_csrf", cookie.split(";")[0].split("=", 1)[1])
    failed = proxied.post("/login", data={"user_name": "ana", "password": "wrong password here",
                                          "csrf_token": token}, headers=headers)
    assert failed.status_code == 401
    ops = proxied.app.state.ctx.ops  # type: ignore[attr-defined]
    assert ops.scalar("SELECT address FROM login_attempts") == "203.0.113.66"
    direct = TestClient(create_app(settings), client=("198.51.100.9", 1))
    page = direct.get("/login", headers=headers)
    assert "Secure" not in page.headers["set-cookie"]
    direct.post("/login", data={"user_name": "ana", "password": "wrong password here",
                                "csrf_token": csrf_from(page.text)}, headers=headers)
    assert {r["address"] for r in ops.query("SELECT address FROM login_attempts")} == {
        "203.0.113.66", "198.51.100.9"}
    with pytest.raises(Exception, match="PARAGON_TRUSTED_PROXIES"):
        create_app(Settings(db=db, secret_key=SECRET, trusted_proxies="not-an-address"))


def test_failed_sign_ins_are_one_audit_entry_and_the_log_is_paged(db: Path) -> None:
    with make_client(db, login_attempts_per_minute=100) as c:
        token = csrf_from(c.get("/login").text)
        for i in range(30):
            c.post("/login", data={"user_name": f"guess{i % 3}", "password": "wrong password",
                                   "csrf_token": token})
        ops = c.app.state.ctx.ops  # type: ignore[attr-defined]
        rows = ops.query("SELECT repeats, target, detail FROM audit_log "
                         "WHERE action = 'login failed'")
        assert len(rows) <= 2 and sum(r["repeats"] for r in rows) == 30  # a minute may turn
        assert ops.scalar("SELECT count(*) FROM audit_log WHERE actor IS NOT NULL") == 0  # the
        # names tried are targets, never actors: a guess cannot appear as someone's action
        with ops.transaction() as cur:
            for i in range(250):
                cur.execute("INSERT INTO audit_log (logged_at, action, target, address) "
                            "VALUES (?, 'export', ?, 'x')", [utc_now(), str(i)])
        sign_in(c, "adm", PASSWORD)
        first = c.get("/admin/audit?format=json").json()
        assert len(first["entries"]) == 100 and first["older"]
        second = c.get(f"/admin/audit?format=json&before={first['older']}").json()
        assert len(second["entries"]) == 100
        assert second["entries"][0]["audit_id"] < first["entries"][-1]["audit_id"]
        assert "Older entries" in c.get("/admin/audit").text


def test_open_data_csv_cells_cannot_be_formulas(client: TestClient) -> None:
    sign_in(client, "adm", PASSWORD)
    token = csrf_from(client.get("/admin/priorities").text)
    formula = '=HYPERLINK("http://evil.example","click")'
    client.post("/admin/priorities", data={"area": "lpu:coventry", "issue": formula,
                                           "action": "+SUM(1,2)", "csrf_token": token})
    text = client.get("/data/local-priorities.csv").text
    assert f"'{formula}".replace('"', '""') in text and "'+SUM(1,2)" in text
    import csv as csvlib

    for row in csvlib.reader(text.splitlines()):
        assert all(cell[:1] not in ("=", "+", "@", "\t", "\r") for cell in row)


def test_cli_csv_cells_cannot_be_formulas(capsys: pytest.CaptureFixture[str]) -> None:
    from paragon.cli_common import print_csv

    print_csv([{"name": "=cmd|' /C calc'!A0", "n": -3}])
    assert capsys.readouterr().out.splitlines()[1] == "'=cmd|' /C calc'!A0,-3"


def test_csrf_token_is_bound_to_the_session(db: Path) -> None:
    with make_client(db) as victim, make_client(db) as attacker:
        sign_in(victim, "adm", PASSWORD)
        attacker_cookie = attacker.get("/login").cookies["paragon_csrf"]
        attacker_token = csrf_from(attacker.get("/login").text)
        victim.cookies.set("paragon_csrf", attacker_cookie)  # tossed onto the victim
        forged = victim.post("/admin/priorities", data={
            "area": "lpu:coventry", "issue": "Forged", "action": "x",
            "csrf_token": attacker_token}, headers={"Accept": "application/json"})
        assert forged.status_code == 403
        old_token = csrf_from(victim.get("/admin/priorities").text)
        victim.post("/logout", data={"csrf_token": old_token})
        sign_in(victim, "adm", PASSWORD)
        stale = victim.post("/admin/priorities", data={
            "area": "lpu:coventry", "issue": "Stale", "action": "x", "csrf_token": old_token})
        assert stale.status_code == 403


def test_a_malformed_cookie_does_not_break_forms(db: Path) -> None:
    with make_client(db) as c:
        page = c.get("/login")
        csrf = page.cookies["paragon_csrf"]
        c.cookies.clear()
        signed = c.post("/login", data={"user_name": "ana", "password": PASSWORD,
                                        "csrf_token": csrf_from(page.text)},
                        headers={"Cookie": f"x=a b; y=\"unterminated; paragon_csrf={csrf}"},
                        follow_redirects=False)
        assert signed.status_code == 303


def test_bad_parameters_are_4xx_and_errors_keep_their_headers(client: TestClient) -> None:
    sign_in(client, "ana", PASSWORD)
    for url in ("/measures/robbery?to=9999-12", "/measures/robbery?from=0001-01&to=0001-06"):
        response = client.get(url, headers={"Accept": "application/json"})
        assert 400 <= response.status_code < 500, (url, response.text)

    def broken() -> None:
        raise RuntimeError("a bug")

    client.app.add_api_route("/test-broken", broken)  # type: ignore[attr-defined]
    error = client.get("/test-broken", headers={"Accept": "application/json"})
    assert error.status_code == 500 and error.json()["ok"] is False
    assert "frame-ancestors 'none'" in error.headers["content-security-policy"]
    assert error.headers["x-content-type-options"] == "nosniff"


def test_the_connection_stays_open_after_a_500(db: Path) -> None:
    import http.client
    import socket
    import threading

    import uvicorn

    app = create_app(Settings(db=db, secret_key=SECRET))

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test-broken", broken)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/test-broken")
        first = conn.getresponse()
        first.read()
        assert first.status == 500 and first.getheader("content-security-policy")
        assert not first.will_close
        sock = conn.sock
        conn.request("GET", "/health")
        second = conn.getresponse()
        assert second.status == 200 and conn.sock is sock
    finally:
        server.should_exit = True
        thread.join()


def upload(client: TestClient, name: str, text: str) -> Any:
    token = csrf_from(client.get("/admin/plan").text)
    return client.post("/admin/plan", params={"csrf_token": token},
                       files={"plan_file": (name, text, "text/yaml")},
                       headers={"Accept": "application/json"})


def test_hostile_plans_are_refused_and_audited(client: TestClient) -> None:
    sign_in(client, "adm", PASSWORD)
    deep = "a: " + "[" * 900 + "]" * 900 + "\n"
    refused = upload(client, "deep.yaml", deep)
    assert refused.status_code == 422 and "nests more than" in refused.json()["error"]
    laughs = ["a0: &a0 " + "x" * 1000]
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    refused = upload(client, "laughs.yaml", "\n".join(laughs) + "\n")
    assert refused.status_code == 422 and "anchors and aliases" in refused.json()["error"]
    ops = client.app.state.ctx.ops  # type: ignore[attr-defined]
    rejected = ops.query("SELECT target FROM audit_log WHERE action = 'plan rejected'")
    assert {r["target"] for r in rejected} == {"deep.yaml", "laughs.yaml"}


def test_no_off_site_links_from_the_path(client: TestClient) -> None:
    for path in ("//evil.example/x", "/\\evil.example/x"):
        response = client.get(f"http://testserver{path}")  # the path as sent, not a host
        html = response.text
        assert response.status_code == 404 and 'rel="alternate"' in html
        assert 'href="//evil.example' not in html and 'href="/\\evil' not in html
    assert 'href="/evil.example/x?format=json"' in client.get(
        "http://testserver//evil.example/x").text


def test_api_docs_need_no_outside_scripts(client: TestClient) -> None:
    assert client.get("/api/docs").status_code == 404
    assert client.get("/api/openapi.json").json()["info"]["title"] == "Paragon"
    assert "cdn.jsdelivr" not in client.get("/data").text


def test_one_cache_control_per_response(client: TestClient) -> None:
    lpu = client.get("/map/neighbourhoods.geojson?lpu=coventry")
    assert lpu.status_code == 200 and len(lpu.headers.get_list("cache-control")) == 1
    for path in ("/", "/static/favicon.svg", "/data/milestones.csv"):
        assert len(client.get(path).headers.get_list("cache-control")) == 1, path


def test_open_data_exports_of_older_versions_are_pruned(client: TestClient) -> None:
    from paragon.web.data import opendata

    folder = opendata._folder()
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    mine = f"{id(ctx)}-*-local-priorities.csv"
    client.get("/data/local-priorities.csv")
    assert len(list(folder.glob(mine))) == 1
    sign_in(client, "adm", PASSWORD)
    token = csrf_from(client.get("/admin/priorities").text)
    client.post("/admin/priorities", data={"area": "lpu:walsall", "issue": "Noise",
                                           "action": "Patrols", "csrf_token": token})
    assert "Noise" in client.get("/data/local-priorities.csv").text
    assert len(list(folder.glob(mine))) == 1


def test_a_forked_worker_gets_an_export_folder_of_its_own(client: TestClient) -> None:
    # a folder shared with the process a worker was forked from would be removed under the
    # other workers when that worker exits
    from paragon.web.data import opendata

    folder = opendata._folder()
    assert opendata._folder() == folder and folder.is_dir()
    kept, opendata._directory_pid = opendata._directory_pid, -1  # as seen from a forked child
    try:
        other = opendata._folder()
        assert other != folder and other.is_dir()
        assert client.get("/data/local-priorities.csv").status_code == 200
        assert list(other.glob("*-local-priorities.csv"))
    finally:
        opendata._directory_pid = kept


def test_sessions_end_after_their_absolute_lifetime(client: TestClient) -> None:
    sign_in(client, "ana", PASSWORD)
    ops = client.app.state.ctx.ops  # type: ignore[attr-defined]
    with ops.transaction() as cur:
        cur.execute("UPDATE sessions SET created_at = ?, last_seen = ?",
                    [utc_now() - timedelta(hours=13), utc_now()])
    expired = client.get("/dashboard?format=json")
    assert expired.status_code == 401 and "expired" in expired.json()["error"]


def test_done_messages_come_from_a_fixed_set(client: TestClient) -> None:
    sign_in(client, "adm", PASSWORD)
    forged = client.get("/admin/users", params={"done": "Your account is locked, call 0800"})
    assert "call 0800" not in forged.text
    unknown = client.get("/admin/users", params={"done": "account-locked"})
    assert unknown.status_code == 200 and 'id="done"' not in unknown.text
    known = client.get("/admin/users", params={"done": "user-added", "item": "ana"})
    assert "Added ana." in known.text


def test_an_ipv6_client_is_limited_by_its_whole_64_block(db: Path) -> None:
    app = create_app(Settings(db=db, secret_key=SECRET, login_attempts_per_minute=1))
    statuses = []
    for i in range(7):  # a new address of the same /64, and a new account, each time
        c = TestClient(app, client=(f"2001:db8:1:2::{i + 1:x}", 1))
        statuses.append(c.post("/login", data={
            "user_name": f"guess{i}", "password": "wrong password here",
            "csrf_token": csrf_from(c.get("/login").text)}).status_code)
    assert statuses == [401] * 5 + [429] * 2  # the address limit: 5 x the account limit
    other = TestClient(app, client=("2001:db8:1:3::1", 1))
    assert other.post("/login", data={"user_name": "guess9", "password": "wrong password here",
                                      "csrf_token": csrf_from(other.get("/login").text)}
                      ).status_code == 401
    mapped = TestClient(app, client=("::ffff:192.0.2.7", 1))
    mapped.post("/login", data={"user_name": "guess10", "password": "wrong password here",
                                "csrf_token": csrf_from(mapped.get("/login").text)})
    ops = app.state.ctx.ops
    assert {r["address"] for r in ops.query("SELECT DISTINCT address FROM login_attempts")} == {
        "2001:db8:1:2::/64", "2001:db8:1:3::/64", "192.0.2.7"}


INPUT_CSV_WRITERS = {"web/fixtures.py", "demo/build.py"}  # write ingest input, not exports


def test_every_csv_writer_is_formula_safe() -> None:
    """Every module that writes CSV for people (exports, pages, the CLI, patrol lists) passes
    its cells through paragon.csv_safe."""
    import paragon

    root = Path(paragon.__file__).parent
    writers = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(root).as_posix()
        if re.search(r"csv\.(writer|DictWriter)\(|write_csv\(|FORMAT CSV", text):
            writers.append(name)
            if name not in INPUT_CSV_WRITERS:
                assert "safe_cell" in text or "safe_table" in text, name
    assert {"web/render.py", "cli_common.py", "tasking/predict.py"} <= set(writers)
