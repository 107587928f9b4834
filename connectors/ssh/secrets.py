"""Passwords and key passphrases of SSH hosts, kept in the system keyring.

Entries live under service ``headroom`` with usernames ``ssh:<user>@<host>``.
When this machine has no keyring backend, we say so once (when a secret is
stored; ``persistent`` tells a UI beforehand) and keep secrets in memory for
this session only: a secret is never written to disk, a log or an
exception message by this module.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import keyring
import keyring.errors
from keyring.backends import fail

log = logging.getLogger(__name__)

SERVICE = "headroom"


def ssh_secret_name(user: str, host: str) -> str:
    return f"ssh:{user}@{host}"


class SecretStore:
    """The keyring, with an in-memory fallback when there is none."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        self._warned = False

    @property
    def persistent(self) -> bool:
        """True when secrets survive the session (a real keyring backend exists)."""
        return not isinstance(keyring.get_keyring(), fail.Keyring)

    def get(self, name: str) -> str | None:
        with self._lock:
            if name in self._memory:
                return self._memory[name]
        try:
            return keyring.get_password(self.service, name)
        except keyring.errors.NoKeyringError:
            # Nothing could have been stored; the warning comes when a secret is (see set).
            return None
        except keyring.errors.KeyringError as error:
            # The backend's own message names the entry at most, never the secret.
            log.warning("keyring lookup of %s failed: %s", name, type(error).__name__)
            return None

    def set(self, name: str, secret: str) -> None:
        try:
            if not self.persistent:
                raise keyring.errors.NoKeyringError()
            keyring.set_password(self.service, name, secret)
        except keyring.errors.KeyringError:
            self._no_keyring()
            with self._lock:
                self._memory[name] = secret
            return
        with self._lock:
            self._memory.pop(name, None)

    def delete(self, name: str) -> None:
        with self._lock:
            self._memory.pop(name, None)
        # Nothing stored there (or no keyring): nothing to delete.
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(self.service, name)

    def _no_keyring(self) -> None:
        with self._lock:
            if self._warned:
                return
            self._warned = True
        log.warning(
            "no system keyring available: passwords and other secrets are kept in memory "
            "for this session only and will be asked again next time"
        )


# One store per process, so the in-memory fallback lasts the whole session.
_default: SecretStore | None = None
_default_lock = threading.Lock()


def default_store() -> SecretStore:
    global _default
    with _default_lock:
        if _default is None:
            _default = SecretStore()
        return _default
