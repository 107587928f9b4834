"""A real OpenSSH server on loopback for the SSH tests and the SSH benchmark.

The plain functions (:func:`ensure_test_user`, :func:`make_client_key`,
:func:`start_sshd`) serve ``bench/bench_ssh.py`` too; the fixtures wrap them.
Each server runs ``/usr/sbin/sshd -D -e -f <config>`` with its own host key and
config in a temp directory, logs in as a throwaway user whose shell is /bin/sh,
and accepts both the session's client key and a known password. Creating the
user and ``/run/sshd`` needs root: without it the tests are skipped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from tests.servers.ports import free_port, wait_for_port

SSHD = Path("/usr/sbin/sshd")
TEST_USER = "headroom-test"
# A throwaway password for a throwaway local account that only loopback servers accept.
TEST_PASSWORD = "headroom-test-pw-4711"


@dataclass(frozen=True, slots=True)
class SshdUser:
    name: str
    password: str
    client_key: Path  # private key (ed25519, no passphrase)
    client_public_key: str


@dataclass
class SshdServer:
    port: int
    workdir: Path
    host_key: Path
    host_public_key: str  # "ssh-ed25519 AAAA..."
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.host_public_key}\n"

    def start(self) -> None:
        """Start (again) on the same port with the same key; wait until it accepts TCP."""
        if self.process is not None and self.process.poll() is None:
            return
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(self.workdir / "sshd_config")],
                stdout=log,
                stderr=log,
            )
        finally:
            log.close()
        wait_for_port(self.port, timeout=15)

    def stop(self) -> None:
        """Kill the listener and every session it forked (as a crash would); bounded waits."""
        if self.process is None:
            return
        try:
            sessions = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            sessions = []
        for child in sessions:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(sessions, timeout=5)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def skip_reason() -> str | None:
    """Why a real sshd cannot run here, or None when it can."""
    if not SSHD.exists():
        return "openssh-server is not installed (/usr/sbin/sshd missing)"
    if os.geteuid() != 0:
        return "a real sshd test server needs root (test user and /run/sshd)"
    for tool in ("ssh-keygen", "useradd", "usermod", "chpasswd"):
        if shutil.which(tool) is None:
            return f"{tool} not found"
    return None


def _run(argv: list[str], stdin: str | None = None) -> None:
    subprocess.run(argv, input=stdin, check=True, capture_output=True, text=True, timeout=30)


def _world_readable_dir(prefix: str) -> Path:
    # sshd reads authorized_keys as the test user, so the path must be traversable by it.
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def _keygen(path: Path, comment: str) -> str:
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return " ".join(path.with_name(path.name + ".pub").read_text().split()[:2])


def ensure_test_user(workdir: Path) -> SshdUser:
    """Create the throwaway login user if missing, give it a password and a client key."""
    try:
        _run(["id", TEST_USER])
    except subprocess.CalledProcessError:
        _run(["useradd", "-m", "-s", "/bin/sh", TEST_USER])
    _run(["usermod", "-s", "/bin/sh", "-p", "*", TEST_USER])  # unlocked for key auth
    _run(["chpasswd"], stdin=f"{TEST_USER}:{TEST_PASSWORD}\n")
    key = workdir / "client_ed25519"
    public = _keygen(key, "headroom-test-client")
    return SshdUser(TEST_USER, TEST_PASSWORD, key, public)


def forget_password() -> None:
    """Leave no known password behind: a real sshd on this machine would accept it."""
    _run(["usermod", "-p", "*", TEST_USER])


def make_server(user: SshdUser, port: int | None = None) -> SshdServer:
    """Write a config and a fresh host key for a server on ``port`` (not started)."""
    Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
    workdir = _world_readable_dir("headroom-sshd-")
    host_key = workdir / "host_ed25519"
    host_public = _keygen(host_key, "headroom-test-host")
    authorized = workdir / "authorized_keys"
    authorized.write_text(user.client_public_key + "\n")
    authorized.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    port = port or free_port()
    config = f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {workdir / "sshd.pid"}
AuthorizedKeysFile {authorized}
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers {user.name}
# The benchmark holds many persistent connections and opens channels fast.
MaxStartups 200:30:400
MaxSessions 100
MaxAuthTries 6
LoginGraceTime 20
UseDNS no
PrintMotd no
PrintLastLog no
Subsystem sftp internal-sftp
LogLevel ERROR
"""
    (workdir / "sshd_config").write_text(config)
    return SshdServer(port, workdir, host_key, host_public, log_path=workdir / "sshd.log")


def start_sshd(user: SshdUser, port: int | None = None) -> SshdServer:
    server = make_server(user, port)
    try:
        server.start()
    except Exception:
        server.cleanup()
        raise
    return server


@pytest.fixture(scope="session")
def sshd_user() -> Iterator[SshdUser]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    workdir = _world_readable_dir("headroom-sshd-client-")
    try:
        yield ensure_test_user(workdir)
    finally:
        forget_password()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def sshd_server(sshd_user: SshdUser) -> Iterator[SshdServer]:
    """One server shared by the session; tests must not stop it (use ``sshd_factory``)."""
    server = start_sshd(sshd_user)
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def sshd_factory(sshd_user: SshdUser) -> Iterator[Callable[..., SshdServer]]:
    """Start extra servers (``port=`` reuses a port with a NEW host key); all killed after."""
    servers: list[SshdServer] = []

    def factory(port: int | None = None, start: bool = True) -> SshdServer:
        server = make_server(sshd_user, port)
        servers.append(server)
        if start:
            server.start()
        return server

    try:
        yield factory
    finally:
        for server in servers:
            server.cleanup()
