"""User-facing errors: one line that says what is wrong and how to fix it.

The CLI prints `edgekit: error: <message>` and exits non-zero; a traceback is shown only with --debug.
Raise these for anything a user can cause (bad names, bad files, bad flags); let real bugs propagate.
"""

from __future__ import annotations


class EdgekitError(Exception):
    """An error caused by the user's input or environment, with a fix in the message."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UnknownNameError(EdgekitError, KeyError):
    """A name that is not in a registry; the message lists the valid ones."""

    def __str__(self) -> str:  # KeyError would repr() the message otherwise
        return self.one_line()


class InvalidInputError(EdgekitError, ValueError):
    """A value, shape or file that edgekit cannot use."""


class MissingDependencyError(EdgekitError, ImportError):
    """A runtime or tool that is not installed."""

    exit_code = 3
