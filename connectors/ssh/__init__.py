"""Agentless SSH source: Linux hosts read through /proc over one persistent connection.

Public API:

- :class:`connectors.ssh.collector.SshCollector` — ``SshCollector.from_uri(uri,
  known_hosts=None, identity=None, ssh_config=None)`` for ``ssh://user@host:port``
  or ``ssh://alias``; ``collect(now=None) -> list[Sample]``; ``close()``.
- :class:`connectors.ssh.connection.SshConnection` — one persistent connection per
  host, reconnecting with exponential backoff and jitter; ``run(command)``.
- :mod:`connectors.ssh.hostkeys` — known_hosts verification, ``HostKeyDecision``.
- :mod:`connectors.ssh.config` — ``resolve_target`` (~/.ssh/config).
- :mod:`connectors.ssh.secrets` — passwords/passphrases in the keyring.
- :mod:`connectors.ssh.custom` — operator-defined metric commands.
- :mod:`connectors.ssh.proc` — pure parsers of /proc, ``df -P`` and nvidia-smi output.

Errors are the typed ones of :mod:`connectors.errors`.
"""
