"""One persistent SSH connection per host, reconnected with backoff and jitter.

The TCP socket is opened here (not by paramiko) so it gets ``TCP_NODELAY`` —
each poll is a small request/response exchange that Nagle's algorithm would
delay — and ``SO_KEEPALIVE``; the SSH transport sends keepalives too, so a dead
peer is noticed between polls. Every wait is bounded by the per-host timeouts
in :class:`ConnectionOptions`, so one bad host never stalls the others.

After a failed connection attempt the next one waits ``backoff_initial * 2**n``
seconds (capped at ``backoff_max``), scaled by a random factor in [0.5, 1] so a
fleet that lost its network does not reconnect in lockstep. Calls made while
waiting fail at once with the last error instead of blocking.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import paramiko

from connectors.errors import (
    AuthFailed,
    ConnectionRefused,
    SourceError,
    SourceTimeout,
)
from connectors.ssh.config import SshTarget
from connectors.ssh.hostkeys import (
    HostKeyDecision,
    KnownHosts,
    VerifyingPolicy,
    mismatch_error,
    refuse_unknown,
)
from connectors.ssh.secrets import SecretStore, default_store, ssh_secret_name

log = logging.getLogger(__name__)

# Output beyond this is a misbehaving command, not a metric reading.
MAX_OUTPUT_BYTES = 4 * 2**20


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    connect_timeout: float = 5.0  # TCP connect, SSH banner and authentication, each
    command_timeout: float = 10.0  # one remote command, from start to exit status
    keepalive_interval: int = 15  # seconds between SSH keepalives; 0 disables them
    tcp_nodelay: bool = True
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    allow_agent: bool = True  # ssh-agent (SSH_AUTH_SOCK)
    look_for_keys: bool = True  # ~/.ssh/id_* when no IdentityFile is configured


@dataclass(frozen=True, slots=True)
class CommandResult:
    exit_status: int
    stdout: str
    stderr: str

    @property
    def first_error_line(self) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[0][:200] if lines else ""


def source_name(target: SshTarget) -> str:
    """How errors name the host: the alias, with the port when it is not 22."""
    return target.alias if target.port == 22 else f"{target.alias}:{target.port}"


class SshConnection:
    """A lazily opened, self-healing SSH connection to one host. Thread-safe."""

    def __init__(
        self,
        target: SshTarget,
        known_hosts: Path | None = None,
        decide: HostKeyDecision = refuse_unknown,
        secrets: SecretStore | None = None,
        options: ConnectionOptions | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.target = target
        self.source = source_name(target)
        self.options = options or ConnectionOptions()
        self._known_hosts = KnownHosts(known_hosts)
        self._known_hosts_path = known_hosts
        self._decide = decide
        self._secrets = secrets or default_store()
        self._jitter = jitter
        self._lock = threading.Lock()
        self._client: paramiko.SSHClient | None = None
        self._jump: SshConnection | None = None
        self._failures = 0
        self._retry_at = 0.0
        self.last_error: SourceError | None = None
        self.connects = 0  # successful connections so far (the first one included)

    # -- state ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        client = self._client
        transport = client.get_transport() if client is not None else None
        return transport is not None and transport.is_active()

    @property
    def retry_in(self) -> float:
        """Seconds until the next connection attempt is allowed (0 when it is now)."""
        return max(0.0, self._retry_at - time.monotonic())

    def reset_backoff(self) -> None:
        """Allow an immediate attempt, e.g. after the operator accepted a host key."""
        with self._lock:
            self._failures = 0
            self._retry_at = 0.0

    # -- use ---------------------------------------------------------------------------

    def connect(self) -> None:
        """Connect now unless connected; raise the typed error of the failure."""
        self._transport()

    def run(self, command: str, timeout: float | None = None) -> CommandResult:
        """Run one command (a complete, already quoted shell command line).

        Raises SourceTimeout when it does not finish in time and SourceError when
        the connection is lost; a non-zero exit status is *not* an error here.
        """
        transport = self._transport()
        limit = self.options.command_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        try:
            channel = transport.open_session(timeout=limit)
        except paramiko.ChannelException as error:
            # The server refused one more session (MaxSessions): the connection is fine.
            raise SourceError(self.source, f"session refused: {_describe(error)}") from None
        except (paramiko.SSHException, EOFError, OSError) as error:
            self._lost(error)
            raise SourceError(self.source, f"connection lost: {_describe(error)}") from None
        try:
            channel.settimeout(limit)
            channel.exec_command(command)
            channel.shutdown_write()
            stdout = _read_stream(channel, channel.recv, deadline)
            stderr = _read_stream(channel, channel.recv_stderr, deadline)
            if not channel.status_event.wait(max(0.0, deadline - time.monotonic())):
                raise TimeoutError
            status = channel.recv_exit_status()
        except TimeoutError:
            raise SourceTimeout(self.source, f"command did not finish within {limit:g} s") from None
        except _TooMuchOutput:
            raise SourceError(
                self.source, f"command printed more than {MAX_OUTPUT_BYTES} bytes"
            ) from None
        except (paramiko.SSHException, EOFError, OSError) as error:
            self._lost(error)
            raise SourceError(self.source, f"connection lost: {_describe(error)}") from None
        finally:
            channel.close()
        return CommandResult(
            status, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")
        )

    def open_tunnel(self, hostname: str, port: int) -> paramiko.Channel:
        """A direct-tcpip channel to ``hostname:port`` through this host (for ProxyJump)."""
        transport = self._transport()
        try:
            return transport.open_channel(
                "direct-tcpip",
                (hostname, port),
                ("127.0.0.1", 0),
                timeout=self.options.connect_timeout,
            )
        except (paramiko.SSHException, EOFError, OSError) as error:
            raise ConnectionRefused(
                self.source,
                f"cannot reach {hostname}:{port} through this jump host: {_describe(error)}",
            ) from None

    def close(self) -> None:
        with self._lock:
            self._drop()
            if self._jump is not None:
                self._jump.close()
                self._jump = None

    # -- internals --------------------------------------------------------------------

    def _transport(self) -> paramiko.Transport:
        with self._lock:
            client = self._client
            transport = client.get_transport() if client is not None else None
            if transport is not None and transport.is_active():
                return transport
            self._drop()
            if time.monotonic() < self._retry_at and self.last_error is not None:
                raise self.last_error.with_traceback(None)
            try:
                self._client = self._open_client()
            except SourceError as error:
                self._failures += 1
                delay = min(
                    self.options.backoff_max,
                    self.options.backoff_initial * 2 ** (self._failures - 1),
                )
                self._retry_at = time.monotonic() + delay * (0.5 + 0.5 * self._jitter())
                self.last_error = error
                raise
            self._failures = 0
            self._retry_at = 0.0
            self.last_error = None
            self.connects += 1
            transport = self._client.get_transport()
            assert transport is not None
            return transport

    def _open_client(self) -> paramiko.SSHClient:
        target, options = self.target, self.options
        sock = self._open_socket()
        client = paramiko.SSHClient()
        self._known_hosts.load_into(client)
        client.set_missing_host_key_policy(
            VerifyingPolicy(self._known_hosts, self._decide, self.source)
        )
        secret = self._secrets.get(ssh_secret_name(target.user, target.alias))
        identities = [str(path) for path in target.identity_files if path.exists()]
        try:
            client.connect(
                target.hostname,
                port=target.port,
                username=target.user,
                password=secret,
                passphrase=secret,
                key_filename=identities or None,
                # paramiko's handshake wait gives up *silently* at ``timeout``; a longer
                # one lets the banner timeout fire first, as a clear error.
                timeout=2 * options.connect_timeout,
                banner_timeout=options.connect_timeout,
                auth_timeout=options.connect_timeout,
                channel_timeout=options.connect_timeout,
                allow_agent=options.allow_agent,
                look_for_keys=options.look_for_keys and not identities,
                sock=sock,
            )
        except SourceError:
            client.close()
            raise
        except paramiko.BadHostKeyException as error:
            client.close()
            raise mismatch_error(self.source, error) from None
        except paramiko.AuthenticationException:
            client.close()
            raise AuthFailed(self.source, f"authentication failed for user {target.user}") from None
        except TimeoutError:
            client.close()
            raise SourceTimeout(
                self.source, f"no SSH handshake within {options.connect_timeout:g} s"
            ) from None
        except paramiko.SSHException as error:
            client.close()
            if "banner" in str(error) or "No existing session" in str(error):
                raise SourceTimeout(
                    self.source, f"no SSH handshake within {options.connect_timeout:g} s"
                ) from None
            if "authentication methods" in str(error):
                raise AuthFailed(
                    self.source, f"no usable key, agent or password for user {target.user}"
                ) from None
            raise SourceError(self.source, f"SSH error: {_describe(error)}") from None
        except (EOFError, OSError) as error:
            client.close()
            raise SourceError(self.source, f"connection closed: {_describe(error)}") from None
        if options.keepalive_interval > 0:
            transport = client.get_transport()
            if transport is not None:
                transport.set_keepalive(options.keepalive_interval)
        if self.connects:
            log.info("%s: reconnected", self.source)
        return client

    def _open_socket(self) -> Any:
        target = self.target
        if target.proxy_jump:
            hops = target.proxy_jump
            last = replace(hops[-1], proxy_jump=hops[:-1]) if len(hops) > 1 else hops[-1]
            if self._jump is None:
                self._jump = SshConnection(
                    last, self._known_hosts_path, self._decide, self._secrets, self.options
                )
            return self._jump.open_tunnel(target.hostname, target.port)
        try:
            sock = socket.create_connection(
                (target.hostname, target.port), timeout=self.options.connect_timeout
            )
        except ConnectionRefusedError:
            raise ConnectionRefused(
                self.source, f"connection refused by {target.hostname}:{target.port}"
            ) from None
        except TimeoutError:
            raise SourceTimeout(
                self.source, f"no TCP connection within {self.options.connect_timeout:g} s"
            ) from None
        except OSError as error:
            raise SourceError(self.source, f"cannot connect: {_describe(error)}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(self.options.tcp_nodelay))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return sock

    def _lost(self, error: BaseException) -> None:
        log.info("%s: connection lost (%s)", self.source, _describe(error))
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class _TooMuchOutput(Exception):
    pass


def _read_stream(
    channel: paramiko.Channel, receive: Callable[[int], bytes], deadline: float
) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        channel.settimeout(remaining)  # the whole command shares one deadline
        chunk = receive(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_OUTPUT_BYTES:
            raise _TooMuchOutput
        chunks.append(chunk)


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:200]
