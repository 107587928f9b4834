"""Connection manager round trip, ssh-config import, the host-key asker's threading, and
the Fleet tab installed in the main window (with a screenshot of ~50 hosts)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QDialogButtonBox, QDockWidget

from connectors.errors import HostKeyMismatch
from console.fleet.connection_manager import ConnectionManager
from console.fleet.connections import (
    Connection,
    ConnectionBook,
    ConnectionError_,
    connections_path,
    load_book,
)
from console.fleet.fleet_state import ConnectionStatus, FleetState
from console.fleet.hostkey_dialog import HostKeyAsker, mismatch_text
from models.samples import Sample


@pytest.fixture
def manager(qtbot):
    pool = QThreadPool()
    made = ConnectionManager(ConnectionBook(), FleetState(60, 1.0), lambda c: None, pool)
    qtbot.addWidget(made)
    yield made
    made.timer.stop()
    pool.waitForDone(5000)


def fill_and_save(qtbot, dialog, **fields):
    qtbot.addWidget(dialog)
    for name, value in fields.items():
        if name == "kind":
            dialog.kind_combo.setCurrentText(value)
        else:
            getattr(dialog, f"{name}_edit").setText(value)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()


def test_add_edit_remove_round_trip_is_saved_without_secrets(qtbot, manager):
    changes: list[list[Connection]] = []
    manager.changed.connect(changes.append)
    fill_and_save(
        qtbot,
        manager.add(),
        name="db-1",
        kind="ssh",
        address="db1.example:2222",
        user="ops",
        tags="db, prod",
        password="hunter2-not-saved",
    )
    fill_and_save(
        qtbot,
        manager.add(),
        name="prom",
        kind="prometheus",
        address="http://prom:9090",
        options="job=node",
    )
    saved = load_book()
    assert [c.name for c in saved.connections] == ["db-1", "prom"]
    assert saved.get("db-1").tags == ("db", "prod")
    assert saved.get("db-1").uri() == "ssh://ops@db1.example:2222"
    assert saved.get("prom").uri() == "prometheus+http://prom:9090?job=node"
    assert "hunter2" not in connections_path().read_text()
    assert json.loads(connections_path().read_text())["schema_version"] == 1

    manager.select("db-1")
    dialog = manager.edit_selected()
    assert dialog.address_edit.text() == "db1.example:2222"
    fill_and_save(qtbot, dialog, name="db-primary", group="databases")
    assert [c.name for c in load_book().connections] == ["db-primary", "prom"]
    assert load_book().get("db-primary").group == "databases"
    assert manager.model.item(0, 5).text() == "not polled yet"

    manager.select("prom")
    assert manager.remove_selected()
    assert [c.name for c in load_book().connections] == ["db-primary"]
    assert [c.name for c in changes[-1]] == ["db-primary"]


def test_invalid_input_is_refused_with_the_field_named(qtbot, manager):
    dialog = manager.add()
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("x")
    dialog.address_edit.setText("ops@host")  # a user smuggled into the address
    dialog.save()
    assert "address" in dialog.status_label.text()
    assert manager.book.connections == []
    with pytest.raises(ConnectionError_) as error:
        ConnectionBook([Connection("a", "ssh", "h")]).put(Connection("a", "telnet", "h"))
    assert error.value.field_name == "kind"


def test_import_from_ssh_config(manager, tmp_path):
    config = tmp_path / "ssh_config"
    config.write_text(
        "Host web-1\n  HostName 10.0.0.5\n  User deploy\n"
        "Host bastion\n  HostName 10.0.0.1\n"
        "Host *.internal\n  User ops\n"
    )
    assert manager.import_ssh(config) == ["bastion", "web-1"]
    assert manager.import_ssh(config) == []  # twice imports nothing twice
    web = load_book().get("web-1")
    assert web.user == "deploy" and web.kind == "ssh" and web.address == "web-1"


def test_host_key_question_is_asked_on_the_gui_thread_and_times_out(qtbot):
    seen: list[tuple[str, bool]] = []

    def prompt(host, key_type, fingerprint):
        seen.append((host, threading.current_thread() is threading.main_thread()))
        return host == "trusted"

    asker = HostKeyAsker(prompt=prompt, timeout_s=5.0)
    answers: dict[str, bool] = {}

    def worker(host):
        answers[host] = asker.decide(host, "ssh-ed25519", "SHA256:abc")

    threads = [threading.Thread(target=worker, args=(h,)) for h in ("trusted", "other")]
    for thread in threads:
        thread.start()
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=5000)
    assert answers == {"trusted": True, "other": False}
    assert all(on_gui for _, on_gui in seen)

    silent = HostKeyAsker(prompt=lambda *_: True, timeout_s=0.2)  # the GUI never answers
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(silent.decide("h", "t", "f")))
    thread.start()
    thread.join(5)  # no event loop runs meanwhile: the question stays unanswered
    assert result == [False]
    qtbot.wait(50)  # let the late question be delivered, so nothing is left pending

    text = mismatch_text(HostKeyMismatch("db1:22", "ssh-ed25519", "SHA256:old", "SHA256:new"))
    assert "db1:22" in text and "SHA256:old" in text and "SHA256:new" in text


def test_fleet_tab_in_main_window_with_50_hosts(qtbot, make_window, artifacts_dir):
    window = make_window()  # the main window installs the fleet itself
    assert "Fleet" in [window.tabs.tabText(i) for i in range(window.tabs.count())]
    fleet = window.fleet
    state = fleet.state
    window.show()
    window.show_workspace(fleet.view)
    # An empty fleet says where hosts come from, and the button opens that panel.
    assert fleet.view.empty_hint.isVisible()
    dock = window.findChild(QDockWidget, "dock-connections")
    assert not dock.isVisible()
    fleet.view.connections_button.click()
    assert dock.isVisible()
    now = time.time()
    # 15 min at 10 s: the detectors warm up on 5 min; the slot after the spike completes it.
    for second in range(0, 910, 10):
        samples = []
        for i in range(50):
            cpu = 30 + 25 * ((i * 7 + second) % 11) / 11 + (65 if i == 7 and second == 890 else 0)
            host = f"node-{i:02d}.{['eu', 'us', 'ap'][i % 3]}"
            samples += [
                Sample(
                    now - 900 + second, "ssh" if i % 4 else "prometheus", host, "cpu.percent", cpu
                ),
                Sample(now - 900 + second, "ssh", host, "mem.used.percent", 40 + i % 30),
                Sample(now - 900 + second, "ssh", host, "net.rx.bytes:eth0", 1000.0 * (i + 1) ** 2),
                Sample(now - 900 + second, "ssh", host, "net.tx.bytes:eth0", 300.0 * (i + 1) ** 2),
            ]
        state.ingest(f"rack-{'ab'[second % 1]}", samples)
    state.set_status("rack-a", ConnectionStatus("connected"))
    state.declare("dead", "db-9.eu", "ssh")
    state.set_status(
        "dead", ConnectionStatus("refused", "connection refused", time.monotonic() + 9)
    )
    fleet.insights.tick()  # the real detectors and forecasts, in their worker and child process
    window.show_workspace(fleet.view)
    window.resize(1400, 900)
    window.show()
    qtbot.waitUntil(lambda: fleet.model.rowCount() == 51, timeout=5000)
    assert not fleet.view.empty_hint.isVisible()
    fleet.view.table.selectRow(3)
    assert window.live.host == fleet.view.visible_hosts()[3]  # selection opens its charts

    def anomaly_flag() -> str:
        row = fleet.view.visible_hosts().index("node-07.us")  # rows re-sort on refresh
        return fleet.model.index(row, 9).data()

    qtbot.waitUntil(lambda: anomaly_flag() == "⚠ anomaly", timeout=60_000)
    qtbot.waitUntil(lambda: not fleet.insights.busy, timeout=60_000)
    fleet.model.refresh()
    peaks = [fleet.model.index(row, 10).data() for row in range(fleet.model.rowCount())]
    assert sum(peak.endswith(" %") for peak in peaks) == 50  # every host but the dead one
    flagged = [
        h
        for h in fleet.view.visible_hosts()
        if h != "db-9.eu" and fleet.model.index(fleet.view.visible_hosts().index(h), 9).data()
    ]
    assert flagged == ["node-07.us"]
    qtbot.wait(100)
    path = artifacts_dir / "fleet.png"
    assert fleet.view.grab().save(str(path))
    assert path.stat().st_size > 10_000
