"""A one-line progress bar on stderr, drawn only when stderr is a terminal.

Piped or redirected output stays clean (scripts parse stderr for the one-line
error). Redraws are rate-limited so a tight loop does not flood the terminal.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

MIN_REDRAW_SECONDS = 0.1


class ProgressBar:
    """``label [#########...........]  45%  4.5/10 s``; a no-op when not enabled.

    ``enabled`` defaults to whether ``stream`` (stderr by default) is a TTY.
    """

    def __init__(
        self,
        total: float,
        label: str = "",
        unit: str = "",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        width: int = 30,
    ) -> None:
        self.total = max(float(total), 0.0)
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_tty(self.stream) if enabled is None else enabled
        self.width = width
        self.done = 0.0
        self._drawn_at = -float("inf")
        self._drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def update(self, done: float) -> None:
        """Set progress to ``done`` (out of ``total``) and redraw if it is time to."""
        self.done = min(max(float(done), 0.0), self.total) if self.total else float(done)
        now = time.monotonic()
        if self.enabled and now - self._drawn_at >= MIN_REDRAW_SECONDS:
            self._draw()
            self._drawn_at = now

    def render(self) -> str:
        """The bar as text, without the carriage return."""
        fraction = self.done / self.total if self.total else 1.0
        filled = round(fraction * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        unit = f" {self.unit}" if self.unit else ""
        figures = f"{_number(self.done)}/{_number(self.total)}{unit}"
        prefix = f"{self.label} " if self.label else ""
        return f"{prefix}[{bar}] {fraction * 100:3.0f}%  {figures}"

    def close(self) -> None:
        """Finish the line so the next message starts on a fresh one."""
        if self.enabled and self._drawn:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def _draw(self) -> None:
        # "\x1b[K" clears what a longer previous line left behind.
        self.stream.write("\r" + self.render() + "\x1b[K")
        self.stream.flush()
        self._drawn = True


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or already closed
        return False


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
