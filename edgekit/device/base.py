"""The transport interface every device speaks (local, ssh, adb)."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path

from edgekit.device.process import LineCallback


class Transport(abc.ABC):
    """Copy files to and from a device and run commands on it.

    `python` is the interpreter to run on the device; `url` is what the user typed, for messages.
    Temp dirs made with tempdir() are removed by close(). Use as a context manager.
    """

    url: str
    python: str = "python3"
    is_local: bool = False

    @abc.abstractmethod
    def push(self, local: str | Path, remote: str) -> None: ...

    @abc.abstractmethod
    def pull(self, remote: str, local: str | Path) -> None: ...

    @abc.abstractmethod
    def run(self, argv: Sequence[str], timeout: float | None = None, *,
            on_stderr_line: LineCallback | None = None) -> tuple[int, str, str]: ...

    @abc.abstractmethod
    def tempdir(self) -> str: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
