"""`edgekit export` through a real subprocess: a small ONNX export, a recipe, --json, and every bad
input the issue lists (one-line error, non-zero exit, no traceback, no half-written bundle)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

import edgekit

SMALL = ["--width-mult", "0.35", "--input-size", "32"]
pytestmark = pytest.mark.xdist_group("spine-cli")


def _assert_user_error(proc, *needles: str) -> str:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("edgekit: error:")]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir()) if parent.exists() else []


def test_cli_export_json_and_bundle_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "mnv2"
    proc = run_cli("export", "mobilenet_v2", *SMALL, "--format", "onnx", "--precision", "fp32,int8",
                   "--calib", "digits", "--calib-n", "8", "--eval-n", "4", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)                      # stdout is pure JSON despite converter chatter
    assert doc["bundle"] == str(out)
    manifest = doc["manifest"]
    pairs = [(a["format"], a["precision"]) for a in manifest["artifacts"]]
    assert pairs == [("onnx", "fp32"), ("onnx", "int8")]
    assert manifest["calibration"]["source"] == "digits"
    assert "converting" in proc.stderr                 # progress goes to stderr
    pred = edgekit.load(out, precision="int8")
    assert pred.runtime == "onnx" and pred.input_shape == (1, 3, 32, 32)
    assert pred.run(np.zeros((1, 3, 32, 32), np.float32)).shape == (1, 1000)
    assert len(pred.classify(np.zeros((1, 3, 32, 32), np.float32), k=3)[0]) == 3


def test_cli_recipe_with_overrides(tmp_path: Path) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text('model = "mobilenet_v3_small"\nformats = ["onnx", "tflite"]\nprecisions = ["int8"]\n'
                      '[model_kwargs]\nwidth_mult = 0.5\ninput_size = 32\nnum_classes = 10\n'
                      '[calibration]\nsource = "fashion-mnist"\nn = 8\n')
    out = tmp_path / "from-recipe"
    proc = run_cli("export", "--recipe", str(recipe), "--format", "onnx", "--eval-n", "16", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "parity" in proc.stdout and "int8" in proc.stdout
    manifest = json.loads((out / "edgekit.json").read_text())
    assert [a["file"] for a in manifest["artifacts"]] == ["mobilenet_v3_small_int8.onnx"]  # flag won
    assert manifest["model"]["num_classes"] == 10
    assert manifest["accuracy"]["dataset"] == "fashion-mnist" and manifest["accuracy"]["n"] == 16
    assert manifest["config"]["recipe"] == str(recipe)


def test_cli_lists_models_and_formats() -> None:
    proc = run_cli("models", "--json")
    names = {m["name"] for m in json.loads(proc.stdout)}
    assert {"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
            "efficientnet_lite0"} <= names
    fmts = json.loads(run_cli("formats", "--json").stdout)
    assert sorted(f["suffix"] for f in fmts) == [".onnx", ".pte", ".tflite"]
    table = run_cli("models", "--markdown").stdout
    assert "| `efficientnet_lite0` |" in table and "(`.tflite`)" in table


@pytest.mark.parametrize(("args", "needles"), [
    (["mobilenet_v9"], ["unknown model 'mobilenet_v9'", "mobilenet_v2"]),
    (["mobilenet_v2", "--format", "coreml"], ["unknown format 'coreml'", "executorch, onnx, tflite"]),
    (["mobilenet_v2", "--precision", "fp16"], ["unknown precision 'fp16'", "fp32, int8"]),
    (["mobilenet_v2", "--precision", "int8"], ["int8 needs calibration data", "--calib"]),
    (["mobilenet_v2", "--input-shape", "1,3,32"], ["not N,C,H,W", "--input-shape"]),
    (["mobilenet_v2", "--input-shape", "1,1,32,32", "-f", "onnx"], ["does not run on input shape",
                                                                     "--input-shape"]),
    (["mobilenet_v2", "-p", "int8", "--calib", "no-such-data"], ["unknown data set 'no-such-data'"]),
    (["mobilenet_v2", "--recipe", "/nonexistent/recipe.toml"], ["recipe", "does not exist"]),
    ([], ["no model given"]),
])
def test_cli_bad_input_is_one_line(tmp_path: Path, args: list[str], needles: list[str]) -> None:
    out = tmp_path / "out"
    proc = run_cli("export", *args, *SMALL, "--out", str(out), timeout=300)
    _assert_user_error(proc, *needles)
    assert not out.exists() and _leftovers(tmp_path) == []


def test_cli_unwritable_output_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    proc = run_cli("export", "mobilenet_v2", *SMALL, "-f", "onnx", "--eval-n", "1",
                   "--out", str(blocker / "bundle"))
    _assert_user_error(proc, "cannot create output directory", "--out")


def test_cli_debug_shows_traceback() -> None:
    proc = run_cli("--debug", "export", "mobilenet_v9", timeout=300)
    assert proc.returncode != 0 and "Traceback" in proc.stderr


BAD_OP_MODEL = """
import torch
INPUT_SHAPE = (1, 3, 8, 8)

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.head = torch.nn.Linear(4, 5)

    def forward(self, x):
        y = torch.erfinv(torch.tanh(self.conv(x)) * 0.5)
        return self.head(y.mean((2, 3)))

def build():
    return Net()
"""


def test_cli_unsupported_op_names_op_node_format_and_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "badop.py"
    src.write_text(BAD_OP_MODEL)
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "edgekit.json").write_text("{}")           # an older bundle must survive a failed export
    # ONNX (opset 17) has no erfinv; ExecuTorch's runtime has no erfinv kernel either (found at export).
    proc = run_cli("export", f"{src}:build", "--format", "onnx", "--eval-n", "2", "--out", str(out))
    line = _assert_user_error(proc, "onnx", "aten.erfinv", "node 'erfinv'")
    assert "--format" in line
    assert sorted(p.name for p in out.iterdir()) == ["edgekit.json"]
    assert (out / "edgekit.json").read_text() == "{}"
    assert _leftovers(tmp_path) == ["badop.py", "bundle"]
    proc = run_cli("export", f"{src}:build", "--format", "executorch", "--eval-n", "2", "--out", str(out))
    _assert_user_error(proc, "executorch", "aten.erfinv", "node 'erfinv'")
    assert sorted(p.name for p in out.iterdir()) == ["edgekit.json"]


def test_cli_user_model_needs_input_shape(tmp_path: Path) -> None:
    src = tmp_path / "plain.py"
    src.write_text("import torch\ndef make():\n    return torch.nn.Sequential(torch.nn.Conv2d(3, 2, 1), "
                   "torch.nn.Flatten())\n")
    proc = run_cli("export", f"{src}:make", "-f", "onnx", "--out", str(tmp_path / "o"))
    _assert_user_error(proc, "does not declare its input shape", "--input-shape")
    proc = run_cli("export", f"{src}:make", "-f", "onnx", "--input-shape", "1,3,5,7", "--eval-n", "2",
                   "--out", str(tmp_path / "o"), "--json")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads(proc.stdout)["manifest"]
    assert manifest["input"]["shape"] == [1, 3, 5, 7]
    assert manifest["parity_inputs"]["source"] == "sample-images"   # real photos, resized to 5x7
    assert manifest["artifacts"][0]["parity"]["max_abs_diff"] < 1e-5
