"""Guard for the PySide6-Essentials pin (see pyproject.toml).

PySide6 6.12.0 aborts Python 3.11 after ~2,000 pyqtgraph ``setData`` calls. The
loop runs in a subprocess so an abort shows up as a failed test with the exit
signal, not as a dead test run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

CALLS = 5000

SCRIPT = textwrap.dedent(
    f"""
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    plot = pg.PlotWidget()
    item = pg.PlotDataItem()
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    plot.addItem(item)
    x = np.arange(300, dtype=float)
    for i in range({CALLS}):
        item.setData(x, np.sin(x / 10 + i))
        if i % 250 == 0:
            app.processEvents()
    assert len(item.getOriginalDataset()[0]) == 300
    print("ok", {CALLS})
    """
)


def test_thousands_of_setdata_calls_do_not_abort() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=240, env=env
    )
    if result.returncode < 0:
        name = signal.Signals(-result.returncode).name
        raise AssertionError(f"subprocess killed by {name}: {result.stderr[-2000:]}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"ok {CALLS}" in result.stdout
