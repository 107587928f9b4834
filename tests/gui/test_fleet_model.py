"""The fleet table with 1,000 synthetic hosts: batching, sorting, filtering, grouping."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from console.fleet.fleet_model import (
    ANOMALY,
    COLUMNS,
    CPU,
    HOST,
    HOST_ROLE,
    MEM,
    PEAK,
    RX,
    SPARK,
    SPARK_ROLE,
    FleetModel,
)
from console.fleet.fleet_state import ConnectionStatus, FleetState
from console.fleet.fleet_view import FleetView
from models.samples import Sample

HOSTS = 1000


def batch(hosts: range, t: float, cpu_of=lambda i: float(i % 100)) -> list[Sample]:
    samples = []
    for i in hosts:
        host = f"h{i:04d}"
        samples += [
            Sample(t, "sim", host, "cpu.percent", cpu_of(i)),
            Sample(t, "sim", host, "mem.used.percent", 50.0),
            Sample(t, "sim", host, "net.rx.bytes:eth0", 1000.0),
            Sample(t, "sim", host, "net.rx.bytes:eth1", 500.0),
            Sample(t, "sim", host, "net.rx.bytes:lo", 1e9),  # loopback never counts
            Sample(t, "sim", host, "disk.used.percent:/", 10.0),
            Sample(t, "sim", host, "disk.used.percent:/home", 70.0),
        ]
    return samples


@pytest.fixture
def fleet(qtbot):
    state = FleetState(window_s=600, resolution_s=1.0)
    model = FleetModel(state, refresh_hz=4)
    model.timer.stop()  # the tests drive refresh() themselves
    view = FleetView(model)
    qtbot.addWidget(view)
    return state, model, view


def test_values_are_folded_per_host(fleet):
    state, model, _ = fleet
    state.ingest("c", batch(range(3), 1000.0))
    model.refresh()
    assert model.rowCount() == 3
    row = state.hosts.index("h0002")
    assert model.index(model.visible_hosts().index("h0002"), CPU).data() == "2.0"
    assert state.latest[row, 2] == 1500.0  # eth0 + eth1, not lo
    assert state.latest[row, 5] == 70.0  # the fullest filesystem


def test_updates_arrive_in_batches_with_one_signal_per_run(fleet, qtbot):
    state, model, _ = fleet
    signals: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, _roles=(): signals.append((a.row(), b.row())))
    for second in range(5):  # five polls of the whole fleet before one repaint
        state.ingest("c", batch(range(HOSTS), 1000.0 + second))
    inserted: list[int] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append(last - first + 1))
    assert model.refresh() == HOSTS
    assert inserted == [HOSTS]  # one insertion for all new hosts
    assert signals == [(0, HOSTS - 1)]  # one contiguous range, not 5,000 cell updates
    signals.clear()
    state.ingest("c", batch(range(10, 20), 1006.0) + batch(range(500, 501), 1006.0))
    model.refresh()
    shown = model.visible_hosts()
    runs = [[shown[r] for r in range(a, b + 1)] for a, b in signals]
    assert sorted(sum(runs, [])) == [f"h{i:04d}" for i in [*range(10, 20), 500]]
    assert len(signals) == 2  # still one signal per contiguous run
    assert model.refresh() == 0  # nothing new: nothing repainted


def test_sort_filter_and_group(fleet):
    state, model, view = fleet
    state.ingest("c", batch(range(HOSTS), 1000.0, cpu_of=lambda i: float((i * 37) % 1000) / 10))
    state.ingest("other", [Sample(1000.0, "prometheus", "prom-a", "cpu.percent", 99.95)])
    state.set_connection_tags("c", ("web",))
    model.refresh()
    view.table.sortByColumn(CPU, Qt.SortOrder.DescendingOrder)
    order = view.visible_hosts()
    cpu = [state.latest[state.hosts.index(h), 0] for h in order]
    assert cpu == sorted(cpu, reverse=True)
    assert order[0] == "prom-a"

    view.set_filter("h09")
    assert sorted(view.visible_hosts()) == [f"h{i:04d}" for i in range(900, 1000)]
    view.set_filter("prometheus")  # the filter matches the source too
    assert view.visible_hosts() == ["prom-a"]
    view.set_filter("")

    view.set_group_by("source")
    view.table.sortByColumn(CPU, Qt.SortOrder.AscendingOrder)
    order = view.visible_hosts()
    sources = [state.sources[state.hosts.index(h)] for h in order]
    assert sources == sorted(sources)  # grouped: every prometheus row together
    sim_cpu = [state.latest[state.hosts.index(h), 0] for h in order if h != "prom-a"]
    assert sim_cpu == sorted(sim_cpu)  # and sorted within the group
    view.set_group_by("tag")
    tags = [model.group_of(state.hosts.index(h)) for h in view.visible_hosts()]
    assert tags == sorted(tags) and set(tags) == {"(untagged)", "web"}


def test_status_sparkline_and_tooltips(fleet):
    state, model, view = fleet
    for second in range(40):
        state.ingest("c", batch(range(2), 2000.0 + second, cpu_of=lambda i, s=second: 20.0 + s))
    state.ingest("c", batch(range(1), 2040.0, cpu_of=lambda i: 95.0))
    state.set_status("c", ConnectionStatus("refused", "connection refused", 1e18))
    # What the insights worker publishes (tests/gui/test_fleet_insights.py runs the engines).
    row = state.hosts.index("h0000")
    state.set_anomalies(np.array([row]), np.array([True]), ["CombinedDetector on CPU: spike"])
    state.set_forecasts(np.array([row]), np.array([71.6]), ["profile_trend forecast of CPU"])
    model.refresh()
    shown = model.visible_hosts().index("h0000")
    spark = model.index(shown, SPARK).data(SPARK_ROLE)
    assert np.isfinite(spark).sum() == 41 and spark[-1] == 95.0
    assert "refused · retrying in" in model.index(shown, 3).data()
    assert model.index(shown, 3).data(Qt.ItemDataRole.ForegroundRole) is not None  # in red
    assert model.index(shown, HOST).data(HOST_ROLE) == "h0000"
    assert model.index(shown, MEM).data() == "50.0"
    assert model.index(shown, ANOMALY).data() == "⚠ anomaly"
    assert model.index(shown, ANOMALY).data(Qt.ItemDataRole.ToolTipRole).startswith("Combined")
    assert model.index(shown, PEAK).data() == "72 %"
    assert "profile_trend" in model.index(shown, PEAK).data(Qt.ItemDataRole.ToolTipRole)
    other = model.visible_hosts().index("h0001")
    assert model.index(other, ANOMALY).data() == "" and model.index(other, PEAK).data() == ""
    # A later result replaces the cell at the next refresh (the formatted cells are cached).
    state.set_anomalies(np.array([row]), np.array([False]), [""])
    model.refresh()
    assert model.index(shown, ANOMALY).data() == ""


def test_painting_asks_the_model_once_per_cell(fleet, qtbot):
    """Painting is the GUI thread's main cost: every C++ -> Python call counts."""
    state, model, view = fleet
    state.ingest("c", batch(range(HOSTS), 1000.0))
    model.refresh()
    view.resize(1200, 600)
    view.show()
    qtbot.waitExposed(view)
    calls = {"data": 0, "multiData": 0, "cell_at": 0}

    def counting(name):
        original = getattr(model, name)

        def call(*args):
            calls[name] += 1
            return original(*args)

        return call

    for name in calls:  # instance attributes: Qt's virtual calls go through them too
        setattr(model, name, counting(name))
    state.ingest("c", batch(range(HOSTS), 1001.0))
    model.refresh()
    qtbot.wait(20)  # let the view lay itself out after the refresh's signals
    view.table.viewport().repaint()
    rows_on_screen = view.table.rowAt(view.table.viewport().height() - 1) + 1
    assert rows_on_screen > 10
    # One Python call per painted text cell, none through data()/multiData's role loop.
    assert calls["data"] == calls["multiData"] == 0
    assert calls["cell_at"] >= rows_on_screen * (len(COLUMNS) - 2)
    image = view.table.viewport().grab().toImage()
    assert not image.isNull()
    shown = view.visible_hosts()[0]
    assert model.cell_at(0, HOST)[Qt.ItemDataRole.DisplayRole] == shown


