#!/usr/bin/env python3
"""Set up what is missing, then launch the console or run the test suite.

    python3 bootstrap.py console [headroom args...]   # install, then open the console
    python3 bootstrap.py test    [pytest args...]     # install everything, then run all tests

Needs only python3 (3.11+) and, for the Debian packages Qt needs, root or sudo.
Everything Python goes into a project-local virtual environment (.venv/); a stamp
file makes the second run skip the install when nothing changed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".bootstrap-stamp"

# What Qt needs to draw offscreen, and on a real (or virtual) X server.
QT_RUNTIME = [
    "libglib2.0-0",
    "libegl1",
    "libgl1",
    "libx11-6",
    "libfontconfig1",
    "libfreetype6",
    "libxkbcommon0",
    "libdbus-1-3",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-render-util0",
    "libxcb-render0",
    "libxcb-shape0",
    "libxcb-util1",
    "libxcb-xkb1",
    "libxkbcommon-x11-0",
    "fonts-dejavu-core",
]
# Real servers and tools the test suite starts by itself.
TEST_SERVERS = [
    "xvfb",
    "xauth",
    "x11-utils",
    "openssh-server",
    "openssh-client",
    "prometheus",
    "prometheus-node-exporter",
    "dbus",
    "desktop-file-utils",
    "imagemagick",
]


def log(message: str) -> None:
    print(f"[bootstrap] {message}", flush=True)


def missing_debs(packages: list[str]) -> list[str]:
    if not shutil.which("dpkg-query"):
        return []  # not a Debian system: the operator installs Qt's libraries by hand
    missing = []
    for name in packages:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if "install ok installed" not in result.stdout:
            missing.append(name)
    return missing


def ensure_debs(packages: list[str]) -> None:
    missing = missing_debs(packages)
    if not missing:
        return
    prefix: list[str] = []
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            sys.exit(f"[bootstrap] need root or sudo to install: {' '.join(missing)}")
        prefix = ["sudo"]
    log(f"installing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [*prefix, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv(extras: str) -> None:
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + extras.encode() + sys.version.encode()
    ).hexdigest()
    if venv_python().exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not venv_python().exists():
        log(f"creating virtual environment in {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    log(f"installing Python packages (.[{extras}])")
    pip = [str(venv_python()), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[{extras}]"], check=True)
    STAMP.write_text(wanted)


def console(args: list[str]) -> int:
    ensure_debs(QT_RUNTIME)
    ensure_venv("test")
    headroom = VENV / "bin" / "headroom"
    os.execv(str(headroom), [str(headroom), *args])
    return 0  # not reached


def test(args: list[str]) -> int:
    ensure_debs(QT_RUNTIME + TEST_SERVERS)
    ensure_venv("test")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    command = [str(venv_python()), "-m", "pytest", *args]
    log(" ".join(command))
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - bootstrap may run on an older python3
        sys.exit("Headroom needs Python 3.11 or newer")
    if not argv or argv[0] not in {"console", "test"}:
        print(__doc__)
        return 2
    action, rest = argv[0], argv[1:]
    return console(rest) if action == "console" else test(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
