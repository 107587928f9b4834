"""Asking the operator about an unknown SSH host key, from the worker that connects.

``SshConnection`` calls ``decide(host, key_type, fingerprint)`` on its worker
thread in the middle of the handshake. :class:`HostKeyAsker` hands the question
to the GUI thread (a queued signal), waits for the answer with a bound and
refuses on timeout, so a forgotten dialog never leaves a key accepted. A changed
key is never asked about: :func:`show_mismatch` warns, naming both fingerprints.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from connectors.errors import HostKeyMismatch

ANSWER_TIMEOUT_S = 120.0

Prompt = Callable[[str, str, str], bool]


@dataclass
class _Question:
    host: str
    key_type: str
    fingerprint: str
    answered: threading.Event = field(default_factory=threading.Event)
    accepted: bool = False


def unknown_key_text(host: str, key_type: str, fingerprint: str) -> str:
    return (
        f"The authenticity of host {host} can't be established.\n\n"
        f"Key type: {key_type}\nFingerprint: {fingerprint}\n\n"
        "Compare the fingerprint with the one the host's administrator gives you "
        "(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). Accept and remember this key?"
    )


def mismatch_text(error: HostKeyMismatch) -> str:
    return (
        f"The host key of {error.source} has CHANGED.\n\n"
        f"Remembered: {error.key_type} {error.expected}\nPresented:  {error.got}\n\n"
        "Headroom refuses to connect: someone may be intercepting the connection, or the "
        "host was reinstalled. If the change is expected, remove the old line from "
        "Headroom's known_hosts file and connect again."
    )


class HostKeyDialog(QMessageBox):
    def __init__(self, host: str, key_type: str, fingerprint: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle("Unknown host key")
        self.setText(unknown_key_text(host, key_type, fingerprint))
        self.accept_button = self.addButton("Accept", QMessageBox.ButtonRole.AcceptRole)
        self.reject_button = self.addButton("Reject", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.reject_button)  # Enter must not accept a key by accident


def ask_with_dialog(parent: QWidget | None) -> Prompt:
    def prompt(host: str, key_type: str, fingerprint: str) -> bool:
        dialog = HostKeyDialog(host, key_type, fingerprint, parent)
        dialog.exec()
        return dialog.clickedButton() is dialog.accept_button

    return prompt


def show_mismatch(error: HostKeyMismatch, parent: QWidget | None) -> QMessageBox:
    """A non-blocking warning naming the host and both fingerprints."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Host key changed", mismatch_text(error))
    box.setParent(parent, box.windowFlags())
    box.open()
    return box


class HostKeyAsker(QObject):
    """``decide`` for ``SshCollector.from_uri``: safe to call from any thread."""

    _asked = Signal(object)
    answered = Signal(str, bool)  # host, accepted

    def __init__(
        self,
        parent: QWidget | None = None,
        prompt: Prompt | None = None,
        timeout_s: float = ANSWER_TIMEOUT_S,
    ) -> None:
        super().__init__(parent)
        self.prompt = prompt or ask_with_dialog(parent)
        self.timeout_s = timeout_s
        self.asked: list[tuple[str, str, str]] = []
        self._asked.connect(self._ask_on_gui_thread)

    def decide(self, host: str, key_type: str, fingerprint: str) -> bool:
        question = _Question(host, key_type, fingerprint)
        if QThread.currentThread() is self.thread():
            self._ask_on_gui_thread(question)
        else:
            self._asked.emit(question)  # queued: the receiver lives on the GUI thread
            if not question.answered.wait(self.timeout_s):
                return False  # nobody answered: refusing is the only safe default
        return question.accepted

    @Slot(object)
    def _ask_on_gui_thread(self, question: _Question) -> None:
        self.asked.append((question.host, question.key_type, question.fingerprint))
        try:
            question.accepted = bool(
                self.prompt(question.host, question.key_type, question.fingerprint)
            )
        finally:
            question.answered.set()
        self.answered.emit(question.host, question.accepted)
