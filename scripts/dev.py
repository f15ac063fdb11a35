#!/usr/bin/env python3
"""Set up Paragon from a fresh clone and run the demo or the whole test suite.

    python3 scripts/dev.py demo    # set up, build the synthetic demo warehouse, serve it
    python3 scripts/dev.py test    # set up, then ruff, mypy and the whole pytest suite

Needs only Python 3.11+. It makes .venv, installs uv into it from PyPI, installs the locked
dependencies (uv.lock) and runs the command. Browser tests need Debian's Chromium at
/usr/bin/chromium: when it is missing and this runs as root on Debian, it says what it will install
and then installs it with apt-get, without recommended packages and upgrading nothing unrelated.
Extra arguments go to `paragon demo` or to pytest.

`test` also runs, at the same time as the whole suite, every test that opens the operational store
(`pytest -m ops_store`) with every store on a real PostgreSQL server, when PARAGON_TEST_POSTGRES=1,
or by default when it runs as root on Debian (PARAGON_TEST_POSTGRES=0 turns this off): it installs
Debian's postgresql package if it is missing (saying first what it will install, as for Chromium),
starts a throwaway cluster in a temporary directory (initdb as the postgres user, reachable only
through a Unix socket there) and removes it afterwards. Which tests open the store is not a
judgement: tests/conftest.py marks the modules of its OPS_STORE_MODULES list `ops_store`, and its
guard traces every opening of a store (in the test process and in every process it starts) and
fails a test outside those modules that opens one. In the PostgreSQL stage each warehouse's
default store is a database of its own on the server (paragon.ops.testing), so the tests run
unchanged.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / "bin"
CHROMIUM = Path("/usr/bin/chromium")


def sh(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    subprocess.run([str(c) for c in cmd], cwd=ROOT, check=True, env=env)


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - the message a user of an old Python needs
        sys.exit("Paragon needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not (BIN / "uv").exists():
        sh(BIN / "python", "-m", "pip", "install", "--quiet", "uv")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV)}
    # Compiled once here, so that no command compiles its imports again each time it starts
    # (uv does not compile by default, and with PYTHONDONTWRITEBYTECODE set Python never keeps
    # what it compiles: `paragon milestones` then spent 0.6 s of CPU compiling at every start).
    sh(BIN / "uv", "sync", "--frozen", "--quiet", "--compile-bytecode", env=env)
    subprocess.run([str(BIN / "python"), "-m", "compileall", "-q", str(ROOT / "src")],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


BROWSER_PACKAGES = ("chromium", "fonts-dejavu-core")


def _apt_plan(env: dict[str, str],
              packages: tuple[str, ...] = BROWSER_PACKAGES) -> tuple[list[str], list[str]]:
    """What installing ``packages`` would do, from apt-get's own simulation: the packages it
    would newly install and the installed packages it would have to upgrade (only those their
    dependencies require: nothing else is ever upgraded)."""
    sim = subprocess.run(
        ["apt-get", "-s", "install", "--no-install-recommends", *packages],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    new: list[str] = []
    upgraded: list[str] = []
    for line in sim.splitlines():
        if line.startswith("Inst "):
            name = line.split()[1]
            (upgraded if "[" in line.split(" (")[0] else new).append(name)
    return new, upgraded


def apt_install(packages: tuple[str, ...], why: str) -> None:
    """Install Debian ``packages`` with apt-get: say why and what will be installed and upgraded
    first, install without recommended extras, and upgrade nothing unrelated."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(
        f"{why}: installing {' and '.join(packages)} with apt-get, without recommended packages.",
        file=sys.stderr,
    )
    sh("apt-get", "update", "-qq", env=env)
    new, upgraded = _apt_plan(env, packages)
    print(f"apt-get will install {len(new)} packages: {' '.join(new)}", file=sys.stderr)
    if upgraded:
        print(
            f"and must upgrade {len(upgraded)} installed packages that they depend on: "
            f"{' '.join(upgraded)}",
            file=sys.stderr,
        )
    sh(
        "apt-get", "install", "-y", "-qq", "--no-install-recommends", "--no-upgrade",
        *packages, env=env,
    )


def ensure_chromium() -> None:
    """Install Debian's Chromium for the browser tests when it is missing: say first what will be
    installed and upgraded, install without recommended extras, and upgrade nothing unrelated."""
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(
            "warning: /usr/bin/chromium is missing; browser tests will fail "
            "(install Debian's chromium package: apt-get install --no-install-recommends chromium)",
            file=sys.stderr,
        )
        return
    apt_install(
        BROWSER_PACKAGES,
        "Browser tests need Debian's Chromium at /usr/bin/chromium, which is missing",
    )


POSTGRES_PACKAGES = ("postgresql",)
POSTGRES_URL_ENV = "PARAGON_TEST_POSTGRES_URL"  # read by paragon.ops.testing


