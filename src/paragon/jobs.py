"""Data jobs started from the admin pages: fetch the next police.uk month, or ingest uploaded files.

A job is a row of the operational store's ``jobs`` table (kind, status, progress, log, result) and
a process of its own (``python -m paragon.jobs JOB_ID``), started detached so that it outlives the
request and the worker that started it. The process runs the ordinary command (``paragon fetch``
or ``paragon ingest`` with ``--format json``), so a job writes and publishes exactly as the command
line does; the site moves to the new data when it is published. The job copies the command's
messages into its log as they come and its per-file report (rows read, loaded, quarantined and the
commonest reasons) into its result.

Statuses: ``queued`` -> ``running`` -> ``done`` or ``failed``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from paragon.errors import ParagonError
from paragon.ops import OpsStore
from paragon.settings import Settings

LOG_LIMIT = 200_000  # characters of a job's log kept (the end is kept)
KINDS = ("fetch", "upload")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def uploads_folder(settings: Settings, job_id: int) -> Path:
    """Where an upload job's files are kept: beside the warehouse."""
    db = Path(settings.db)
    return db.with_name(db.name + ".uploads") / f"job-{job_id:06d}"


def create(ops: OpsStore, kind: str, user: str, arguments: dict[str, Any]) -> int:
    """A new queued job; returns its id."""
    if kind not in KINDS:
        raise ParagonError(f"unknown job kind '{kind[:20]}'")
    with ops.transaction() as cur:
        cur.execute("INSERT INTO jobs (kind, status, created_by, created_at, progress, log, "
                    "result) VALUES (?, 'queued', ?, ?, 0, '', ?)",
                    [kind, user, _now(), json.dumps({"arguments": arguments})])
        job_id = cur.lastrowid
    assert job_id is not None
    return int(job_id)


def start(settings: Settings, job_id: int) -> None:
    """Run the job in a detached process with ``settings`` in its environment."""
    from paragon.cli_web import settings_environment

    env = {**os.environ, **settings_environment(settings), "PYTHONUNBUFFERED": "1"}
    subprocess.Popen([sys.executable, "-m", "paragon.jobs", str(job_id)], env=env,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


def get(ops: OpsStore, job_id: int) -> dict[str, Any] | None:
    rows = ops.query("SELECT * FROM jobs WHERE job_id = ?", [job_id])
    return _decoded(rows[0]) if rows else None


def recent(ops: OpsStore, limit: int = 50) -> list[dict[str, Any]]:
    return [_decoded(r) for r in ops.query(
        "SELECT job_id, kind, status, created_by, created_at, started_at, finished_at, progress, "
        "result FROM jobs ORDER BY job_id DESC LIMIT ?", [limit])]


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    try:
        row["result"] = json.loads(row.get("result") or "{}")
    except json.JSONDecodeError:
        row["result"] = {}
    return row


def next_policeuk_month(latest: date | None) -> date:
    """The month after the newest police.uk month in the warehouse."""
    if latest is None:
        raise ParagonError("The warehouse has no police.uk data yet: fetch the first months with "
                           "`paragon fetch` on the command line.")
    return date(latest.year + (latest.month == 12), latest.month % 12 + 1, 1)


def command(job: dict[str, Any], settings: Settings) -> list[str]:
    """The ``paragon`` command a job runs."""
    args = job["result"].get("arguments", {})
    base = [sys.executable, "-m", "paragon"]
    if job["kind"] == "fetch":
        return [*base, "fetch", "--force", str(args["force"]), "--from", str(args["month"]),
                "--to", str(args["month"]), "--format", "json", "--db", str(settings.db)]
    folder = uploads_folder(settings, int(job["job_id"]))
    files = sorted(str(p) for p in folder.iterdir() if p.is_file())
    if not files:
        raise ParagonError("no files were uploaded")
    return [*base, "ingest", *files, "--format", "json", "--db", str(settings.db)]


def _update(ops: OpsStore, job_id: int, **values: Any) -> None:
    names = ", ".join(f"{k} = ?" for k in values)
    with ops.transaction() as cur:
        cur.execute(f"UPDATE jobs SET {names} WHERE job_id = ?", [*values.values(), job_id])


def _append(ops: OpsStore, job_id: int, text: str, progress: float | None = None) -> None:
    with ops.transaction() as cur:
        log = cur.scalar("SELECT log FROM jobs WHERE job_id = ?", [job_id]) or ""
        log = (log + text)[-LOG_LIMIT:]
        if progress is None:
            cur.execute("UPDATE jobs SET log = ? WHERE job_id = ?", [log, job_id])
        else:
            cur.execute("UPDATE jobs SET log = ?, progress = ? WHERE job_id = ?",
                        [log, progress, job_id])


def summary(files: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals and the commonest quarantine reasons over a command's per-file reports."""
    totals = {k: sum(int(f.get(k) or 0) for f in files)
              for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_duplicate")}
    reasons: dict[str, int] = {}
    for f in files:
        for reason, n in (f.get("reasons") or {}).items():
            reasons[reason] = reasons.get(reason, 0) + int(n)
    top = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:10])
    return {**totals, "top_reasons": top}


def run(settings: Settings, job_id: int) -> int:
    """Run job ``job_id`` to the end; its exit status."""
    with OpsStore.open(settings.ops_location()) as ops:
        job = get(ops, job_id)
        if job is None:
            raise ParagonError(f"no job {job_id}")
        _update(ops, job_id, status="running", started_at=_now(), progress=0.05)
        try:
            cmd = command(job, settings)
        except (ParagonError, OSError, KeyError) as exc:
            _append(ops, job_id, f"{exc}\n")
            _update(ops, job_id, status="failed", finished_at=_now(), progress=1.0)
            return 1
        _append(ops, job_id, f"$ paragon {' '.join(cmd[3:])}\n", progress=0.1)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "COLUMNS": "120"})
        assert proc.stderr is not None and proc.stdout is not None
        for line in proc.stderr:
            progress = 0.5 if line.startswith("ingesting") else None
            _append(ops, job_id, line, progress)
        out = proc.stdout.read()
        code = proc.wait()
        result = dict(job["result"])
        try:
            report = json.loads(out) if out.strip() else {}
        except json.JSONDecodeError:
            report = {}
            _append(ops, job_id, out[-2000:])
        files = report.get("files", [])
        result.update(files=files, summary=summary(files), archives=report.get("archives", []))
        _update(ops, job_id, status="done" if code == 0 else "failed", finished_at=_now(),
                progress=1.0, result=json.dumps(result, default=str))
        return 0 if code == 0 else 1


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        raise SystemExit("usage: python -m paragon.jobs JOB_ID")
    raise SystemExit(run(Settings(), int(sys.argv[1])))


if __name__ == "__main__":
    main()
