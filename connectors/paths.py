"""Where Headroom keeps its files: the XDG (or platform) config and data directories.

``HEADROOM_CONFIG_DIR`` and ``HEADROOM_DATA_DIR`` override them; the test suite
sets both to temporary directories so tests never touch the user's real files.
The paths match what Qt's QStandardPaths gives for the application name
"headroom" on Linux (``~/.config/headroom``, ``~/.local/share/headroom``).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "headroom"


def config_dir() -> Path:
    override = os.environ.get("HEADROOM_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    override = os.environ.get("HEADROOM_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def default_store_path() -> Path:
    return data_dir() / "metrics.sqlite"