def test_selection_emits_host(fleet, qtbot):
    state, model, view = fleet
    state.ingest("c", batch(range(5), 1000.0))
    model.refresh()
    with qtbot.waitSignal(view.host_selected, timeout=1000) as signal:
        view.table.selectRow(3)
    assert signal.args == [view.visible_hosts()[3]]


def test_history_memory_for_a_day_at_10s(fleet):
    state = FleetState(window_s=86400, resolution_s=10.0)
    state.ingest("c", batch(range(HOSTS), 1000.0))
    # 1,000 hosts x 8 metrics x 8,640 slots of float32, plus small per-host columns.
    assert state.memory_bytes() < 300 * 2**20


def test_every_column_fits_the_default_window(fleet, qtbot):
    """The Fleet tab of a 1280-px window (Hosts dock open) shows every column unscrolled,
    with room for a fast link's rate."""
    state, model, view = fleet
    state.ingest("c", batch(range(3), 1000.0))
    model.refresh()
    view.resize(1280 - 170, 400)
    view.show()
    qtbot.waitExposed(view)
    header = view.table.horizontalHeader()
    assert header.length() <= view.table.viewport().width()
    rx = view.table.fontMetrics().horizontalAdvance("806.4 MB/s")
    assert header.sectionSize(RX) > rx
