"""A long error in the status bar is cut, never widening the window past the screen."""

from __future__ import annotations

from console.views.status_bar import StatusBarView


def test_long_error_does_not_raise_the_minimum_width(qtbot) -> None:
    bar = StatusBarView()
    qtbot.addWidget(bar)
    before = bar.minimumSizeHint().width()
    bar.show_error("Webhook", "x" * 2000, "details")
    assert bar.minimumSizeHint().width() == before
    assert "x" * 100 in bar.error_label.text()  # the text is all there, only cut on screen
