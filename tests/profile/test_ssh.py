"""The SSH device path end to end against a real OpenSSH sshd on 127.0.0.1 (throwaway keys, own config)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sshd_server
import tiny_models

import edgekit.profile as ekp
from edgekit.cli.main import main
from edgekit.device import DeviceAuthError, DeviceUnreachableError, connect
from edgekit.errors import MissingDependencyError

# One worker runs every ssh test: they share the remote /tmp, whose edgekit-* dirs some tests count.
pytestmark = [pytest.mark.skipif(not Path(sshd_server.SSHD).exists(), reason="needs openssh-server (apt)"),
              pytest.mark.xdist_group("ssh")]

_REMOTE_TMP = re.compile(r"^edgekit-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = sshd_server.start(tmp_path_factory.mktemp("sshd"))
    yield server
    sshd_server.stop(server)


def _remote_temps() -> set[str]:
    return {p.name for p in Path("/tmp").iterdir() if _REMOTE_TMP.match(p.name)}


def _no_temp_left(before: set[str]) -> bool:
    """No edgekit-* dir beyond `before` stays. Another xdist worker's local-device run may hold one of
    its own for a moment (same prefix, same /tmp), so wait up to 20 s for such dirs to go; a dir this
    run leaked never goes."""
    import time

    deadline = time.monotonic() + 20
    while _remote_temps() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    return not (_remote_temps() - before)


def test_transport_push_run_pull(sshd, tmp_path: Path) -> None:
    src = tmp_path / "payload.bin"
    src.write_bytes(bytes(range(256)) * 5)
    with connect(sshd.url(python=sys.executable)) as dev:
        remote = dev.tempdir()
        dev.push(src, f"{remote}/in.bin")
        rc, out, err = dev.run(["sha256sum", f"{remote}/in.bin"], timeout=30)
        assert rc == 0, err
        import hashlib

        assert out.split()[0] == hashlib.sha256(src.read_bytes()).hexdigest()
        rc, _, err = dev.run(["sh", "-c", "echo oops >&2; exit 7"], timeout=30)
        assert rc == 7 and err == "oops\n"
        dev.pull(f"{remote}/in.bin", tmp_path / "back.bin")
        assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
    assert not Path(remote).exists()  # close() removed the remote temp dir


def test_cli_profiles_executorch_over_ssh(sshd, tiny: Path, tmp_path: Path, capsys) -> None:
    before = _remote_temps()
    out = tmp_path / "remote.json"
    rc = main(["profile", str(tiny / "tiny.pte"), "--device", sshd.url(python=sys.executable),
               "--runs", "8", "--warmup", "1", "--threads", "1", "--per-op-runs", "3", "--json", str(out)])
    assert rc == 0, capsys.readouterr().err
    r = ekp.load_result(out)
    assert r.device.startswith("ssh://") and "@" in r.label
    assert 0 < r.latency["p50"] <= r.latency["p90"] <= r.latency["p99"]
    assert len(r.latency["samples"]) == 8
    # the ETRecord travelled with the model: delegate ops are mapped to layers on the board too
    layers = [op["layer"] for op in r.per_op["ops"] if op["name"].startswith(("Convolution", "Fully"))]
    assert layers == list(tiny_models.LAYERS)
    assert _no_temp_left(before)


def test_bundle_over_ssh_checks_and_copies_only_the_artifact(sshd, tiny: Path) -> None:
    r = ekp.profile(tiny / "bundle", runtime="onnx", runs=5, warmup=1, threads=1, per_op_runs=2,
                    device=sshd.url(python=sys.executable))
    assert r.runtime == "onnx" and r.variant == "fp32/dense" and r.per_op["op_count"] > 0
    assert r.data["model"]["sha256"] == json.loads((tiny / "bundle/edgekit.json").read_text())[
        "artifacts"][2]["sha256"]


def test_unreachable_host(tiny: Path) -> None:
    port = sshd_server.free_port()  # nothing listens there
    with pytest.raises(DeviceUnreachableError, match=f"cannot reach 127.0.0.1 port {port}"):
        ekp.profile(tiny / "tiny.onnx", runs=1, device=f"ssh://root@127.0.0.1:{port}?connect_timeout=5")


def test_auth_failure(sshd, tmp_path: Path, tiny: Path, capsys) -> None:
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    url = f"ssh://{sshd.user}@127.0.0.1:{sshd.port}?identity={stranger}&known_hosts={sshd.known_hosts}"
    with pytest.raises(DeviceAuthError, match="refused the SSH login"):
        connect(url)
    rc = main(["profile", str(tiny / "tiny.onnx"), "--device", url, "--runs", "1"])
    err = capsys.readouterr().err
    assert rc != 0 and err.startswith("edgekit: error:") and "Traceback" not in err


def test_board_without_the_runtime(sshd, tiny: Path, tmp_path: Path) -> None:
    """A board whose Python has no site-packages (no numpy, no onnxruntime): a real bare interpreter."""
    bare = tmp_path / "bare-python"
    bare.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')
    bare.chmod(0o755)
    with pytest.raises(MissingDependencyError, match=r"the onnx runtime is not usable on ssh://.*numpy"):
        ekp.profile(tiny / "tiny.onnx", runs=1, device=sshd.url(python=str(bare)))


def test_board_without_python(sshd, tiny: Path) -> None:
    with pytest.raises(MissingDependencyError, match="no Python interpreter"):
        ekp.profile(tiny / "tiny.onnx", runs=1, device=sshd.url(python="/nonexistent/python3"))
