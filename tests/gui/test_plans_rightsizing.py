"""Rightsizing suggestions come with each forecast cycle and are listed in the Plans tab."""

from __future__ import annotations

import math

import numpy as np

from console.plans.controller import RIGHTSIZING_DAYS
from console.plans.rightsizing_view import RightsizingView
from console.plans.targets import TargetConfig
from tests.gui.test_plans_support import first_cycle, make_rig


def test_an_oversized_target_gets_a_smaller_size_with_its_saving(qtbot, tmp_path):
    # One unit serves 1,000 req/s: the demo's 8 units are far more than its ~1.4k peak.
    rig = make_rig(qtbot, tmp_path, TargetConfig(name="demo", per_unit=1000.0))
    first_cycle(qtbot, rig)
    cycle = rig.controller.cycles["demo"]
    suggestion = cycle.rightsizing
    assert suggestion is not None
    peak = float(np.quantile(cycle.history["demand"].to_numpy() / 1000.0, 0.99))
    assert suggestion.current == 8
    assert suggestion.suggested == max(1, math.ceil(peak * 1.1))
    assert suggestion.saving_per_hour == (8 - suggestion.suggested) * 0.20

    view = RightsizingView(RIGHTSIZING_DAYS)
    qtbot.addWidget(view)
    view.show_suggestions({"demo": suggestion, "busy": None}, checked=2)
    assert view.table.rowCount() == 1
    assert view.table.item(0, 0).text() == "demo"
    assert view.table.item(0, 3).text() == f"{suggestion.suggested} units"
    assert "1 of 2 targets" in view.summary.text()


def test_a_busy_target_is_left_alone_and_the_view_says_so(qtbot, tmp_path):
    rig = make_rig(qtbot, tmp_path, TargetConfig(name="demo"))  # 100 req/s per unit: busy
    first_cycle(qtbot, rig)
    assert rig.controller.cycles["demo"].rightsizing is None
    view = RightsizingView(RIGHTSIZING_DAYS)
    qtbot.addWidget(view)
    view.show_suggestions({"demo": None}, checked=1)
    assert view.table.rowCount() == 0
    assert "Nothing to rightsize" in view.summary.text()
