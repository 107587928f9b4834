"""Host keys are never accepted silently: unknown keys need consent, changed keys are refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from connectors.errors import HostKeyMismatch, UnknownHostKey
from connectors.ssh.collector import SshCollector
from connectors.ssh.hostkeys import known_hosts_name
from tests.servers.sshd import SshdServer, SshdUser
from tests.ssh.conftest import FAST, trust, uri


def ssh_keygen_fingerprint(server: SshdServer) -> str:
    """The fingerprint as OpenSSH itself prints it (independent of our code)."""
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", f"{server.host_key}.pub"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[1]


def make(user: SshdUser, server: SshdServer, known_hosts: Path, decide=None) -> SshCollector:
    extra = {} if decide is None else {"decide": decide}
    return SshCollector.from_uri(
        uri(user, server), known_hosts, user.client_key, options=FAST, **extra
    )


def test_unknown_key_is_refused_by_default_and_named(
    sshd_user: SshdUser, sshd_server: SshdServer, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "known_hosts"
    collector = make(sshd_user, sshd_server, known_hosts)
    with pytest.raises(UnknownHostKey) as caught:
        collector.collect()
    collector.close()
    expected = ssh_keygen_fingerprint(sshd_server)
    assert caught.value.fingerprint == expected
    assert caught.value.key_type == "ssh-ed25519"
    assert expected in str(caught.value)
    assert not known_hosts.exists() or known_hosts.read_text() == ""


def test_declined_key_is_not_remembered_and_accepted_key_is(
    sshd_user: SshdUser, sshd_server: SshdServer, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "ssh" / "known_hosts"
    asked: list[tuple[str, str, str]] = []

    def decline(host: str, key_type: str, fingerprint: str) -> bool:
        asked.append((host, key_type, fingerprint))
        return False

    declined = make(sshd_user, sshd_server, known_hosts, decline)
    with pytest.raises(UnknownHostKey):
        declined.collect()
    declined.close()
    assert not known_hosts.exists()

    def accept(host: str, key_type: str, fingerprint: str) -> bool:
        asked.append((host, key_type, fingerprint))
        return True

    accepted = make(sshd_user, sshd_server, known_hosts, accept)
    assert accepted.collect()
    accepted.close()
    name = known_hosts_name("127.0.0.1", sshd_server.port)
    expected = (name, "ssh-ed25519", ssh_keygen_fingerprint(sshd_server))
    assert asked == [expected, expected]
    assert known_hosts.read_text() == sshd_server.known_hosts_line
    assert known_hosts.stat().st_mode & 0o077 == 0

    # Remembered: a headless collector (refuses unknown keys) now connects without asking.
    again = make(sshd_user, sshd_server, known_hosts)
    assert again.collect()
    again.close()
    assert len(asked) == 2


def test_changed_host_key_is_refused_naming_both_fingerprints(
    sshd_user: SshdUser, sshd_factory, tmp_path: Path
) -> None:
    original = sshd_factory()
    known_hosts = trust(original, tmp_path / "known_hosts")
    first = make(sshd_user, original, known_hosts)
    assert first.collect()
    first.close()
    original.stop()

    impostor = sshd_factory(port=original.port)  # same port, another host key
    asked = []
    collector = make(sshd_user, impostor, known_hosts, lambda *a: asked.append(a) or True)
    with pytest.raises(HostKeyMismatch) as caught:
        collector.collect()
    collector.close()
    error = caught.value
    assert asked == []  # a changed key is not a question: it is refused
    assert error.expected == ssh_keygen_fingerprint(original)
    assert error.got == ssh_keygen_fingerprint(impostor)
    assert error.expected != error.got
    message = str(error)
    assert f"127.0.0.1:{original.port}" in message
    assert error.expected in message and error.got in message
    assert known_hosts.read_text() == original.known_hosts_line  # not overwritten
