"""The chat webhook against a real loopback HTTP server; its URL stays in the keyring."""

from __future__ import annotations

import http.server
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from connectors.paths import config_dir, data_dir
from connectors.webhook import WebhookError, post_webhook, store_webhook_url, webhook_url


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[Receiver]]]:
    handler = type("Handler", (Receiver,), {"received": [], "status": 200})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/services/T000/B000/s3cr3t", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_posts_slack_format_json(server):
    url, handler = server
    assert post_webhook(url, "Plan needs approval: demo") == 200
    path, content_type, body = handler.received[0]
    assert path == "/services/T000/B000/s3cr3t"
    assert content_type == "application/json"
    assert json.loads(body) == {"text": "Plan needs approval: demo"}


def test_error_names_the_host_but_never_the_secret_url(server):
    url, handler = server
    handler.status = 500
    with pytest.raises(WebhookError) as raised:
        post_webhook(url, "hello")
    assert "HTTP 500" in str(raised.value)
    assert "s3cr3t" not in str(raised.value)


def test_url_lives_in_the_keyring_not_in_files_or_logs(server, caplog):
    url, handler = server
    caplog.set_level(logging.DEBUG)
    store_webhook_url(url)
    assert webhook_url() == url
    post_webhook(webhook_url() or "", "auto-approved")
    assert handler.received
    for directory in (config_dir(), data_dir()):
        for path in directory.rglob("*"):
            if path.is_file():
                assert "s3cr3t" not in path.read_text(errors="replace"), path
    assert "s3cr3t" not in caplog.text
    store_webhook_url(None)
    assert webhook_url() is None


def test_refuses_a_url_that_is_not_http():
    with pytest.raises(WebhookError):
        store_webhook_url("file:///etc/passwd")


def test_no_keyring_backend_means_no_webhook_not_an_error() -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoBackend

    from connectors.webhook import webhook_url

    keyring.set_keyring(NoBackend())  # the conftest fixture restores the previous one
    assert webhook_url() is None
