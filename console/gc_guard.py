"""Run Python's cyclic garbage collector on the GUI thread only.

Left to itself, the collector runs in whichever thread happens to allocate when a
threshold is crossed, often a worker. If the garbage then includes a Qt object (a
closed dialog or window kept alive by a reference cycle), its C++ destructor runs
in that worker and takes Qt locks while the GUI thread holds the GIL and waits for
the same locks: the whole application freezes (seen in the test suite: a poller
thread parsing botocore JSON collected a QMenu). Disabling automatic collection and
collecting from a GUI-thread timer instead keeps every destructor on the GUI thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_INTERVAL_MS = 500  # well below the time garbage takes to matter


class GuiThreadCollector(QObject):
    """While alive, cyclic garbage is collected by a timer on the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_INTERVAL_MS)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    def collect_due(self) -> None:
        """Collect the generations whose allocation counts passed their threshold."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self.timer.stop()
        if self.was_enabled:
            gc.enable()
