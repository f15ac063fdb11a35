"""Admin data jobs: an upload is ingested by a background process (state in the operational
store) with its log and quarantine result, and the site moves to the new data when it publishes;
a fetch needs police.uk data to follow on from; only data files are taken."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paragon import jobs
from paragon.ingest.force_crimes import COLUMNS
from paragon.settings import Settings
from paragon.web.app import create_app
from paragon.web.fixtures import csrf_from, sample_with_users, serve_in_thread, sign_in
from paragon.web.routes import jobs as jobs_route

SECRET = "jobs-test-secret-key-0123456789abcdef"
PASSWORD = "jobs test password"
JOB_DEADLINE_SECONDS = 600  # a bound on a stuck job, not a speed claim


@pytest.fixture
def admin(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[TestClient]:
    db = sample_with_users(tmp_path_factory.getbasetemp(), tmp_path / "jobs.duckdb",
                           {"adm": "admin", "ana": "analyst"}, PASSWORD)
    with TestClient(create_app(Settings(db=db, secret_key=SECRET))) as client:
        sign_in(client, "adm", PASSWORD)
        yield client


def _month_file(rows: int) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for i in range(rows):
        writer.writerow([f"JOB1201{i:05d}", f"2012-01-{1 + i % 28:02d}", "28E", "N", "N", "N",
                         "E01009150", "On or near High Street", "", "", "", ""])
    writer.writerow(["JOB1201BAD", "2012-13-45", "28E", "N", "N", "N", "E01009150", "", "", "",
                     "", ""])
    return buf.getvalue().encode()


def _wait(client: TestClient, job_id: int) -> dict[str, object]:
    ops = client.app.state.ctx.ops  # type: ignore[attr-defined]
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        job = jobs.get(ops, job_id)
        assert job is not None
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    pytest.fail(f"job {job_id} did not finish")


def test_an_uploaded_month_is_ingested_in_the_background_and_published(
        admin: TestClient) -> None:
    before = admin.get("/?format=json").json()["window"]["last_month"]
    token = csrf_from(admin.get("/admin/jobs").text)
    started = admin.post("/admin/jobs/upload", params={"csrf_token": token},
                         files=[("files", ("crimes 2012-01.csv", _month_file(40), "text/csv"))],
                         follow_redirects=False)
    assert started.status_code == 303
    job_id = int(started.headers["location"].rsplit("/", 1)[-1])
    job = _wait(admin, job_id)
    assert job["status"] == "done", job["log"]
    summary = job["result"]["summary"]  # type: ignore[index]
    assert (summary["rows_read"], summary["rows_loaded"], summary["rows_quarantined"]) == \
        (41, 40, 1)
    assert "crimes_2012-01.csv" in str(job["log"])
    page = admin.get(f"/admin/jobs/{job_id}").text
    assert "40 loaded" in page and "1 quarantined" in page
    assert any("date" in reason for reason in summary["top_reasons"])
    admin.app.state.ctx.refresh(force=True)  # type: ignore[attr-defined]
    after = admin.get("/?format=json").json()["window"]["last_month"]
    assert before != "2012-01" and after == "2012-01"
    listed = admin.get("/admin/jobs?format=json").json()["jobs"]
    assert listed[0]["job_id"] == job_id and listed[0]["status"] == "done"


def test_only_data_files_are_taken(admin: TestClient) -> None:
    token = csrf_from(admin.get("/admin/jobs").text)
    refused = admin.post("/admin/jobs/upload", params={"csrf_token": token},
                         files=[("files", ("notes.exe", b"MZ", "application/octet-stream"))])
    assert refused.status_code == 400 and "only .csv" in refused.text
    assert admin.get("/admin/jobs?format=json").json()["jobs"] == []


def test_fetch_needs_police_uk_data_to_follow_on_from(admin: TestClient) -> None:
    page = admin.get("/admin/jobs?format=json").json()
    assert page["next_month"] is None and page["latest_policeuk"] is None
    token = csrf_from(admin.get("/admin/jobs").text)
    refused = admin.post("/admin/jobs/fetch", data={"csrf_token": token})
    assert refused.status_code == 400 and "no police.uk data yet" in refused.text


def test_jobs_are_for_admins_only(admin: TestClient) -> None:
    with TestClient(admin.app) as analyst:
        sign_in(analyst, "ana", PASSWORD)
        assert analyst.get("/admin/jobs?format=json").status_code == 403
        token = csrf_from(analyst.get("/").text) if "csrf_token" in analyst.get("/").text \
            else ""
        assert analyst.post("/admin/jobs/fetch", data={"csrf_token": token}).status_code == 403


def test_next_month_after_december_is_january() -> None:
    from datetime import date

    assert jobs.next_policeuk_month(date(2011, 12, 1)) == date(2012, 1, 1)
    assert jobs.next_policeuk_month(date(2012, 1, 1)) == date(2012, 2, 1)


def _browser_sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#user_name", "adm")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
def test_a_job_page_follows_its_job_in_a_browser_and_stops_when_it_ends(
        browser: Any, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """The page of a running job updates its status, progress bar and log in place (no reload:
    a mark set in the page survives), under the site's CSP; when the job ends it shows the result
    and asks for nothing more. Without JavaScript it refreshes itself until the job ends."""
    db = sample_with_users(tmp_path_factory.getbasetemp(), tmp_path / "follow.duckdb",
                           {"adm": "admin"}, PASSWORD)
    app = create_app(Settings(db=db, secret_key=SECRET))
    with serve_in_thread(app, "uvicorn-jobs") as base:
        ops = app.state.ctx.ops
        job_id = jobs.create(ops, "upload", "adm", {"files": ["crimes.csv"]})
        jobs._update(ops, job_id, status="running", progress=0.1)
        context = browser.new_context()
        context.set_default_timeout(20_000)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda msg: problems.append(msg.text)
                if msg.type == "error" else None)
        polls: list[str] = []
        page.on("request", lambda r: polls.append(r.url) if "format=json" in r.url else None)
        _browser_sign_in(page, base)
        page.goto(f"{base}/admin/jobs/{job_id}")
        assert page.text_content("#job-status") == "running"
        page.evaluate("window.stillTheSamePage = true")
        jobs._append(ops, job_id, "ingesting crimes.csv\n", progress=0.5)
        page.wait_for_selector("#job-log:has-text('ingesting crimes.csv')")
        assert page.evaluate("document.getElementById('job-progress').value") == 0.5
        assert page.evaluate("window.stillTheSamePage === true")  # updated in place
        jobs._update(ops, job_id, status="done", progress=1.0, result=json.dumps(
            {"summary": jobs.summary([{"path": "crimes.csv", "rows_read": 3, "rows_loaded": 3}]),
             "files": [{"path": "crimes.csv", "kind": "force_crimes", "rows_read": 3,
                        "rows_loaded": 3, "rows_quarantined": 0, "rows_duplicate": 0}]}))
        page.wait_for_selector("text=3 rows read")
        assert page.text_content("#job-status") == "done"
        assert page.query_selector("#job-follow") is None
        assert page.query_selector("script[src='/static/js/jobs.js']") is None
        polled = len(polls)
        page.wait_for_timeout(3 * jobs_route.REFRESH_SECONDS * 1000)
        assert len(polls) == polled, "the page still polls after the job ended"
        assert not problems, problems
        context.close()

        # Without JavaScript: a <noscript> meta refresh reloads the page while the job runs.
        quiet = browser.new_context(java_script_enabled=False)
        quiet.set_default_timeout(20_000)
        page = quiet.new_page()
        _browser_sign_in(page, base)
        second = jobs.create(ops, "fetch", "adm", {"force": "west-midlands", "month": "2012-01"})
        page.goto(f"{base}/admin/jobs/{second}")
        assert page.text_content("#job-status") == "queued"
        jobs._update(ops, second, status="failed", progress=1.0)
        page.wait_for_selector("#job-status:text-is('failed')")
        assert page.query_selector("meta[http-equiv=refresh]") is None
        quiet.close()
