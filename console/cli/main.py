"""Entry point of the ``headroom`` command.

With no subcommand it opens the console. Each subcommand lives in its own
module exposing ``add_parser(subparsers)`` and ``run(args) -> int``; they are
listed here explicitly (no discovery by directory scan) and imported lazily so
``headroom --help`` and the headless commands stay fast and never load Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from console import __version__
from console.cli.errors import EXIT_USAGE, UsageError

# subcommand name -> module implementing it
SUBCOMMANDS: dict[str, str] = {
    "console": "console.cli.open_console",
    "collect": "console.cli.collect",
    "export": "console.cli.export",
    "detect": "console.cli.detect",
    "analyze": "console.cli.analyze",
    "forecast": "console.cli.forecast",
    "backtest": "console.cli.backtest",
    "simulate": "console.cli.simulate",
    "audit": "console.cli.audit",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        # One line on stderr, exit 2; the usage is one `--help` away.
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="headroom",
        description="Headroom: live metrics, forecasts, anomalies and scaling plans. "
        "Run with no subcommand to open the console.",
    )
    parser.add_argument("--version", action="version", version=f"headroom {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    for name, module_name in SUBCOMMANDS.items():
        importlib.import_module(module_name).add_parser(subparsers, name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # No subcommand (possibly with console options such as --smoke-test): open the console.
    if not args_list or (
        args_list[0] not in SUBCOMMANDS and args_list[0] not in {"-h", "--help", "--version"}
    ):
        args_list = ["console", *args_list]
    parser = build_parser()
    args = parser.parse_args(args_list)
    command = args.command
    module = importlib.import_module(SUBCOMMANDS[command])
    try:
        return int(module.run(args))
    except UsageError as error:
        print(f"headroom {command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"headroom {command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
