"""Android devices over adb: the same push / pull / run / tempdir / close surface as the SSH transport.

    dev = AdbDevice("adb:R58M123ABC")      # or "adb:" for the only attached device
    tmp = dev.tempdir()                     # /data/local/tmp/edgekit.XXXXXX, removed by close()
    dev.push("model.pte", f"{tmp}/model.pte")
    rc, out, err = dev.run(["ls", "-l", tmp], timeout=30)

Only the real `adb` client is used (Debian package `adb`, or Android platform-tools); nothing is
emulated. Programs run from /data/local/tmp (the one place `adb shell` may execute files); glibc
programs bring their own loader (see the arm64 runner bundle), so Android's bionic is never used.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
from collections.abc import Sequence
from pathlib import Path

from edgekit.device.base import Transport
from edgekit.device.errors import DeviceError, DeviceUnreachableError
from edgekit.device.process import LineCallback, run_streaming
from edgekit.errors import MissingDependencyError

DEVICE_TMP = "/data/local/tmp"


class AdbError(DeviceError):
    """adb answered, but the URL, the device or a command on it is not usable."""


class AdbNoDeviceError(AdbError, DeviceUnreachableError):
    """No device with that serial answers over adb."""


def parse_adb_url(url: str) -> str:
    """'adb:SERIAL' -> 'SERIAL'; 'adb:' or 'adb' -> '' (the only attached device)."""
    if url == "adb":
        return ""
    if not url.startswith("adb:"):
        raise AdbError(f"not an adb device URL: {url!r}", hint="use adb:SERIAL (serials: `adb devices`)")
    serial = url[len("adb:"):].lstrip("/")
    if any(c.isspace() for c in serial):
        raise AdbError(f"adb serial {serial!r} contains whitespace", hint="copy it from `adb devices`")
    return serial


def find_adb() -> str:
    adb = os.environ.get("EDGEKIT_ADB") or shutil.which("adb")
    if not adb:
        raise MissingDependencyError(
            "adb is not installed", hint="`apt install adb` (Debian/Ubuntu) or Android platform-tools, "
            "or set EDGEKIT_ADB=/path/to/adb")
    return adb


class AdbDevice(Transport):
    """One Android device reached through the adb client; each call is one adb process."""

    python = ""  # Android has no Python: profiles run the self-contained edgekit-run bundle

    def __init__(self, url: str = "adb:", *, server_port: int | None = None,
                 connect_timeout: float = 15) -> None:
        self.serial = parse_adb_url(url)
        self.url = f"adb:{self.serial}"
        self._adb = find_adb()
        self._server = ["-P", str(server_port)] if server_port else []
        self._tempdirs: list[str] = []
        self._check_device(connect_timeout)

    def _base(self) -> list[str]:
        return [self._adb, *self._server, *(["-s", self.serial] if self.serial else [])]

    def _adb_call(self, args: list[str], timeout: float | None, what: str,
                  on_stderr_line: LineCallback | None = None) -> tuple[int, str, str]:
        return run_streaming([*self._base(), *args], timeout=timeout, on_stderr_line=on_stderr_line,
                             what=f"{what} on {self.url}")

    def _check_device(self, timeout: float) -> None:
        rc, out, err = self._adb_call(["get-state"], timeout, "adb get-state")
        state = out.strip()
        if rc == 0 and state == "device":
            return
        reason = (err.strip() or state or "no answer").splitlines()[-1].removeprefix("error: ")
        target = f"device {self.serial!r}" if self.serial else "an Android device"
        if "unauthorized" in reason:
            hint = "accept the USB debugging prompt on the phone"
        else:
            hint = "connect it with USB debugging on, then check `adb devices`"
        raise AdbNoDeviceError(f"no answer from {target} over adb ({reason})", hint=hint)

    def run(self, argv: Sequence[str], timeout: float | None = 600, *,
            on_stderr_line: LineCallback | None = None) -> tuple[int, str, str]:
        """Run argv in `adb shell` (shell protocol v2: real exit code, separate stderr)."""
        cmd = shlex.join(list(argv))
        return self._adb_call(["shell", cmd], timeout, f"`{cmd[:60]}`", on_stderr_line)

    def push(self, local: str | os.PathLike[str], remote: str) -> None:
        if not Path(local).exists():
            raise AdbError(f"cannot push {local}: no such file or directory")
        rc, out, err = self._adb_call(["push", str(local), remote], 600, f"adb push {Path(local).name}")
        if rc != 0:
            raise AdbError(f"adb push {local} -> {remote} failed: {_last_line(rc, out, err)}")

    def pull(self, remote: str, local: str | os.PathLike[str]) -> None:
        Path(local).parent.mkdir(parents=True, exist_ok=True)
        rc, out, err = self._adb_call(["pull", remote, str(local)], 600, f"adb pull {remote}")
        if rc != 0:
            raise AdbError(f"adb pull {remote} failed: {_last_line(rc, out, err)}")

    def tempdir(self) -> str:
        rc, out, err = self.run(["mktemp", "-d", f"{DEVICE_TMP}/edgekit.XXXXXX"], timeout=30)
        path = out.strip()
        if rc != 0 or not path.startswith(DEVICE_TMP):
            detail = err.strip() or out.strip()
            raise AdbError(f"cannot create a temp dir in {DEVICE_TMP} on {self.url}: {detail}")
        self._tempdirs.append(path)
        return path

    def profile_model(self, model: Path, settings: dict[str, int], timeout: float) -> dict:
        """Profile a .pte here with the arm64 runner bundle: Android has no Python for the worker."""
        from edgekit.device.runner_profile import profile_with_runner

        return profile_with_runner(self, Path(model), settings, timeout)

    def close(self) -> None:
        dirs, self._tempdirs = self._tempdirs, []
        if dirs:
            with contextlib.suppress(DeviceError):  # best effort: the phone may be unplugged by now
                self.run(["rm", "-rf", *dirs], timeout=60)



def _last_line(rc: int, out: str, err: str) -> str:
    text = (err or out).strip()
    return text.splitlines()[-1] if text else f"exit code {rc}"
