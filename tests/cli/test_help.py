"""Every command's --help renders, through a real subprocess, and unknown commands fail cleanly."""

from __future__ import annotations

import subprocess
import sys

import pytest

from edgekit.cli.commands import COMMANDS
from edgekit.cli.main import build_parser


def _edgekit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edgekit", *args], capture_output=True, text=True,
                          timeout=120)


def test_top_level_help_lists_every_command() -> None:
    build_parser()  # registers every command module
    out = _edgekit("--help")
    assert out.returncode == 0, out.stderr
    for name in COMMANDS.names():
        assert name in out.stdout


@pytest.mark.parametrize("name", sorted(e.name for e in (build_parser() and COMMANDS)))
def test_command_help(name: str) -> None:
    parser = build_parser()
    with pytest.raises(SystemExit) as exc:
        parser.parse_args([name, "--help"])
    assert exc.value.code == 0


def test_unknown_command_is_one_line_error() -> None:
    out = _edgekit("exprot")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert "invalid choice" in out.stderr
