"""`edgekit profile --device adb:...`: the runner-bundle path's parsing and device facts, and the CLI's
errors with the real adb client (no Android device is attached here, so the happy path is not run)."""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys

import pytest

from edgekit.device.local import LocalTransport
from edgekit.device.runner_profile import device_environment, parse_runner_output, runner_bundle
from edgekit.errors import InvalidInputError, MissingDependencyError


def test_runner_output_drops_the_first_inference_and_the_warmup():
    line = ('{"runs": 6, "threads": 2, "median_ms": 2.0, "min_ms": 1.0, "outputs": [[1, 10]], '
            '"samples_ms": [9.0, 5.0, 4.0, 1.0, 2.0, 3.0], "load_ms": 12.5}')
    parsed = parse_runner_output("I some log line\n" + line + "\n", warmup=2)
    assert parsed["first_inference_ms"] == 9.0 and parsed["samples"] == [1.0, 2.0, 3.0]
    assert parsed["load_ms"] == 12.5 and parsed["threads"] == 2
    with pytest.raises(InvalidInputError, match="samples_ms"):
        parse_runner_output('{"runs": 3, "median_ms": 1.0, "min_ms": 1.0}', warmup=0)
    with pytest.raises(InvalidInputError, match="no JSON result"):
        parse_runner_output("Segmentation fault", warmup=0)


def test_device_facts_from_a_real_shell():
    # The same commands adb runs on a phone, here on this Linux host: getprop is absent, the rest is real.
    env = device_environment(LocalTransport(), threads=2)
    assert env["arch"] == platform.machine() and env["cores_logical"] == os.cpu_count()
    assert env["os"].startswith("Linux ") and env["android"] == {} and env["threads"] == 2
    assert env["cpu_model"] != "unknown"


def test_missing_runner_bundle_names_the_make_target(monkeypatch, tmp_path):
    monkeypatch.setenv("EDGEKIT_ARM64_RUNNER", str(tmp_path))
    with pytest.raises(MissingDependencyError, match="make arm64-runner-bundle"):
        runner_bundle()


@pytest.mark.skipif(shutil.which("adb") is None, reason="needs Debian's adb (requirements/apt/arm64.txt)")
def test_profile_cli_reports_an_absent_phone_in_one_line(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    model = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(graph), model)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ADB_SERVER_SOCKET": f"tcp:localhost:{port}"}
    try:
        proc = subprocess.run([sys.executable, "-m", "edgekit", "profile", str(model), "--device",
                               "adb:edgekit-no-phone", "--runs", "3"], capture_output=True, text=True,
                              env=env, timeout=120)
    finally:
        subprocess.run(["adb", "-P", str(port), "kill-server"], capture_output=True, timeout=30)
    assert proc.returncode == 4, proc.stderr
    err = proc.stderr.strip()
    assert err.startswith("edgekit: error: no answer from device 'edgekit-no-phone' over adb")
    assert "\n" not in err
    assert "Traceback" not in proc.stderr
