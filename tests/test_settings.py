"""Typed settings: round trip, migration, bad values and corrupt files."""

from __future__ import annotations

import json
import logging

from console.settings import (
    SCHEMA_VERSION,
    Settings,
    load_settings,
    save_settings,
    settings_path,
)


def test_missing_file_gives_defaults_without_messages() -> None:
    loaded = load_settings()
    assert loaded.settings == Settings()
    assert loaded.messages == []


def test_round_trip_keeps_every_field() -> None:
    original = Settings(
        interval_s=2.5,
        theme="dark",
        default_window="24h",
        store_path="/srv/m.sqlite",
        retention_days=90,
    )
    path = save_settings(original)
    assert path == settings_path()
    assert path.parent.exists()
    loaded = load_settings()
    assert loaded.settings == original
    assert loaded.messages == []
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION


def test_invalid_and_unknown_values_fall_back_with_a_warning(caplog) -> None:
    settings_path().parent.mkdir(parents=True)
    settings_path().write_text(
        json.dumps(
            {
                "schema_version": SCHEMA_VERSION,
                "interval_s": -3,
                "theme": "solarized",
                "default_window": "1h",
                "retention_days": True,  # a bool is not a number of days
                "colour": "red",
            }
        )
    )
    with caplog.at_level(logging.WARNING, logger="console.settings"):
        loaded = load_settings()
    assert loaded.settings.interval_s == 1.0
    assert loaded.settings.theme == "system"
    assert loaded.settings.retention_days == 30
    assert loaded.settings.default_window == "1h"  # the valid value is kept
    text = "\n".join(loaded.messages)
    for word in ("interval_s", "theme", "retention_days", "'colour'"):
        assert word in text
    assert len(caplog.records) == 4


def test_corrupt_file_is_renamed_aside_not_deleted() -> None:
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"theme": "dark", ')  # truncated by a crash
    loaded = load_settings()
    assert loaded.settings == Settings()
    assert not path.exists()
    aside = list(path.parent.glob("settings.json.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_text() == '{"theme": "dark", '
    assert str(aside[0]) in loaded.messages[0]
    # The next save starts a fresh file; the corrupt copy stays for the operator.
    save_settings(Settings(theme="light"))
    assert load_settings().settings.theme == "light"
    assert aside[0].exists()


def test_a_non_object_file_counts_as_corrupt() -> None:
    settings_path().parent.mkdir(parents=True)
    settings_path().write_text("[1, 2, 3]")
    loaded = load_settings()
    assert loaded.settings == Settings()
    assert "corrupt" in loaded.messages[0]


def test_version_1_file_is_migrated() -> None:
    settings_path().parent.mkdir(parents=True)
    settings_path().write_text(json.dumps({"interval_ms": 2000, "theme": "light"}))
    loaded = load_settings()
    assert loaded.settings.interval_s == 2.0
    assert loaded.settings.theme == "light"
    assert loaded.messages == []
