"""Host-key verification against known_hosts: never accept a key silently.

An unknown host is shown to a :data:`HostKeyDecision` callback with its key type
and OpenSSH-style SHA256 fingerprint; the key is remembered (appended to
Headroom's known_hosts file) only when the callback says yes. The headless
default, :func:`refuse_unknown`, says no, so the connection fails with
:class:`~connectors.errors.UnknownHostKey` naming the fingerprint. A key that
differs from the remembered one is always refused with
:class:`~connectors.errors.HostKeyMismatch` naming both fingerprints.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramiko

from connectors.errors import HostKeyMismatch, UnknownHostKey
from connectors.paths import config_dir

log = logging.getLogger(__name__)

USER_KNOWN_HOSTS = Path("~/.ssh/known_hosts")

# (host name as in known_hosts, key type, "SHA256:...") -> accept? Called on the
# connecting (worker) thread, inside the connection's handshake: a GUI callback
# must hand the question to the GUI thread and wait for the answer, with a bound.
HostKeyDecision = Callable[[str, str, str], bool]

# Appends from several connection threads must not interleave.
_write_lock = threading.Lock()


def refuse_unknown(host: str, key_type: str, fingerprint: str) -> bool:
    """The headless default: an unknown key is never accepted without an operator."""
    return False


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH format: ``SHA256:`` + base64 of the key blob's SHA-256, without padding."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def known_hosts_name(hostname: str, port: int) -> str:
    """How OpenSSH names a host in known_hosts: bare for port 22, ``[host]:port`` otherwise."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


def default_known_hosts() -> Path:
    """Headroom's own file; keys the operator accepts are remembered here."""
    return config_dir() / "known_hosts"


class KnownHosts:
    """The files keys are read from, and the one accepted keys are written to.

    With an explicit ``path`` only that file is used. Otherwise the user's
    ~/.ssh/known_hosts is read too (so hosts already trusted with ``ssh`` work)
    but never written: Headroom keeps its own decisions in its config dir.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.writable = path if path is not None else default_known_hosts()
        self.read_only: tuple[Path, ...] = () if path is not None else (USER_KNOWN_HOSTS,)

    def load_into(self, client: paramiko.SSHClient) -> None:
        for extra in self.read_only:
            extra = extra.expanduser()
            if extra.exists():
                try:
                    client.load_system_host_keys(str(extra))
                except (OSError, paramiko.SSHException) as error:
                    log.warning("ignoring unreadable known_hosts %s: %s", extra, error)
        if self.writable.exists():
            try:
                client.load_host_keys(str(self.writable))
            except (OSError, paramiko.SSHException) as error:
                # Unreadable means unknown: every host will be asked about, never trusted.
                log.warning("ignoring unreadable known_hosts %s: %s", self.writable, error)

    def remember(self, name: str, key: paramiko.PKey) -> None:
        """Append one line; the file and its directory are private to the user."""
        with _write_lock:
            self.writable.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.writable, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a") as handle:
                handle.write(f"{name} {key.get_name()} {key.get_base64()}\n")


class VerifyingPolicy(paramiko.MissingHostKeyPolicy):
    """Called by paramiko for a host with no remembered key: ask, remember or refuse."""

    def __init__(self, known_hosts: KnownHosts, decide: HostKeyDecision, source: str) -> None:
        self.known_hosts = known_hosts
        self.decide = decide
        self.source = source

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: Any) -> None:
        key_type, shown = key.get_name(), fingerprint(key)
        if not self.decide(hostname, key_type, shown):
            raise UnknownHostKey(self.source, key_type, shown)
        client.get_host_keys().add(hostname, key_type, key)
        self.known_hosts.remember(hostname, key)
        log.info("%s: accepted new host key %s %s", self.source, key_type, shown)


def mismatch_error(source: str, error: paramiko.BadHostKeyException) -> HostKeyMismatch:
    """paramiko's exception, turned into ours with both fingerprints."""
    expected_type = error.expected_key.get_name()
    got_type = error.key.get_name()
    got = fingerprint(error.key)
    return HostKeyMismatch(
        source,
        expected_type,
        expected=fingerprint(error.expected_key),
        got=got if got_type == expected_type else f"{got_type} {got}",
    )
