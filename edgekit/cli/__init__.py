"""The `edgekit` command line. Each subcommand is one module in this package that registers itself."""

from edgekit.cli.commands import COMMANDS, Command, command

__all__ = ["COMMANDS", "Command", "command"]
