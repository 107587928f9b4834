"""Helpers shared by the SSH tests: fast timeouts and a trusted known_hosts file."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.ssh.collector import SshCollector
from connectors.ssh.connection import ConnectionOptions
from tests.servers.sshd import SshdServer, SshdUser

# No agent, no ~/.ssh keys of whoever runs the tests: only what a test passes counts.
FAST = ConnectionOptions(
    connect_timeout=3.0,
    command_timeout=10.0,
    allow_agent=False,
    look_for_keys=False,
    backoff_initial=0.05,
    backoff_max=0.2,
)


def uri(user: SshdUser, server: SshdServer) -> str:
    return f"ssh://{user.name}@127.0.0.1:{server.port}"


def trust(server: SshdServer, path: Path) -> Path:
    with path.open("a") as handle:
        handle.write(server.known_hosts_line)
    return path


@pytest.fixture
def known_hosts(tmp_path: Path, sshd_server: SshdServer) -> Path:
    """A known_hosts file that trusts the session server."""
    return trust(sshd_server, tmp_path / "known_hosts")


@pytest.fixture
def collector(sshd_user: SshdUser, sshd_server: SshdServer, known_hosts: Path):
    made = SshCollector.from_uri(
        uri(sshd_user, sshd_server), known_hosts, sshd_user.client_key, options=FAST
    )
    yield made
    made.close()
