"""Authentication: keys, keyring passwords, and failures that name no secret."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from connectors.errors import AuthFailed
from connectors.paths import config_dir, data_dir
from connectors.ssh.collector import SshCollector
from connectors.ssh.secrets import SERVICE, SecretStore, ssh_secret_name
from tests.servers.sshd import SshdServer, SshdUser
from tests.ssh.conftest import FAST, uri

SECRET_NAME = "ssh:headroom-test@127.0.0.1"


def files_containing(root: Path, needle: str) -> list[Path]:
    if not root.exists():
        return []
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def password_collector(user: SshdUser, server: SshdServer, known_hosts: Path) -> SshCollector:
    # No identity file, no agent, no default keys: only the keyring password can work.
    return SshCollector.from_uri(uri(user, server), known_hosts, options=FAST)


def test_password_from_keyring_is_used_and_never_leaks(
    sshd_user: SshdUser,
    sshd_server: SshdServer,
    known_hosts: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert ssh_secret_name(sshd_user.name, "127.0.0.1") == SECRET_NAME
    SecretStore().set(SECRET_NAME, sshd_user.password)
    assert keyring.get_password(SERVICE, SECRET_NAME) == sshd_user.password  # in the keyring

    collector = password_collector(sshd_user, sshd_server, known_hosts)
    samples = collector.collect()
    collector.close()
    assert samples
    assert sshd_user.password not in caplog.text
    assert "paramiko" in caplog.text  # DEBUG logging really was captured
    assert files_containing(config_dir(), sshd_user.password) == []
    assert files_containing(data_dir(), sshd_user.password) == []


def test_wrong_password_is_auth_failed_without_the_password(
    sshd_user: SshdUser,
    sshd_server: SshdServer,
    known_hosts: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-password-93178"
    SecretStore().set(SECRET_NAME, wrong)
    collector = password_collector(sshd_user, sshd_server, known_hosts)
    with pytest.raises(AuthFailed) as caught:
        collector.collect()
    collector.close()
    assert sshd_user.name in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in repr(caught.value.args)
    assert wrong not in caplog.text


def test_no_credentials_at_all_is_auth_failed(
    sshd_user: SshdUser, sshd_server: SshdServer, known_hosts: Path
) -> None:
    collector = password_collector(sshd_user, sshd_server, known_hosts)
    with pytest.raises(AuthFailed):
        collector.collect()
    collector.close()


def test_wrong_key_is_auth_failed(
    sshd_user: SshdUser, sshd_server: SshdServer, known_hosts: Path, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    collector = SshCollector.from_uri(
        uri(sshd_user, sshd_server), known_hosts, stranger, options=FAST
    )
    with pytest.raises(AuthFailed):
        collector.collect()
    collector.close()


def test_encrypted_key_uses_passphrase_from_keyring(
    sshd_user: SshdUser, sshd_server: SshdServer, known_hosts: Path, tmp_path: Path
) -> None:
    locked = tmp_path / "locked_ed25519"
    passphrase = "correct horse battery 5512"
    subprocess.run(
        ["cp", str(sshd_user.client_key), str(locked)], check=True
    )  # same key, now encrypted: sshd already trusts it
    subprocess.run(["ssh-keygen", "-q", "-p", "-N", passphrase, "-f", str(locked)], check=True)
    collector = SshCollector.from_uri(
        uri(sshd_user, sshd_server), known_hosts, locked, options=FAST
    )
    with pytest.raises(AuthFailed):
        collector.collect()  # no passphrase known yet
    collector.close()
    SecretStore().set(SECRET_NAME, passphrase)
    collector = SshCollector.from_uri(
        uri(sshd_user, sshd_server), known_hosts, locked, options=FAST
    )
    assert collector.collect()
    collector.close()


def test_without_a_keyring_secrets_stay_in_memory_and_it_is_said_once(
    caplog: pytest.LogCaptureFixture, isolated_user_dirs: Path
) -> None:
    keyring.set_keyring(fail.Keyring())  # memory_keyring (conftest) restores the real one
    store = SecretStore()
    assert not store.persistent
    store.set("ssh:a@b", "s3cret-value-1")
    store.set("ssh:c@d", "s3cret-value-2")
    assert store.get("ssh:a@b") == "s3cret-value-1"
    assert store.get("ssh:x@y") is None
    warnings = [r for r in caplog.records if "no system keyring" in r.getMessage()]
    assert len(warnings) == 1
    assert "s3cret" not in caplog.text
    assert files_containing(isolated_user_dirs, "s3cret-value") == []
    store.delete("ssh:a@b")
    assert store.get("ssh:a@b") is None
