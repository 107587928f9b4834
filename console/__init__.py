"""Headroom's Qt console and command-line interface."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("headroom")
except PackageNotFoundError:  # running from a source tree or a frozen bundle
    __version__ = "0.1.0"
