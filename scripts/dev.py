#!/usr/bin/env python3
"""Set up Paragon from a fresh clone and run the demo or the whole test suite.

    python3 scripts/dev.py demo    # set up, build the synthetic demo warehouse, serve it
    python3 scripts/dev.py test    # set up, then ruff, mypy and the whole pytest suite

Needs only Python 3.11+. It makes .venv, installs uv into it from PyPI, installs the locked
dependencies (uv.lock) and runs the command. Browser tests need Debian's Chromium at
/usr/bin/chromium: when it is missing and this runs as root on Debian, it says what it will install
and then installs it with apt-get, without recommended packages and upgrading nothing unrelated.
Extra arguments go to `paragon demo` or to pytest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
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
    sh(BIN / "uv", "sync", "--frozen", "--quiet", env=env)


BROWSER_PACKAGES = ("chromium", "fonts-dejavu-core")


def _apt_plan(env: dict[str, str]) -> tuple[list[str], list[str]]:
    """What installing the browser packages would do, from apt-get's own simulation: the packages
    it would newly install and the installed packages it would have to upgrade (only those the
    browser's dependencies require: nothing else is ever upgraded)."""
    sim = subprocess.run(
        ["apt-get", "-s", "install", "--no-install-recommends", *BROWSER_PACKAGES],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    new, upgraded = [], []
    for line in sim.splitlines():
        if line.startswith("Inst "):
            name = line.split()[1]
            (upgraded if "[" in line.split(" (")[0] else new).append(name)
    return new, upgraded


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
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(
        "Browser tests need Debian's Chromium at /usr/bin/chromium, which is missing: "
        f"installing {' and '.join(BROWSER_PACKAGES)} with apt-get, without recommended packages.",
        file=sys.stderr,
    )
    sh("apt-get", "update", "-qq", env=env)
    new, upgraded = _apt_plan(env)
    print(f"apt-get will install {len(new)} packages: {' '.join(new)}", file=sys.stderr)
    if upgraded:
        print(
            f"and must upgrade {len(upgraded)} installed packages that they depend on: "
            f"{' '.join(upgraded)}",
            file=sys.stderr,
        )
    sh(
        "apt-get", "install", "-y", "-qq", "--no-install-recommends", "--no-upgrade",
        *BROWSER_PACKAGES, env=env,
    )


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
    os.execv(str(BIN / "pytest"), [str(BIN / "pytest"), *extra])


if __name__ == "__main__":
    main()
