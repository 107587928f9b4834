"""The fleet against real servers on loopback: sshd, Prometheus + node_exporter, moto."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QThreadPool

from console.fleet.connection_dialog import ConnectionDialog
from console.fleet.connections import Connection
from console.fleet.fleet_model import CPU, FleetModel
from console.fleet.fleet_state import FleetState
from console.fleet.hostkey_dialog import HostKeyAsker
from console.fleet.poller import FleetPoller
from console.fleet.secrets import store_secret
from tests.servers.ports import free_port
from tests.sources.test_aws_source import make_group, put_points

REGION = "us-east-1"


def ssh_connection(user, server, name: str = "loopback-ssh") -> Connection:
    return Connection(name, "ssh", f"127.0.0.1:{server.port}", user=user.name, tags=("lab",))


def test_fleet_shows_ssh_prometheus_and_aws_side_by_side(
    qtbot, tmp_path: Path, sshd_user, sshd_server, prometheus_server, moto_endpoint
):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(sshd_server.known_hosts_line)
    ssh = ssh_connection(sshd_user, sshd_server)
    store_secret(ssh, sshd_user.password)
    now = time.time()
    make_group(moto_endpoint, "web", 2)
    put_points(moto_endpoint, "AutoScalingGroupName", "web", "CPUUtilization", [40, 50, 60], now)
    connections = [
        ssh,
        Connection("prom", "prometheus", prometheus_server.url, options="job=node"),
        Connection("cloud", "aws", f"{REGION}/asg/web", options=f"endpoint={moto_endpoint}"),
        Connection("dead", "ssh", f"localhost:{free_port()}", user=sshd_user.name),
    ]
    state = FleetState(window_s=120, resolution_s=1.0)
    model = FleetModel(state, refresh_hz=4)
    poller = FleetPoller(state, interval_s=0.5, timeout_s=3.0, known_hosts=known_hosts)
    poller.set_connections(connections)
    poller.start()

    def cpu_of(host: str) -> str:
        hosts = model.visible_hosts()
        return model.index(hosts.index(host), CPU).data() if host in hosts else ""

    try:
        ssh_host = "127.0.0.1"
        prom_host = prometheus_server.instance
        qtbot.waitUntil(lambda: all(cpu_of(h) for h in (ssh_host, prom_host, "web")), timeout=30000)
        first = state.samples_ingested
        qtbot.waitUntil(lambda: state.samples_ingested > first + 20, timeout=10000)
        statuses = {c.name: state.status[c.name].text() for c in connections}
    finally:
        assert poller.stop(10.0)
    assert statuses["loopback-ssh"] == "connected"
    assert statuses["prom"] == "connected"
    assert statuses["cloud"] == "connected"
    assert statuses["dead"].startswith("refused"), statuses["dead"]
    assert cpu_of("web") == "60.0"
    sources = {state.sources[state.hosts.index(h)] for h in (ssh_host, prom_host, "web")}
    assert sources == {"ssh", "prometheus", "aws"}


def test_test_button_asks_about_unknown_keys_and_reports_auth(
    qtbot, tmp_path, sshd_user, sshd_server
):
    known_hosts = tmp_path / "known_hosts"
    answers: list[bool] = []
    asker = HostKeyAsker(prompt=lambda host, key_type, fp: answers.pop(0))
    state = FleetState(window_s=60, resolution_s=1.0)
    poller = FleetPoller(state, timeout_s=3.0, decide=asker.decide, known_hosts=known_hosts)
    pool = QThreadPool()

    def run(dialog: ConnectionDialog) -> tuple[str, str]:
        with qtbot.waitSignal(dialog.tested, timeout=20000) as signal:
            dialog.run_test()
        assert dialog.wait_for_test()
        return tuple(signal.args)

    dialog = ConnectionDialog(poller.open_collector, pool, ssh_connection(sshd_user, sshd_server))
    qtbot.addWidget(dialog)
    dialog.password_edit.setText(sshd_user.password)
    answers.append(False)  # reject: refused, and nothing remembered
    status, message = run(dialog)
    assert status == "unknown host key" and "SHA256:" in message
    assert asker.asked[-1][1] == "ssh-ed25519" and asker.asked[-1][2].startswith("SHA256:")
    assert (
        not known_hosts.exists()
        or sshd_server.host_public_key.split()[1] not in known_hosts.read_text()
    )
    assert dialog.password_edit.text() == ""  # handed to the keyring, not kept in the widget

    answers.append(True)  # accept: connected, and the key is remembered
    status, message = run(dialog)
    assert status == "connected", message
    assert sshd_server.host_public_key.split()[1] in known_hosts.read_text()
    assert len(asker.asked) == 2

    dialog.password_edit.setText("wrong-password")
    status, message = run(dialog)
    assert status == "auth failed", message
    assert len(asker.asked) == 2  # a remembered key is not asked about again
    assert pool.waitForDone(5000)


def test_test_button_against_prometheus_with_basic_auth(qtbot, prometheus_auth_server):
    state = FleetState(window_s=60, resolution_s=1.0)
    poller = FleetPoller(state, timeout_s=5.0)
    pool = QThreadPool()
    server = prometheus_auth_server
    dialog = ConnectionDialog(
        poller.open_collector,
        pool,
        Connection("prom-auth", "prometheus", server.url, user=server.username, options="job=node"),
    )
    qtbot.addWidget(dialog)
    dialog.password_edit.setText("not-the-password")
    with qtbot.waitSignal(dialog.tested, timeout=20000) as signal:
        dialog.run_test()
    assert signal.args[0] == "auth failed", signal.args
    dialog.password_edit.setText(server.password)
    with qtbot.waitSignal(dialog.tested, timeout=20000) as signal:
        dialog.run_test()
    assert signal.args[0] == "connected", signal.args
    assert server.instance in signal.args[1]
    assert pool.waitForDone(5000)


def test_changed_host_key_is_refused_naming_both_fingerprints(
    qtbot, tmp_path, sshd_user, sshd_server, sshd_factory
):
    impostor = sshd_factory()  # same address as remembered below, but another host key
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{impostor.port} {sshd_server.host_public_key}\n")
    asked: list[str] = []
    asker = HostKeyAsker(prompt=lambda host, *_: asked.append(host) or True)
    state = FleetState(window_s=60, resolution_s=1.0)
    poller = FleetPoller(
        state, interval_s=0.3, timeout_s=3.0, decide=asker.decide, known_hosts=known_hosts
    )
    connection = ssh_connection(sshd_user, impostor, name="impostor")
    store_secret(connection, sshd_user.password)
    poller.set_connections([connection])
    poller.start()
    try:
        qtbot.waitUntil(lambda: "impostor" in state.status, timeout=15000)
        qtbot.wait(800)  # several intervals: a refused key must not be retried or asked about
    finally:
        assert poller.stop(10.0)
    status = state.status["impostor"]
    assert status.state == "host key mismatch"
    assert status.error.expected != status.error.got
    assert status.error.expected in status.message and status.error.got in status.message
    assert asked == []  # a changed key is refused outright, never offered for acceptance
    assert known_hosts.read_text().count("\n") == 1  # and never remembered
