"""`edgekit-run` (no Python) runs the sparse .pte and agrees with the Python runtime and eager."""

from __future__ import annotations

import json
import subprocess

import numpy as np

from edgekit.backends.executorch import runtime


def run_runner(pte, *args: str) -> subprocess.CompletedProcess:
    exe = runtime.BUILD_DIR / "edgekit-run"
    return subprocess.run([str(exe), str(pte), *args], capture_output=True, text=True, timeout=120)


def test_runner_matches_python_and_eager(tiny_export: dict) -> None:
    d = tiny_export["dir"]
    tiny_export["x"].numpy().astype("<f4").tofile(d / "in.f32")
    py = runtime.load_method(tiny_export["pte"]).execute([tiny_export["x"]])[0].numpy()
    ref = tiny_export["ref"].numpy()
    for threads in ("1", "2"):
        out = d / f"out{threads}.f32"
        proc = run_runner(tiny_export["pte"], "--runs", "3", "--threads", threads,
                          "--input", str(d / "in.f32"), "--output", str(out))
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        assert report["runs"] == 3 and report["outputs"] == [list(ref.shape)]
        y = np.fromfile(out, dtype="<f4").reshape(ref.shape)
        np.testing.assert_allclose(y, py, rtol=1e-5, atol=1e-6 * np.abs(py).max())
        assert np.abs(y - ref).max() <= 1e-4 * np.abs(ref).max()


def test_runner_rejects_bad_arguments(tiny_export: dict, tmp_path) -> None:
    assert run_runner(tiny_export["pte"], "--runs", "0").returncode == 2
    missing = run_runner(tmp_path / "nope.pte")
    assert missing.returncode == 1 and "cannot open" in missing.stderr
    wrong_size = tmp_path / "small.f32"
    np.zeros(5, "<f4").tofile(wrong_size)
    proc = run_runner(tiny_export["pte"], "--input", str(wrong_size))
    assert proc.returncode == 1 and "input file" in proc.stderr
