"""The Notifications… dialog of the Plans tab against a real loopback HTTP server: save
(masked, keyring only), test post, typed errors, clear, and the no-keyring session case."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as NoBackend
from PySide6.QtCore import QThreadPool

from connectors.paths import config_dir, data_dir
from connectors.webhook import KEYRING_SERVICE, KEYRING_USER, store_webhook_url, webhook_url
from console.notify import Notifications
from console.plans.notifications_dialog import TEST_TEXT, NotificationsDialog
from console.workers import ErrorNotifier
from tests.gui.test_plans_support import WAIT_MS
from tests.gui.test_plans_workspace import SCREENSHOT, close, open_plans
from tests.test_webhook import server  # noqa: F401 - fixture

SECRET = "s3cr3t"


@pytest.fixture
def dialog(qtbot):
    pool = QThreadPool()
    dialog = NotificationsDialog(pool)
    qtbot.addWidget(dialog)
    idle(qtbot, dialog)
    yield dialog
    assert dialog.wait(5.0)
    store_webhook_url(None)  # the in-memory fallback lasts the process: leave it empty
    assert pool.waitForDone(5000)


def idle(qtbot, dialog: NotificationsDialog) -> None:
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=WAIT_MS)


def visible_texts(dialog: NotificationsDialog) -> str:
    return " ".join((dialog.current.text(), dialog.status.text(), dialog.url.text()))


def no_file_holds(secret: str) -> None:
    for directory in (config_dir(), data_dir()):
        for path in Path(directory).rglob("*"):
            if path.is_file():
                assert secret not in path.read_text(errors="replace"), path


def test_save_masks_the_url_keeps_it_in_the_keyring_and_the_test_post_arrives(
    qtbot,
    dialog,
    server,  # noqa: F811
    caplog,
):
    url, handler = server
    caplog.set_level(logging.DEBUG)
    assert "No webhook configured" in dialog.current.text()
    dialog.url.setText(url)
    dialog.save_button.click()
    idle(qtbot, dialog)
    assert keyring.get_password(KEYRING_SERVICE, KEYRING_USER) == url
    assert "keyring" in dialog.status.text() and "http://127.0.0.1/" in dialog.current.text()
    assert dialog.url.text() == ""
    assert SECRET not in visible_texts(dialog)

    dialog.test_button.click()  # nothing typed: posts to the saved URL
    idle(qtbot, dialog)
    assert "delivered (HTTP 200)" in dialog.status.text()
    assert [json.loads(body) for _p, _t, body in handler.received] == [{"text": TEST_TEXT}]
    assert handler.received[0][0].endswith(SECRET)

    reopened = NotificationsDialog(dialog.pool)
    qtbot.addWidget(reopened)
    idle(qtbot, reopened)
    assert reopened.current.text().startswith("In the keyring: http://127.0.0.1/")
    assert SECRET not in visible_texts(reopened)
    no_file_holds(SECRET)
    assert SECRET not in caplog.text


def test_an_invalid_url_is_refused_and_nothing_is_stored(qtbot, dialog):
    for bad in ("ftp://hooks.example.com/x", "hooks.slack.com/services/x", "https:///x"):
        dialog.url.setText(bad)
        dialog.save_button.click()
        assert "URL" in dialog.status.text()
        assert webhook_url() is None


def test_a_failing_webhook_shows_the_typed_error_without_the_secret(
    qtbot,
    dialog,
    server,  # noqa: F811
):
    url, handler = server
    handler.status = 500
    dialog.url.setText(url)  # tested before saving: the typed URL is used
    dialog.test_button.click()
    idle(qtbot, dialog)
    assert dialog.status.text() == "webhook 127.0.0.1: server answered HTTP 500"
    assert webhook_url() is None
    dialog.url.clear()
    dialog.test_button.click()
    idle(qtbot, dialog)
    assert "no webhook URL is configured" in dialog.status.text()


def test_clear_removes_the_url(qtbot, dialog, server):  # noqa: F811
    url, _handler = server
    store_webhook_url(url)
    dialog.refresh()
    idle(qtbot, dialog)
    dialog.clear_button.click()
    idle(qtbot, dialog)
    assert webhook_url() is None
    assert keyring.get_password(KEYRING_SERVICE, KEYRING_USER) is None
    assert "removed" in dialog.status.text()


def test_without_a_keyring_the_url_lasts_the_session_and_is_never_written(
    qtbot,
    dialog,
    server,  # noqa: F811
):
    url, handler = server
    keyring.set_keyring(NoBackend())  # the conftest fixture restores the previous one
    dialog.url.setText(url)
    dialog.save_button.click()
    idle(qtbot, dialog)
    assert "session only" in dialog.status.text() and "no keyring" in dialog.status.text()
    assert webhook_url() == url  # in memory: notifications still reach the webhook
    pool, notifier = QThreadPool(), ErrorNotifier()
    notifications = Notifications(pool, notifier)
    notifications.notify("Plan failed", "demo: throttled")
    assert notifications.wait(5.0)
    assert "Plan failed" in json.loads(handler.received[-1][2])["text"]
    assert pool.waitForDone(5000)
    no_file_holds(SECRET)
    dialog.clear_button.click()
    idle(qtbot, dialog)
    assert webhook_url() is None


def test_the_plans_tab_opens_the_dialog(qtbot):
    host, workspace = open_plans(qtbot)
    try:
        assert workspace.notifications_button.text() == "Notifications…"
        workspace.notifications_button.click()
        dialog = workspace.notifications_dialog
        assert dialog is not None and dialog.isVisible()
        idle(qtbot, dialog)
        dialog.url.setText("https://hooks.slack.com/services/T000/B000/" + SECRET)
        dialog.save_button.click()
        idle(qtbot, dialog)
        shot = SCREENSHOT.with_name("plans-notifications.png")
        shot.parent.mkdir(parents=True, exist_ok=True)
        assert dialog.grab().save(str(shot))
        assert "https://hooks.slack.com/" in dialog.current.text()
        dialog.close()
        assert workspace.open_notifications() is dialog  # reused, re-read
        idle(qtbot, dialog)
        assert dialog.status.text() == ""
    finally:
        store_webhook_url(None)
        close(host, workspace)
