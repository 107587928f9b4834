"""Where a connection's password goes: the keyring, or this session's memory without one.

SSH passwords use :class:`connectors.ssh.secrets.SecretStore` (keyring, in-memory
fallback that warns once). Prometheus basic-auth passwords go through
``store_basic_auth``; if the keyring refuses, they are kept in a session-only
store and handed to the source directly. Nothing here logs or formats a secret.
"""

from __future__ import annotations

import logging

from connectors.ssh.secrets import SecretStore, default_store, ssh_secret_name
from console.fleet.connections import Connection

log = logging.getLogger(__name__)

_prometheus_memory = SecretStore(service="headroom-prometheus-session")


def ssh_entry_name(connection: Connection) -> str:
    """The keyring entry SshConnection reads: ``ssh:<user>@<alias>`` as resolved."""
    from connectors.ssh.config import parse_uri, resolve_target

    parts = parse_uri(connection.uri())
    target = resolve_target(parts.host, parts.user, parts.port)
    return ssh_secret_name(target.user, target.alias)


def store_secret(connection: Connection, secret: str) -> bool:
    """Remember ``secret`` for ``connection``; False when it lasts this session only."""
    if connection.kind == "ssh":
        store = default_store()
        store.set(ssh_entry_name(connection), secret)
        return store.persistent
    if connection.kind == "prometheus":
        import keyring.errors

        from connectors.prometheus import store_basic_auth

        try:
            store_basic_auth(connection.endpoint(), connection.user, secret)
        except keyring.errors.KeyringError:
            _prometheus_memory.set(_prometheus_entry(connection), secret)
            return False
        return True
    raise ValueError(f"{connection.kind} connections take their credentials from the AWS profile")


def forget_secret(connection: Connection) -> None:
    import contextlib

    import keyring
    import keyring.errors

    if connection.kind == "ssh":
        with contextlib.suppress(ValueError):
            default_store().delete(ssh_entry_name(connection))
    elif connection.kind == "prometheus" and connection.user:
        from connectors.prometheus.auth import _slot

        _prometheus_memory.delete(_prometheus_entry(connection))
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(_slot(connection.endpoint()), connection.user)


def session_prometheus_password(connection: Connection) -> str | None:
    """A Prometheus password kept in memory because the keyring refused it, if any."""
    if connection.kind != "prometheus" or not connection.user:
        return None
    return _prometheus_memory.get(_prometheus_entry(connection))


def _prometheus_entry(connection: Connection) -> str:
    return f"{connection.endpoint()}|{connection.user}"
