"""Subcommand registry: a module in edgekit/cli/ defines one command with @command.

    @command("export", help="export a model to ExecuTorch / TFLite / ONNX")
    class Export(Command):
        def add_arguments(self, p): p.add_argument(...)
        def run(self, args) -> int: ...

Keep module-level imports light (argparse only): heavy imports (torch, runtimes) go inside run(),
so `edgekit --help` stays instant.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from edgekit.registry import Registry


class Command:
    help: str = ""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:  # pragma: no cover - default
        pass

    def run(self, args: argparse.Namespace) -> int:
        raise NotImplementedError


COMMANDS: Registry[type[Command]] = Registry("command")


def command(name: str, *, help: str) -> Callable[[type[Command]], type[Command]]:
    def decorator(cls: type[Command]) -> type[Command]:
        cls.help = help
        return COMMANDS.register(name)(cls)

    return decorator
