"""`edgekit tflite-sparse FILE`: the report on a real file, the unsafe-file exit code, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

from .test_writer import _force_sparse_fc_at_version


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgekit", "tflite-sparse", *args],
                          capture_output=True, text=True, timeout=300)


def test_report_and_write(tmp_path, fp32_model):
    _, dense = fp32_model
    src, out = tmp_path / "dense.tflite", tmp_path / "sparse.tflite"
    src.write_bytes(dense)
    res = _cli(str(src), "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["unsafe"] == [] and report["xnnpack_sparse_inference"]["qualifies"] is True
    assert {x["storage"] for x in report["layers"]} == {"dense", "densify", "block_sparse"}
    assert out.stat().st_size == report["sparse_size_bytes"] < len(dense)


def test_unsafe_file_exits_1_and_names_the_op(tmp_path, fp32_model):
    _, dense = fp32_model
    trap = tmp_path / "trap.tflite"
    trap.write_bytes(_force_sparse_fc_at_version(dense, 5))
    res = _cli(str(trap))
    assert res.returncode == 1
    assert "UNSAFE" in res.stdout and "FULLY_CONNECTED v5" in res.stdout


def test_bad_input_is_a_one_line_error(tmp_path):
    bad = tmp_path / "x.tflite"
    bad.write_bytes(b"\x00" * 64)
    res = _cli(str(bad))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip().startswith("edgekit: error:") and len(res.stderr.strip().splitlines()) == 1
