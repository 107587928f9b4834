"""Start the Qt console: ``run_app(args) -> exit code``.

Also the hooks that packaging, tests and benchmarks use to look inside a running
console without a debugger:

* ``--smoke-test``: exit 0 once live samples are on the charts, 1 after a timeout;
* ``HEADROOM_E2E_REPORT=<file>``: write points per chart as JSON twice a second;
* ``HEADROOM_FIRST_PAINT_FILE=<file>``: write the wall-clock time of the first paint;
* ``HEADROOM_FIRST_FRAME_FILE=<file>``: write the time live data was first drawn.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QEvent, QObject, QSize, QSocketNotifier, QTimer
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication

from connectors.paths import default_store_path
from console import __version__
from console.cli.errors import UsageError
from console.gc_guard import GuiThreadCollector
from console.interpreter import configure_for_gui
from console.main_window import MainWindow
from console.settings import load_settings
from console.workers import one_line

log = logging.getLogger("console")

SMOKE_TIMEOUT_S = 20.0
SMOKE_CHARTS = ("cpu", "memory")  # present on every machine from the first sample
REPORT_INTERVAL_MS = 500


def run_app(args: argparse.Namespace) -> int:
    interval = getattr(args, "interval", None)
    if interval is not None and not 0.1 <= interval <= 3600:
        raise UsageError(f"--interval must be between 0.1 and 3600 seconds, got {interval:g}")
    _check_display()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("headroom")  # WM_CLASS: must match StartupWMClass in headroom.desktop
    app.setApplicationDisplayName("Headroom")
    app.setDesktopFileName("headroom")  # Wayland app id; lets the desktop find headroom.desktop
    app.setWindowIcon(_application_icon())
    app.setApplicationVersion(__version__)
    app.setOrganizationName("headroom")
    app.setFont(QFont("DejaVu Sans", 10))
    collector = GuiThreadCollector(app)  # Qt objects must never be freed by a worker's GC
    configure_for_gui()  # workers hand the GIL back to the GUI thread within 1 ms

    loaded = load_settings()
    settings = loaded.settings
    if interval is not None:
        settings.interval_s = float(interval)  # for this run only: not saved
    store = getattr(args, "store", None) or (
        Path(settings.store_path) if settings.store_path else default_store_path()
    )
    window = MainWindow(settings, Path(store), defer_charts=True)
    for message in loaded.messages:
        window.notifier.report("settings", message)
    _install_exception_hook(window)
    _install_signal_handlers(app, window)
    hooks: list[QObject] = []
    if first_paint := os.environ.get("HEADROOM_FIRST_PAINT_FILE"):
        hooks.append(FirstPaintProbe(window, Path(first_paint)))
    if first_frame := os.environ.get("HEADROOM_FIRST_FRAME_FILE"):
        hooks.append(FirstFrameProbe(window, Path(first_frame)))
    if report := os.environ.get("HEADROOM_E2E_REPORT"):
        hooks.append(StatusReporter(window, Path(report)))
    smoke = SmokeTest(window) if getattr(args, "smoke_test", False) else None
    window.show()
    code = app.exec()
    window.shutdown()
    collector.stop()
    if smoke is not None:
        return smoke.result(code)
    return code


ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"  # also valid when frozen


def _application_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        icon.addFile(str(ICONS / f"headroom-{size}.png"), QSize(size, size))
    return icon


def _check_display() -> None:
    """Without a display Qt aborts the process with a core dump; say it in one line instead."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UsageError(
            "no display: run it from a desktop session, set DISPLAY, "
            "or use QT_QPA_PLATFORM=offscreen for --smoke-test"
        )


class FirstPaintProbe(QObject):
    """Writes the time of the window's first paint event, for the startup benchmark."""

    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self.path = path
        self.window = window
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if watched is self.window and event.type() == QEvent.Type.Paint:
            self.window.removeEventFilter(self)
            _write_atomically(self.path, f"{time.time():.6f}\n")
        return False


class FirstFrameProbe(QObject):
    """Writes the time live data was first drawn on the charts, for the startup benchmark."""

    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self.path = path
        window.live.frame_drawn.connect(self._on_frame)
        self.done = False

    def _on_frame(self) -> None:
        if not self.done:
            self.done = True
            _write_atomically(self.path, f"{time.time():.6f}\n")


class StatusReporter(QObject):
    """Points per chart, as JSON, so an end-to-end test can see live data is drawn."""

    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self.window = window
        self.path = path
        self.timer = QTimer(self)
        self.timer.setInterval(REPORT_INTERVAL_MS)
        self.timer.timeout.connect(self.write)
        self.timer.start()

    def write(self) -> None:
        status = {
            "time": time.time(),
            "points": self.window.live.point_counts(),
            "samples": self.window.session.buffers.total_samples,
            "redraws": self.window.live.redraws,
            "store": str(self.window.session.store_path or ""),
            "last_error": self.window.status.last_error[1]
            if self.window.status.last_error
            else None,
        }
        _write_atomically(self.path, json.dumps(status))


class SmokeTest(QObject):
    """Quit with 0 once live data is drawn; quit with 1 and one line on stderr otherwise."""

    def __init__(self, window: MainWindow, timeout_s: float = SMOKE_TIMEOUT_S) -> None:
        super().__init__(window)
        self.window = window
        self.passed = False
        window.live.frame_drawn.connect(self._check)
        QTimer.singleShot(int(timeout_s * 1000), self._time_out)
        self.timeout_s = timeout_s

    def _check(self) -> None:
        counts = self.window.live.point_counts()
        if all(counts.get(key, 0) > 0 for key in SMOKE_CHARTS):
            self.passed = True
            self.window.close()

    def _time_out(self) -> None:
        if not self.passed:
            self.window.close()

    def result(self, code: int) -> int:
        if self.passed and code == 0:
            print("headroom: smoke test passed: live samples drawn", file=sys.stderr)
            return 0
        last = self.window.status.last_error
        reason = f" (last error: {last[1]})" if last else ""
        print(
            f"headroom: smoke test failed: no live samples drawn within {self.timeout_s:.0f} s{reason}",
            file=sys.stderr,
        )
        return 1


def _install_exception_hook(window: MainWindow) -> None:
    """An unexpected exception in a slot goes to the status bar and the log, not a traceback box."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, error, tb))
        window.notifier.report("console", f"unexpected error: {one_line(error)}")

    sys.excepthook = hook


def _install_signal_handlers(app: QApplication, window: MainWindow) -> None:
    """SIGTERM/SIGINT close the window cleanly (state saved, store flushed), then exit 0.

    Python only runs signal handlers when it gets control; the wakeup socket makes
    Qt's event loop hand it control as soon as a signal arrives.
    """
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def drain() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)

    notifier.activated.connect(drain)

    def on_signal(_number: int, _frame: object) -> None:
        window.close()
        app.quit()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    app._headroom_wakeup = (reader, writer, notifier)  # keep them alive with the app


def _write_atomically(path: Path, text: str) -> None:
    try:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as error:
        log.warning("cannot write %s: %s", path, error)
