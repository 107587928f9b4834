"""``headroom console`` (also what plain ``headroom`` does): open the desktop console."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(name, help="open the desktop console (the default)")
    parser.add_argument("--store", type=Path, help="metric store file (default: user data dir)")
    parser.add_argument(
        "--interval", type=float, default=None, help="collection interval in seconds (default 1)"
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the window, wait for the first live samples, then exit 0 (for packaging checks)",
    )


def run(args: argparse.Namespace) -> int:
    from console.app import run_app  # Qt is imported only here

    return run_app(args)
