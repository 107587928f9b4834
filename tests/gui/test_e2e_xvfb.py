"""End to end: the real application on a real X server (Xvfb), live data on every chart.

The test starts its own Xvfb on a free display, launches ``python -m console`` as
an operator would (isolated config and data directories), waits for the app's
status report to show points on the CPU, memory, network and disk charts, takes
a screenshot of the display, then stops the app with SIGTERM and checks it
exited cleanly and stored its samples.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CHARTS = ("cpu", "memory", "network", "disk")
START_TIMEOUT_S = 10.0
DATA_TIMEOUT_S = 45.0
EXIT_TIMEOUT_S = 15.0


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (bootstrap.py installs it)")
    read_fd, write_fd = os.pipe()
    # -displayfd: Xvfb picks a free display number itself and writes it once it is
    # ready for connections, so there is no race with other engineers' servers.
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], START_TIMEOUT_S)
        number = os.read(read_fd, 32).decode().strip() if ready else ""
        if not number:
            pytest.fail(f"Xvfb did not start within {START_TIMEOUT_S:.0f} s")
        display = f":{number}"
        _wait_for_connections(display)
        yield display
    finally:
        os.close(read_fd)
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


def _wait_for_connections(display: str) -> None:
    if shutil.which("xdpyinfo") is None:
        return  # -displayfd already said it is ready
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["xdpyinfo", "-display", display], capture_output=True, check=False, timeout=5
        )
        if probe.returncode == 0:
            return
        time.sleep(0.1)
    pytest.fail(f"Xvfb on {display} does not accept connections")


def _read_report(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _distinct_colours(png: Path) -> int:
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert not image.isNull(), f"{png} is not a readable image"
    colours = set()
    for y in range(0, image.height(), 7):
        for x in range(0, image.width(), 7):
            colours.add(image.pixel(x, y))
    return len(colours)


def test_console_draws_live_data_on_a_real_x_server(
    xvfb_display: str, tmp_path: Path, artifacts_dir: Path
) -> None:
    if shutil.which("import") is None:
        pytest.skip("imagemagick's import is not installed (bootstrap.py installs it)")
    report = tmp_path / "status.json"
    data_dir = tmp_path / "data"
    env = dict(
        os.environ,
        DISPLAY=xvfb_display,
        QT_QPA_PLATFORM="xcb",
        HEADROOM_CONFIG_DIR=str(tmp_path / "config"),
        HEADROOM_DATA_DIR=str(data_dir),
        HEADROOM_E2E_REPORT=str(report),
    )
    log = (tmp_path / "app.log").open("w")
    app = subprocess.Popen(
        [sys.executable, "-m", "console", "--interval", "0.5"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + DATA_TIMEOUT_S
        status: dict = {}
        while time.monotonic() < deadline and app.poll() is None:
            status = _read_report(report)
            points = status.get("points", {})
            if all(points.get(chart, 0) >= 3 for chart in CHARTS):
                break
            time.sleep(0.25)
        assert app.poll() is None, f"the console exited early: {(tmp_path / 'app.log').read_text()}"
        points = status.get("points", {})
        assert all(points.get(chart, 0) >= 3 for chart in CHARTS), f"charts not filled: {status}"

        screenshot = artifacts_dir / "console-e2e.png"
        subprocess.run(
            ["import", "-display", xvfb_display, "-window", "root", str(screenshot)],
            check=True,
            timeout=30,
        )
        assert screenshot.stat().st_size > 10_000
        assert _distinct_colours(screenshot) > 20, "the screenshot is (nearly) one colour"

        app.send_signal(signal.SIGTERM)
        assert app.wait(EXIT_TIMEOUT_S) == 0, (tmp_path / "app.log").read_text()
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)
        log.close()

    from connectors.store import MetricStore

    with MetricStore(data_dir / "metrics.sqlite", readonly=True) as store:
        assert "cpu.percent" in {key.metric for key in store.series()}
        host = store.hosts()[0]
        stored = store.query(host, "cpu.percent", 0, time.time() + 60)
    assert len(stored.timestamps) >= 3
    assert "Traceback" not in (tmp_path / "app.log").read_text()
