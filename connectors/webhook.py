"""Post a notification to a chat webhook (Slack's incoming-webhook format: ``{"text": ...}``).

The URL *is* the credential (anyone holding it can post), so it lives in the keyring,
never in settings, config files, logs or exception messages. Without a keyring backend
it is kept in memory for this session only (the same :class:`SecretStore` fallback as
SSH passwords) and ``store_webhook_url`` returns False so the UI can say so. Posting is
one bounded request with no retry loop: the caller runs it in a worker and reports a
failure once.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from connectors.ssh.secrets import SecretStore

KEYRING_SERVICE = "headroom"
KEYRING_USER = "webhook"
TIMEOUT_S = 5.0

# One per process, so a URL kept in memory (no keyring) lasts the whole session.
_secrets = SecretStore(service=KEYRING_SERVICE)


class WebhookError(Exception):
    """The post failed; ``reason`` names the host at most, never the full (secret) URL."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"webhook {host}: {reason}")
        self.host = host
        self.reason = reason


def check_webhook_url(url: str) -> str:
    """``url`` stripped, if it is an http(s) URL with a host; WebhookError otherwise."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. a malformed port: say so without echoing the URL
        raise WebhookError("?", "this is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookError("?", "the URL must start with https:// or http://")
    if not host:
        raise WebhookError("?", "the URL has no host name")
    if any(c.isspace() for c in url):
        raise WebhookError(host, "the URL must not contain spaces")
    return url


def store_webhook_url(url: str | None) -> bool:
    """Keep the URL in the keyring (``None`` or empty removes it).

    Returns True when it is in the keyring, False when this machine has none and the
    URL is kept in memory for this session only."""
    if not url:
        _secrets.delete(KEYRING_USER)
        return _secrets.persistent
    url = check_webhook_url(url)
    _secrets.set(KEYRING_USER, url)  # falls back to memory when the keyring refuses
    return url_in_keyring(url)


def url_in_keyring(url: str) -> bool:
    """Read back: a backend that exists may still refuse (locked, no D-Bus session)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, KEYRING_USER) == url
    except KeyringError:
        return False


def webhook_url() -> str | None:
    """The configured webhook URL, or None (also when a keyring lookup fails)."""
    return _secrets.get(KEYRING_USER)


def masked_webhook_url(url: str) -> str:
    """What may be shown of a saved URL: scheme and host; the path is the secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/••••••••"


def slack_payload(text: str) -> bytes:
    return json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")


def post_webhook(url: str, text: str, timeout_s: float = TIMEOUT_S) -> int:
    """POST ``{"text": text}`` as JSON to ``url``; returns the HTTP status (2xx)."""
    host = urlsplit(url).hostname or "?"
    request = urllib.request.Request(
        url,
        data=slack_payload(text),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        raise WebhookError(host, f"server answered HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise WebhookError(host, f"cannot post: {reason}") from None
