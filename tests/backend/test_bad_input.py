"""Bad input: corrupt delegate blobs are rejected without crashing; a missing backend is explained."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edgekit.backends.executorch import runtime
from edgekit.errors import MissingDependencyError

REPO = Path(__file__).resolve().parents[2]


def run_py(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=REPO,
                          env={**os.environ, **(env or {})})


def test_corrupt_blobs_are_rejected_not_crashing(tiny_export: dict) -> None:
    proc = run_py("-m", "tests.backend.corrupt_driver", str(tiny_export["pte"]), "200")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["rejected"] >= 9  # every hand-made corruption, plus most random ones
    assert all("could not load" in m and "re-export" in m for m in result["messages"])
    assert "invalid delegate blob" in proc.stderr  # the backend says why in the log


def test_runner_rejects_corrupt_blob(tiny_export: dict, tmp_path: Path) -> None:
    data = bytearray(tiny_export["pte"].read_bytes())
    base = data.index(b"EKXB")
    data[base + 4] = 42  # version
    bad = tmp_path / "bad.pte"
    bad.write_bytes(bytes(data))
    proc = subprocess.run([str(runtime.BUILD_DIR / "edgekit-run"), str(bad)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert "version 42 not supported" in proc.stderr and "failed to load method" in proc.stderr


def test_missing_backend_says_how_to_fix(tiny_export: dict) -> None:
    code = (
        "from edgekit.backends.executorch import runtime\n"
        "from edgekit.errors import EdgekitError\n"
        f"try:\n    runtime.load_method({str(tiny_export['pte'])!r}, load_backend=False)\n"
        "except EdgekitError as exc:\n    print('ERROR', exc)\n"
    )
    proc = run_py("-c", code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ERROR" in proc.stdout and "EdgekitBackend" in proc.stdout and "import edgekit" in proc.stdout


def test_unbuilt_library_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runtime.ENV_LIBRARY, str(tmp_path / "missing.so"))
    monkeypatch.setattr(runtime, "BUILD_DIR", tmp_path)
    monkeypatch.setattr(runtime, "_library", None)
    monkeypatch.setattr(runtime, "__file__", str(tmp_path / "runtime.py"))
    with pytest.raises(MissingDependencyError, match="make backend"):
        runtime.load_library()
