"""Post a notification to a chat webhook (Slack's incoming-webhook format: ``{"text": ...}``).

The URL *is* the credential (anyone holding it can post), so it lives in the keyring,
never in settings, config files, logs or exception messages. Posting is one bounded
request with no retry loop: the caller runs it in a worker and reports a failure once.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

KEYRING_SERVICE = "headroom"
KEYRING_USER = "webhook"
TIMEOUT_S = 5.0


class WebhookError(Exception):
    """The post failed; ``reason`` names the host at most, never the full (secret) URL."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"webhook {host}: {reason}")
        self.host = host
        self.reason = reason


def store_webhook_url(url: str | None) -> None:
    """Keep the URL in the keyring (``None`` or empty removes it)."""
    import keyring
    from keyring.errors import PasswordDeleteError

    if url:
        if urlsplit(url).scheme not in ("http", "https"):
            raise WebhookError("?", "the URL must start with https:// or http://")
        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, url)
        return
    with contextlib.suppress(PasswordDeleteError):  # nothing stored: already removed
        keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)


def webhook_url() -> str | None:
    """The configured webhook URL, or None (also when this machine has no keyring:
    the URL is a secret and can only have been stored in one)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except KeyringError:
        return None


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
