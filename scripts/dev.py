#!/usr/bin/env python3
"""Set up Paragon from a fresh clone and run the demo or the whole test suite.

    python3 scripts/dev.py demo    # set up, build the synthetic demo warehouse, serve it
    python3 scripts/dev.py test    # set up, then ruff, mypy and the whole pytest suite

Needs only Python 3.11+. It makes .venv, installs uv into it from PyPI, installs the locked
dependencies (uv.lock) and runs the command. Browser tests need Debian's Chromium at
/usr/bin/chromium: when it is missing and this runs as root on Debian, it is installed with apt-get.
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


def ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        sh("apt-get", "update", "-qq", env=env)
        sh("apt-get", "install", "-y", "-qq", "chromium", "fonts-dejavu-core", env=env)
    else:
        print(
            "warning: /usr/bin/chromium is missing; browser tests will fail "
            "(install Debian's chromium package)",
            file=sys.stderr,
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
