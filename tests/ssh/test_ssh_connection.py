"""Reconnection, bounded timeouts and ~/.ssh/config resolution."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from connectors.errors import BadSourceUri, ConnectionRefused, SourceError, SourceTimeout
from connectors.ssh.collector import SshCollector
from connectors.ssh.config import parse_uri, resolve_target
from connectors.ssh.connection import SshConnection
from tests.servers.ports import free_port
from tests.servers.sshd import SshdServer, SshdUser
from tests.ssh.conftest import FAST, trust, uri


def test_reconnects_after_the_server_comes_back(
    sshd_user: SshdUser, sshd_factory, tmp_path: Path
) -> None:
    server = sshd_factory()
    known_hosts = trust(server, tmp_path / "known_hosts")
    collector = SshCollector.from_uri(
        uri(sshd_user, server), known_hosts, sshd_user.client_key, options=FAST
    )
    try:
        assert collector.collect()
        server.stop()  # the listener and the session serving us
        with pytest.raises(SourceError):
            collector.collect()
        assert not collector.connection.connected
        server.start()
        deadline = time.monotonic() + 10
        samples = []
        while not samples and time.monotonic() < deadline:
            try:
                samples = collector.collect()
            except SourceError:
                time.sleep(0.05)
        assert samples, "collection did not resume within 10 s"
        assert collector.connection.connects == 2
    finally:
        collector.close()


def test_backoff_grows_and_fails_fast_in_between(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here
    target = resolve_target("127.0.0.1", "nobody", port, tmp_path / "none")
    options = replace(FAST, backoff_initial=10.0, backoff_max=40.0)
    connection = SshConnection(target, tmp_path / "kh", options=options, jitter=lambda: 1.0)
    with pytest.raises(ConnectionRefused):
        connection.connect()
    assert 9.0 < connection.retry_in <= 10.0
    started = time.monotonic()
    with pytest.raises(ConnectionRefused):
        connection.connect()  # inside the backoff window: no attempt, same error at once
    assert time.monotonic() - started < 0.05
    connection.reset_backoff()
    with pytest.raises(ConnectionRefused):
        connection.connect()
    assert connection.retry_in <= 10.0  # reset: counted from the first failure again
    connection._retry_at = 0.0  # let the next attempt through without resetting the count
    with pytest.raises(ConnectionRefused):
        connection.connect()
    assert 19.0 < connection.retry_in <= 20.0


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never says a word (a hung host)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_hung_host_times_out_within_its_bound(silent_server: int, tmp_path: Path) -> None:
    target = resolve_target("127.0.0.1", "nobody", silent_server, tmp_path / "none")
    connection = SshConnection(target, tmp_path / "kh", options=replace(FAST, connect_timeout=1.0))
    started = time.monotonic()
    with pytest.raises(SourceTimeout):
        connection.connect()
    assert time.monotonic() - started < 3.0
    connection.close()


def test_a_slow_command_times_out(collector: SshCollector) -> None:
    started = time.monotonic()
    with pytest.raises(SourceTimeout):
        collector.connection.run("sleep 5", timeout=0.5)
    assert time.monotonic() - started < 2.0
    assert collector.collect()  # the connection is still usable


def test_ssh_config_alias_and_proxy_jump(
    sshd_user: SshdUser, sshd_server: SshdServer, known_hosts: Path, tmp_path: Path
) -> None:
    config = tmp_path / "ssh_config"
    config.write_text(
        f"""
Host web-1
    HostName 127.0.0.1
    Port {sshd_server.port}
    User {sshd_user.name}
    IdentityFile {sshd_user.client_key}

Host behind-bastion
    HostName 127.0.0.1
    Port {sshd_server.port}
    User {sshd_user.name}
    IdentityFile {sshd_user.client_key}
    ProxyJump web-1
"""
    )
    target = resolve_target("web-1", ssh_config=config)
    assert (target.hostname, target.port, target.user) == (
        "127.0.0.1",
        sshd_server.port,
        sshd_user.name,
    )
    assert target.identity_files == (sshd_user.client_key,)

    direct = SshCollector.from_uri("ssh://web-1", known_hosts, ssh_config=config, options=FAST)
    try:
        assert {s.host for s in direct.collect()} == {"web-1"}
    finally:
        direct.close()

    jumped = SshCollector.from_uri(
        "ssh://behind-bastion", known_hosts, ssh_config=config, options=FAST
    )
    try:
        assert jumped.connection.target.proxy_jump[0].alias == "web-1"
        assert {s.host for s in jumped.collect()} == {"behind-bastion"}
        assert jumped.connection._jump is not None and jumped.connection._jump.connected
    finally:
        jumped.close()


def test_uri_parts_override_the_config(tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text("Host db\n    HostName 10.1.2.3\n    User admin\n    Port 2200\n")
    parts = parse_uri("ssh://ops@db:2222")
    target = resolve_target(parts.host, parts.user, parts.port, ssh_config=config)
    assert (target.alias, target.hostname, target.user, target.port) == (
        "db",
        "10.1.2.3",
        "ops",
        2222,
    )


@pytest.mark.parametrize(
    "bad",
    [
        "http://host",
        "ssh://",
        "ssh://user:password@host",
        "ssh://host/path",
        "ssh://host:99999",
        "ssh://x;touch /tmp/pwned",
        "ssh://$(reboot)",
        "ssh://us`er`@host",
    ],
)
def test_bad_uris_are_refused(bad: str) -> None:
    with pytest.raises(BadSourceUri) as caught:
        parse_uri(bad)
    assert "password@" not in str(caught.value)


def test_one_hung_host_does_not_stall_a_good_one(
    silent_server: int, collector: SshCollector, tmp_path: Path
) -> None:
    hung = SshCollector.from_uri(
        f"ssh://nobody@127.0.0.1:{silent_server}",
        tmp_path / "kh",
        options=replace(FAST, connect_timeout=2.0),
    )
    collector.collect()  # connected before the race starts
    finished: dict[str, float] = {}
    started = time.monotonic()

    def poll(name: str, which: SshCollector) -> None:
        with contextlib.suppress(SourceError):
            which.collect()
        finished[name] = time.monotonic() - started

    threads = [
        threading.Thread(target=poll, args=("hung", hung)),
        threading.Thread(target=poll, args=("good", collector)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    hung.close()
    assert finished["good"] < 1.5  # a poll takes ~50 ms; margin for a loaded machine
    assert 1.9 < finished["hung"] < 6.0  # held for its own 2 s bound, no longer


def test_socket_has_tcp_nodelay_and_keepalive(collector: SshCollector) -> None:
    collector.collect()
    transport = collector.connection._client.get_transport()
    sock = transport.sock
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
    assert transport.packetizer._Packetizer__keepalive_interval == FAST.keepalive_interval
