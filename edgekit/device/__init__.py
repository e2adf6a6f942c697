"""Devices that run profiles: this machine, Linux boards over SSH, Android over adb.

    with edgekit.device.connect("ssh://pi@raspberrypi.local") as dev:
        tmp = dev.tempdir(); dev.push("model.pte", f"{tmp}/model.pte")
        rc, out, err = dev.run([dev.python, "-c", "print(1)"], timeout=60)

Schemes live in the DEVICES registry (factory(url) -> Transport); adb registers itself there.
"""

from __future__ import annotations

from collections.abc import Callable

from edgekit.device.base import Transport
from edgekit.device.errors import DeviceAuthError, DeviceError, DeviceTimeoutError, DeviceUnreachableError
from edgekit.registry import Registry

DEVICES: Registry[Callable[[str], Transport]] = Registry("device scheme")


@DEVICES.register("local")
def _local(url: str) -> Transport:
    from edgekit.device.local import LocalTransport

    return LocalTransport()


@DEVICES.register("ssh")
def _ssh(url: str) -> Transport:
    from edgekit.device.ssh import SshTransport

    return SshTransport(url)


@DEVICES.register("adb")
def _adb(url: str) -> Transport:
    from edgekit.device.adb import AdbDevice

    return AdbDevice(url)  # type: ignore[return-value]  # same surface, duck-typed


def scheme_of(url: str) -> str:
    """'local' -> local, 'ssh://u@h' -> ssh, 'adb:SERIAL' / 'adb' -> adb."""
    return url.split(":", 1)[0] if ":" in url else url


def connect(url: str = "local") -> Transport:
    """A Transport for `url`: 'local', 'ssh://user@host[:port]' or 'adb:SERIAL'."""
    return DEVICES.get(scheme_of(url))(url)


__all__ = ["DEVICES", "DeviceAuthError", "DeviceError", "DeviceTimeoutError", "DeviceUnreachableError",
           "Transport", "connect", "scheme_of"]
