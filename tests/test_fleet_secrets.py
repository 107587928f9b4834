"""After a session that stored an SSH and a Prometheus password through the UI, no file
under the config and data dirs, no log line and no export contains either secret."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QDialogButtonBox

from connectors.paths import config_dir, data_dir, default_store_path
from connectors.store import StoreWriter
from console.cli.main import main as cli_main
from console.fleet.connection_manager import ConnectionManager
from console.fleet.connections import ConnectionBook, load_book
from console.fleet.fleet_state import FleetState
from console.fleet.poller import FleetPoller


def add_through_dialog(qtbot, manager, name, kind, address, user, password, options=""):
    dialog = manager.add()
    qtbot.addWidget(dialog)
    dialog.name_edit.setText(name)
    dialog.kind_combo.setCurrentText(kind)
    dialog.address_edit.setText(address)
    dialog.user_edit.setText(user)
    dialog.options_edit.setText(options)
    dialog.password_edit.setText(password)
    buttons = dialog.findChild(QDialogButtonBox)
    buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert manager.book.get(name) is not None


def leaks(secrets: list[str], caplog_text: str, extra_files: list[Path]) -> list[str]:
    found = []
    needles = [s.encode() for s in secrets] + [base64.b64encode(s.encode()) for s in secrets]
    files = [p for root in (config_dir(), data_dir()) for p in root.rglob("*") if p.is_file()]
    for path in files + extra_files:
        content = path.read_bytes()
        found += [f"{path}: {n!r}" for n in needles if n in content]
    found += [f"log: {n!r}" for n in needles if n.decode() in caplog_text]
    return found


@pytest.mark.parametrize("keyring_backend", ["memory", "none"])
def test_no_secret_lands_in_files_logs_or_exports(
    qtbot, caplog, tmp_path, keyring_backend, sshd_user, sshd_server, prometheus_auth_server
):
    caplog.set_level(logging.DEBUG)
    if keyring_backend == "none":
        keyring.set_keyring(fail.Keyring())  # the conftest fixture restores its own afterwards
    known_hosts = config_dir() / "known_hosts"
    known_hosts.parent.mkdir(parents=True, exist_ok=True)
    known_hosts.write_text(sshd_server.known_hosts_line)
    prom = prometheus_auth_server
    state = FleetState(window_s=60, resolution_s=1.0)
    writer = StoreWriter(default_store_path())
    default_store_path().parent.mkdir(parents=True, exist_ok=True)
    writer.start()
    poller = FleetPoller(
        state, lambda: writer, interval_s=0.5, timeout_s=5.0, known_hosts=known_hosts
    )
    manager = ConnectionManager(ConnectionBook(), state, poller.open_collector, QThreadPool())
    qtbot.addWidget(manager)
    manager.changed.connect(poller.set_connections)
    add_through_dialog(
        qtbot,
        manager,
        "box",
        "ssh",
        f"127.0.0.1:{sshd_server.port}",
        sshd_user.name,
        sshd_user.password,
    )
    add_through_dialog(
        qtbot, manager, "prom", "prometheus", prom.url, prom.username, prom.password, "job=node"
    )
    assert [c.name for c in load_book().connections] == ["box", "prom"]
    poller.start()
    try:
        qtbot.waitUntil(
            lambda: all(
                state.status.get(n) and state.status[n].state == "connected"
                for n in ("box", "prom")
            ),
            timeout=30000,
        )
    finally:
        assert poller.stop(10.0)
        writer.stop(10.0)
    if keyring_backend == "none":
        assert "no system keyring" in caplog.text  # said once, not silently
    export = tmp_path / "export.csv"
    assert cli_main(["export", "--metric", "mem.used.percent", "--out", str(export)]) == 0
    assert export.stat().st_size > 0
    assert leaks([sshd_user.password, prom.password], caplog.text, [export]) == []
