"""Admin data jobs: an upload is ingested by a background process (state in the operational
store) with its log and quarantine result, and the site moves to the new data when it publishes;
a fetch needs police.uk data to follow on from; only data files are taken."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paragon import jobs
from paragon.ingest.force_crimes import COLUMNS
from paragon.settings import Settings
from paragon.web.app import create_app
from paragon.web.fixtures import csrf_from, sample_with_users, sign_in

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
