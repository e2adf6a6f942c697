"""Errors a user can cause when talking to a device (all one line, all with a fix)."""

from __future__ import annotations

from edgekit.errors import EdgekitError


class DeviceError(EdgekitError):
    """A device that cannot be reached or used."""

    exit_code = 4


class DeviceUnreachableError(DeviceError):
    """The host does not answer (refused, no route, DNS, timeout)."""


class DeviceAuthError(DeviceError):
    """The host answered but refused the login or its host key does not match."""


class DeviceTimeoutError(DeviceError):
    """A command on the device ran past its time limit."""