def want_postgres() -> bool:
    """PARAGON_TEST_POSTGRES=1 or 0 decides; unset: yes when root on Debian (as in CI)."""
    flag = os.environ.get("PARAGON_TEST_POSTGRES", "").strip()
    if flag:
        return flag not in ("0", "no", "false")
    return os.geteuid() == 0 and Path("/etc/debian_version").exists()


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin directory (Debian's layout)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    return found[-1].parent if found else None


def ensure_postgres() -> Path | None:
    """Install Debian's PostgreSQL server when it is missing: say first what will be installed
    and upgraded, install without recommended extras, and upgrade nothing unrelated."""
    bindir = postgres_bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(
            "warning: PostgreSQL is not installed; the operational-store tests run on SQLite only "
            "(install Debian's postgresql package: apt-get install --no-install-recommends "
            "postgresql)",
            file=sys.stderr,
        )
        return None
    apt_install(
        POSTGRES_PACKAGES,
        "The operational-store tests need a PostgreSQL server, which is missing",
    )
    return postgres_bindir()


@contextmanager
def throwaway_postgres(bindir: Path) -> Iterator[str]:
    """A PostgreSQL cluster in a new temporary directory, listening only on a Unix socket there,
    with trust authentication for the user ``paragon``; yields its URL, then stops and deletes
    it. As root the server runs as the postgres user (PostgreSQL refuses to run as root)."""
    folder = Path(tempfile.mkdtemp(prefix="paragon-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    print(f"Starting a throwaway PostgreSQL cluster in {folder}", file=sys.stderr, flush=True)
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "paragon",
                    "-A", "trust", "-E", "UTF8", "--no-sync"],
                   check=True, stdout=subprocess.DEVNULL)
    options = (f"-k {folder} -c listen_addresses='' -c fsync=off -c max_connections=300 "
               "-c synchronous_commit=off")
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l",
                    str(folder / "server.log"), "-o", options, "-w", "start"],
                   check=True, stdout=subprocess.DEVNULL)
    try:
        yield f"postgresql://paragon@/postgres?host={folder}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "stop"], check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


def run_tests(extra: list[str]) -> None:
    """The whole suite with the operational store on SQLite and, when wanted (want_postgres),
    at the same time, every test that opens the operational store (``-m ops_store``: the modules
    of OPS_STORE_MODULES in tests/conftest.py, a list its guard keeps true) with every store on a
    throwaway PostgreSQL server. Each stage has its own temporary folder; the PostgreSQL stage's
    output is shown when both have finished."""
    bindir = ensure_postgres() if want_postgres() else None
    if bindir is None:
        os.execv(str(BIN / "pytest"), [str(BIN / "pytest"), *extra])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop and remove the cluster
    work = Path(tempfile.mkdtemp(prefix="paragon-test-"))
    try:
        with throwaway_postgres(bindir) as url:
            started = time.monotonic()
            print("+ pytest -m ops_store (operational store on PostgreSQL; output below when "
                  "done), and at the same time:", file=sys.stderr, flush=True)
            with open(work / "postgres.log", "w+", encoding="utf-8") as log:
                on_postgres = subprocess.Popen(
                    [str(BIN / "pytest"), "-p", "no:cacheprovider", "--basetemp",
                     str(work / "postgres"), *extra, "-m", "ops_store"],
                    cwd=ROOT, env={**os.environ, POSTGRES_URL_ENV: url},
                    stdout=log, stderr=subprocess.STDOUT)
                print("+ pytest (operational store on SQLite)", file=sys.stderr, flush=True)
                on_sqlite = subprocess.run([str(BIN / "pytest"), "--basetemp",
                                            str(work / "sqlite"), *extra], cwd=ROOT).returncode
                sqlite_minutes = (time.monotonic() - started) / 60
                postgres_status = on_postgres.wait()
                postgres_minutes = (time.monotonic() - started) / 60
                log.seek(0)
                print("\n===== operational store on PostgreSQL (pytest -m ops_store) =====",
                      flush=True)
                shutil.copyfileobj(log, sys.stdout)
            print(f"SQLite stage (all selected tests): {sqlite_minutes:.1f} min, exit {on_sqlite}; "
                  f"PostgreSQL stage (-m ops_store): {postgres_minutes:.1f} min, exit "
                  f"{postgres_status}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(on_sqlite or postgres_status)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in ("demo", "test"):
        sys.exit(__doc__)
    command, extra = sys.argv[1], sys.argv[2:]
    setup()
    if command == "demo":
        os.execv(str(BIN / "paragon"), [str(BIN / "paragon"), "demo", *extra])
    ensure_chromium()
    sh(BIN / "ruff", "check")
    sh(BIN / "mypy")
    run_tests(extra)


if __name__ == "__main__":
    main()
