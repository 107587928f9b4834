"""Typed errors of remote sources, so the console can show each connection's state.

Every message names the source (host or endpoint) and never contains a secret.
"""

from __future__ import annotations


class SourceError(Exception):
    """A source could not deliver samples. ``kind`` is a short status for tables."""

    kind = "error"

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class AuthFailed(SourceError):
    kind = "auth failed"


class UnknownHostKey(SourceError):
    """The host's key is not in known_hosts: the operator must decide."""

    kind = "unknown host key"

    def __init__(self, source: str, key_type: str, fingerprint: str) -> None:
        super().__init__(
            source,
            f"host key not known ({key_type} {fingerprint}); verify the fingerprint "
            "and accept it before connecting",
        )
        self.key_type = key_type
        self.fingerprint = fingerprint


class HostKeyMismatch(SourceError):
    """The host presented a different key from the one remembered: refuse."""

    kind = "host key mismatch"

    def __init__(self, source: str, key_type: str, expected: str, got: str) -> None:
        super().__init__(
            source,
            f"HOST KEY CHANGED: known_hosts has {key_type} {expected} but the host "
            f"presented {got}; refusing to connect (possible man-in-the-middle)",
        )
        self.key_type = key_type
        self.expected = expected
        self.got = got


class SourceTimeout(SourceError):
    kind = "timeout"


class ConnectionRefused(SourceError):
    kind = "refused"


class HttpError(SourceError):
    kind = "http error"

    def __init__(self, source: str, status: int, reason: str) -> None:
        super().__init__(source, f"HTTP {status}: {reason}")
        self.status = status


class BadSourceUri(SourceError):
    kind = "bad uri"
