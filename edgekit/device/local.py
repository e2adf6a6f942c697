"""The machine edgekit runs on, behind the same interface as a remote board."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from edgekit.device.base import Transport
from edgekit.device.process import LineCallback, run_streaming


class LocalTransport(Transport):
    is_local = True

    def __init__(self, python: str | None = None) -> None:
        self.url = "local"
        self.python = python or sys.executable
        self._temps: list[str] = []

    def push(self, local: str | Path, remote: str) -> None:
        src = Path(local)
        if src.is_dir():
            shutil.copytree(src, remote, dirs_exist_ok=True)
        else:
            shutil.copy2(src, remote)

    def pull(self, remote: str, local: str | Path) -> None:
        self.push(remote, str(local))

    def run(self, argv: Sequence[str], timeout: float | None = None, *,
            on_stderr_line: LineCallback | None = None) -> tuple[int, str, str]:
        return run_streaming(argv, timeout=timeout, on_stderr_line=on_stderr_line,
                             what=f"{Path(argv[0]).name} on this machine")

    def tempdir(self) -> str:
        path = tempfile.mkdtemp(prefix="edgekit-")
        self._temps.append(path)
        return path

    def close(self) -> None:
        for path in self._temps:
            shutil.rmtree(path, ignore_errors=True)
        self._temps.clear()
