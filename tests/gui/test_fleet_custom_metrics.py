"""Operator-defined metrics on an SSH connection: entered in the dialog, saved (no
secrets), and collected from the real loopback sshd by the fleet poller."""

from __future__ import annotations

from PySide6.QtCore import QThreadPool

from console.fleet.connection_dialog import ConnectionDialog
from console.fleet.connections import ConnectionBook, load_book, save_book
from console.fleet.fleet_state import FleetState
from console.fleet.poller import FleetPoller
from console.fleet.secrets import store_secret
from tests.gui.test_fleet_sources import ssh_connection


def test_custom_metrics_are_entered_saved_and_collected(qtbot, tmp_path, sshd_user, sshd_server):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd_server.known_hosts_line)
    state = FleetState(window_s=60, resolution_s=1.0)
    poller = FleetPoller(state, timeout_s=3.0, known_hosts=known_hosts)
    pool = QThreadPool()
    dialog = ConnectionDialog(poller.open_collector, pool, ssh_connection(sshd_user, sshd_server))
    qtbot.addWidget(dialog)
    dialog.custom_edit.setPlainText(
        "answer=echo 42\n\nrunning:counter=cut -d ' ' -f1 /proc/uptime\n"
    )
    dialog.save()
    connection = dialog.result_connection
    assert connection is not None
    assert connection.custom == ("answer=echo 42", "running:counter=cut -d ' ' -f1 /proc/uptime")

    book = ConnectionBook([connection])
    save_book(book)
    assert load_book().get(connection.name).custom == connection.custom  # survives a restart

    store_secret(connection, sshd_user.password)
    collector = poller.open_collector(connection)
    try:
        first = {s.metric: s.value for s in collector.collect()}
        second = {s.metric: s.value for s in collector.collect()}
    finally:
        collector.close()
    assert first["custom.answer"] == 42.0
    assert "custom.running" in second  # a counter: a rate from the second reading on


def test_bad_or_misplaced_definitions_are_refused_with_the_field_named(qtbot):
    dialog = ConnectionDialog(lambda c: None, QThreadPool())
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("web")
    dialog.address_edit.setText("web-1")
    dialog.custom_edit.setPlainText("Queue Length=echo 1")
    dialog.save()
    assert dialog.result_connection is None
    assert "custom" in dialog.status_label.text() and "lower-case" in dialog.status_label.text()
    dialog.kind_combo.setCurrentText("prometheus")
    assert not dialog.custom_edit.isEnabled()  # commands only run over SSH
