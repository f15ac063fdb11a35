"""Property-based API testing: Schemathesis generates requests from the OpenAPI document and
none of them may cause a server error, signed out or signed in as an admin (a bounded number of
examples per operation keeps this to a few seconds)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from paragon.settings import Settings
from paragon.web.app import create_app
from paragon.web.fixtures import csrf_from, sample_with_users, sign_in

SECRET = "u" * 32
PASSWORD = "a long enough password"
EXAMPLES = 6


@pytest.fixture(scope="module")
def web_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    target = sample_with_users(tmp_path_factory.getbasetemp(),
                               tmp_path_factory.mktemp("schemathesis") / "api.duckdb",
                               {"adm": "admin"}, PASSWORD)
    app = create_app(Settings(db=target, secret_key=SECRET))
    yield app
    app.state.ctx.close()


@pytest.fixture(scope="module")
def api_schema(web_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", web_app)


@pytest.fixture(scope="module")
def admin_headers(web_app: Any) -> dict[str, str]:
    client = TestClient(web_app)
    sign_in(client, "adm", PASSWORD)
    token = csrf_from(client.get("/admin/priorities").text)
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return {"Cookie": cookies, "X-CSRF-Token": token}


def operations(api_schema: Any) -> list[Any]:
    return [result.ok() for result in api_schema.get_all_operations()]


def run_operation(operation: Any, headers: dict[str, str] | None) -> Counter[int]:
    """Up to EXAMPLES generated requests for one operation; none may be a server error."""
    statuses: Counter[int] = Counter()

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        assert response.status_code < 500, (case.method, case.formatted_path,
                                            response.text[:300])
        content_type = (response.headers.get("content-type") or [""])[0]
        is_json = content_type.startswith("application/json")
        if is_json and response.status_code >= 400:
            body = response.json()
            assert body["ok"] is False and body["status"] == response.status_code

    check()
    return statuses


def test_no_server_error_signed_out(api_schema: Any) -> None:
    ops = operations(api_schema)
    assert len(ops) >= 30
    statuses: Counter[int] = Counter()
    for operation in ops:
        statuses += run_operation(operation, None)
    assert statuses[200], statuses


def test_no_server_error_signed_in_as_admin(api_schema: Any,
                                            admin_headers: dict[str, str]) -> None:
    statuses: Counter[int] = Counter()
    for operation in operations(api_schema):
        if operation.path != "/logout":
            statuses += run_operation(operation, admin_headers)
    assert statuses[200] > statuses[401], statuses
