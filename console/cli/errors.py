"""How CLI commands report failure: raise ``UsageError`` and main prints one line, exit 2."""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad usage or bad input. The message is shown on stderr as one line."""
