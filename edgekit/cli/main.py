"""`edgekit` entry point: builds the parser from every command module, maps EdgekitError to one line."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback

import edgekit
from edgekit.cli.commands import COMMANDS
from edgekit.errors import EdgekitError

_NOT_COMMANDS = {"__init__", "commands", "main"}


def _load_commands() -> None:
    import edgekit.cli as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in _NOT_COMMANDS and not mod.name.startswith("_"):
            importlib.import_module(f"edgekit.cli.{mod.name}")


def build_parser() -> argparse.ArgumentParser:
    _load_commands()
    parser = argparse.ArgumentParser(prog="edgekit", description=edgekit.__doc__)
    parser.add_argument("--version", action="version", version=f"edgekit {edgekit.__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for entry in COMMANDS:
        cmd = entry.obj()
        # argparse %-formats help strings; command help is plain text ("50/70/90%").
        p = sub.add_parser(entry.name, help=cmd.help.replace("%", "%%"), description=cmd.help)
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show full tracebacks on errors")
        cmd.add_arguments(p)
        p.set_defaults(_command=cmd)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_command", None):
        parser.print_help()
        return 2
    try:
        return int(args._command.run(args) or 0)
    except EdgekitError as exc:
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"edgekit: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("edgekit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
