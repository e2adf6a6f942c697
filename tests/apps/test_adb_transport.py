"""The adb transport's error paths against the real adb client (no Android device is attached here)."""

from __future__ import annotations

import shutil
import socket
import subprocess

import pytest

from edgekit.device import DeviceUnreachableError, connect
from edgekit.device.adb import AdbDevice, AdbError, parse_adb_url
from edgekit.errors import EdgekitError, MissingDependencyError

needs_adb = pytest.mark.skipif(shutil.which("adb") is None,
                               reason="needs Debian's adb (requirements/apt/arm64.txt)")


@pytest.fixture(scope="module")
def adb_port():
    """A private adb server port, so the test never talks to (or kills) anyone else's adb server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    yield port
    subprocess.run(["adb", "-P", str(port), "kill-server"], capture_output=True, timeout=30)


def test_url_parsing():
    assert parse_adb_url("adb:R58M123ABC") == "R58M123ABC"
    assert parse_adb_url("adb:") == ""
    assert parse_adb_url("adb") == ""
    assert parse_adb_url("adb:192.168.1.7:5555") == "192.168.1.7:5555"
    with pytest.raises(AdbError, match="not an adb device URL"):
        parse_adb_url("ssh://pi@host")
    with pytest.raises(AdbError, match="whitespace"):
        parse_adb_url("adb:two words")


def test_missing_adb_binary_is_a_one_line_install_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("EDGEKIT_ADB", raising=False)
    with pytest.raises(MissingDependencyError) as info:
        AdbDevice("adb:any")
    msg = info.value.one_line()
    assert "adb is not installed" in msg and "apt install adb" in msg and "\n" not in msg


@needs_adb
def test_unknown_serial_is_reported_by_the_real_adb(adb_port):
    with pytest.raises(AdbError) as info:
        AdbDevice("adb:edgekit-no-such-phone", server_port=adb_port)
    msg = info.value.one_line()
    assert "no answer from device 'edgekit-no-such-phone' over adb" in msg
    assert "not found" in msg and "adb devices" in msg and "\n" not in msg
    assert isinstance(info.value, EdgekitError)


@needs_adb
def test_no_device_attached_at_all(adb_port):
    with pytest.raises(AdbError, match=r"no answer from an Android device over adb \(.*no devices"):
        AdbDevice("adb:", server_port=adb_port)


@needs_adb
def test_connect_url_reaches_the_adb_transport(adb_port, monkeypatch):
    # connect() is what `edgekit profile --device adb:...` uses; the private server port goes through
    # ADB_SERVER_SOCKET, which the real adb client honours.
    monkeypatch.setenv("ADB_SERVER_SOCKET", f"tcp:localhost:{adb_port}")
    with pytest.raises(DeviceUnreachableError, match="no answer from device 'edgekit-absent'"):
        connect("adb:edgekit-absent")
