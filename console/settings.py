"""Typed user settings, saved as JSON in the config directory.

Only Headroom's own choices live here; Qt's opaque blobs (window geometry, dock
state) go to QSettings (see :mod:`console.main_window`). The file carries a
schema version so an older file is migrated rather than misread. A value that
is unknown or invalid falls back to its default with a logged warning; a file
that cannot be parsed at all is renamed aside (never deleted) so the operator
can recover it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from connectors.paths import config_dir

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
SETTINGS_FILE = "settings.json"
THEMES = ("system", "dark", "light")
TIME_WINDOWS = ("5m", "1h", "24h", "7d")


@dataclass
class Settings:
    interval_s: float = 1.0
    theme: str = "system"  # "system" follows the desktop; "dark"/"light" override it
    default_window: str = "5m"
    store_path: str | None = None  # None: connectors.paths.default_store_path()
    retention_days: int = 30
    schema_version: int = SCHEMA_VERSION


@dataclass
class LoadedSettings:
    """What :func:`load_settings` found, plus messages the operator should see once."""

    settings: Settings
    messages: list[str] = field(default_factory=list)


def _valid_interval(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0.1 <= value <= 3600


def _valid_retention(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 3650


VALIDATORS: dict[str, Callable[[Any], bool]] = {
    "interval_s": _valid_interval,
    "theme": lambda value: value in THEMES,
    "default_window": lambda value: value in TIME_WINDOWS,
    "store_path": lambda value: value is None or (isinstance(value, str) and bool(value.strip())),
    "retention_days": _valid_retention,
}


def _migrate_v1(raw: dict[str, Any]) -> dict[str, Any]:
    # Version 1 stored the interval in milliseconds under "interval_ms".
    migrated = dict(raw)
    if "interval_ms" in migrated:
        interval_ms = migrated.pop("interval_ms")
        if isinstance(interval_ms, int | float):
            migrated["interval_s"] = interval_ms / 1000.0
    migrated["schema_version"] = 2
    return migrated


# schema version found in the file -> function turning it into the next version
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _migrate_v1}


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Bring a parsed settings dict up to :data:`SCHEMA_VERSION`, one step at a time."""
    version = raw.get("schema_version", 1)
    while isinstance(version, int) and version < SCHEMA_VERSION and version in MIGRATIONS:
        raw = MIGRATIONS[version](raw)
        version = raw.get("schema_version", version + 1)
    return raw


def from_dict(raw: dict[str, Any], messages: list[str] | None = None) -> Settings:
    """Settings from a parsed (and migrated) dict; bad or unknown keys become warnings."""
    messages = messages if messages is not None else []
    defaults = Settings()
    values: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)}
    for key in sorted(set(raw) - known):
        _warn(messages, f"settings: ignoring unknown key {key!r}")
    for name, valid in VALIDATORS.items():
        if name not in raw:
            continue
        if valid(raw[name]):
            values[name] = raw[name]
        else:
            default = getattr(defaults, name)
            _warn(messages, f"settings: invalid {name}={raw[name]!r}, using default {default!r}")
    if "interval_s" in values:
        values["interval_s"] = float(values["interval_s"])
    return Settings(**values)


def load_settings(path: Path | None = None) -> LoadedSettings:
    """Read settings; never raises for a missing, invalid or corrupt file."""
    path = path or settings_path()
    messages: list[str] = []
    if not path.exists():
        return LoadedSettings(Settings(), messages)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("top level is not an object")
    except (OSError, UnicodeDecodeError, ValueError) as error:
        aside = _rename_aside(path)
        where = f"; kept as {aside}" if aside else ""
        _warn(messages, f"settings file {path} is corrupt ({error}); using defaults{where}")
        return LoadedSettings(Settings(), messages)
    return LoadedSettings(from_dict(migrate(raw), messages), messages)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically (temp file, then rename) so a crash never leaves half a file."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(settings)
    data["schema_version"] = SCHEMA_VERSION
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


def _rename_aside(path: Path) -> Path | None:
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        path.replace(aside)
    except OSError as error:
        log.warning("could not rename corrupt settings file %s: %s", path, error)
        return None
    return aside


def _warn(messages: list[str], message: str) -> None:
    log.warning(message)
    messages.append(message)
