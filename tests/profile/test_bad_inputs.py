"""Bad input -> one clear line, non-zero exit, nothing written (CLI) / an EdgekitError (API)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import edgekit.profile as ekp
from edgekit.bundle import BundleError
from edgekit.cli.main import main
from edgekit.errors import EdgekitError, InvalidInputError


def _cli(argv: list[str], capsys) -> tuple[int, str]:
    rc = main(argv)
    err = capsys.readouterr().err
    return rc, err


@pytest.mark.parametrize("runs", ["0", "-3"])
def test_runs_must_be_positive(tiny: Path, tmp_path: Path, capsys, runs: str) -> None:
    out = tmp_path / "r.json"
    rc, err = _cli(["profile", str(tiny / "tiny.onnx"), "--runs", runs, "--json", str(out)], capsys)
    assert rc != 0 and "--runs must be at least 1" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_missing_file(tmp_path: Path, capsys) -> None:
    rc, err = _cli(["profile", str(tmp_path / "nope.pte")], capsys)
    assert rc != 0 and "does not exist" in err


@pytest.mark.parametrize("name,content,expect", [
    ("empty.pte", b"", "is empty"),
    ("garbage.pte", b"\x00" * 64, "not a valid .pte"),
    ("garbage.tflite", b"hello world, not a flatbuffer", "not a valid .tflite"),
    ("model.bin", b"123", "unknown model format"),
])
def test_corrupt_or_unknown_files_fail_before_any_process(tmp_path: Path, name, content, expect) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInputError, match=expect):
        ekp.profile(path, runs=1)


def test_corrupt_onnx_is_refused_by_the_runtime(tmp_path: Path, capsys) -> None:
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x08\x07garbage-protobuf")
    out = tmp_path / "r.json"
    rc, err = _cli(["profile", str(path), "--runs", "2", "--json", str(out)], capsys)
    assert rc != 0 and "ONNX Runtime cannot load broken.onnx" in err
    assert not out.exists()


def test_truncated_pte_is_refused_by_the_runtime(tiny: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.pte"
    path.write_bytes((tiny / "tiny.pte").read_bytes()[:200])
    with pytest.raises(InvalidInputError, match=re.escape("ExecuTorch cannot load cut.pte")):
        ekp.profile(path, runs=1, per_op_runs=0)


def test_bundle_sha256_mismatch(bundle_copy: Path, capsys, tmp_path: Path) -> None:
    onnx = bundle_copy / "tiny.onnx"
    data = bytearray(onnx.read_bytes())
    data[-1] ^= 0xFF  # same size, different content
    onnx.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=re.escape("tiny.onnx fails its sha256 check")):
        ekp.profile(bundle_copy, runtime="onnx", runs=1)
    out = tmp_path / "all"
    rc, err = _cli(["profile", str(bundle_copy), "--all", "--runs", "1", "--json", str(out)], capsys)
    assert rc != 0 and "sha256" in err and not out.exists()


def test_bundle_truncated_file(bundle_copy: Path) -> None:
    pte = bundle_copy / "tiny.pte"
    pte.write_bytes(pte.read_bytes()[:-10])
    with pytest.raises(BundleError, match="manifest says"):
        ekp.profile(bundle_copy, runtime="executorch", runs=1)


def test_bundle_from_a_newer_schema(bundle_copy: Path) -> None:
    manifest = json.loads((bundle_copy / "edgekit.json").read_text())
    manifest["schema_version"] = 99
    (bundle_copy / "edgekit.json").write_text(json.dumps(manifest))
    with pytest.raises(EdgekitError, match="unsupported schema_version 99"):
        ekp.profile(bundle_copy, runs=1)


def test_bundle_without_requested_runtime(bundle_copy: Path) -> None:
    manifest = json.loads((bundle_copy / "edgekit.json").read_text())
    manifest["artifacts"] = [a for a in manifest["artifacts"] if a["runtime"] != "tflite"]
    (bundle_copy / "edgekit.json").write_text(json.dumps(manifest))
    with pytest.raises(InvalidInputError, match=re.escape("has no tflite model; it has: tiny.pte")):
        ekp.profile(bundle_copy, runtime="tflite", runs=1)


def test_directory_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(EdgekitError, match=re.escape("has no edgekit.json")):
        ekp.profile(tmp_path, runs=1)


def _a_result(tiny: Path) -> dict:
    return ekp.profile(tiny / "tiny.onnx", runs=2, warmup=0, per_op_runs=0).data


def test_report_refuses_older_and_foreign_results(tiny: Path, tmp_path: Path, capsys) -> None:
    data = _a_result(tiny)
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**data, "schema_version": 0}))
    out = tmp_path / "report"
    rc, err = _cli(["report", str(old), "--out", str(out)], capsys)
    assert rc != 0 and "schema_version 0" in err and "re-run `edgekit profile`" in err
    assert not out.exists()
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"hello": 1}))
    with pytest.raises(EdgekitError, match="not an edgekit profile result"):
        ekp.load_result(foreign)
    truncated = tmp_path / "cut.json"
    truncated.write_text(json.dumps(data)[:100])
    with pytest.raises(EdgekitError, match="not valid JSON"):
        ekp.load_result(truncated)


def test_worker_reports_a_python_without_the_runtime(tiny: Path, tmp_path: Path) -> None:
    """The worker file itself, run with `python -S` (no site-packages: no numpy, no runtimes)."""
    worker = Path(ekp.__file__).parent / "worker.py"
    proc = subprocess.run([sys.executable, "-S", str(worker), "--model", str(tiny / "tiny.onnx"),
                           "--runtime", "onnx", "--out", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    assert "EKERROR missing_runtime" in proc.stderr
    assert not (tmp_path / "r.json").exists()
