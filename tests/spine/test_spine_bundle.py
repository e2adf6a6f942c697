"""Bundles and edgekit.load: round trip on all three runtimes, and every way a bundle/file can be bad."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import edgekit
from edgekit import bundle
from edgekit.config import ExportConfig
from edgekit.errors import EdgekitError, InvalidInputError
from edgekit.export import export

pytestmark = pytest.mark.xdist_group("spine-bundle")

TINY = """
import torch
INPUT_SHAPE = (2, 3, 16, 12)       # batch 2, odd aspect
LABELS = ["a", "b", "c", "d", "e"]

def build():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU6(),
        torch.nn.Conv2d(8, 8, 3, padding=1, groups=8), torch.nn.Hardswish(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 5)).eval()
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("tiny")
    (root / "tiny.py").write_text(TINY)
    cfg = ExportConfig(model=f"{root / 'tiny.py'}:build", precisions=["fp32", "int8"], calib="sample-images",
                       calib_n=4, eval_n=4, out=str(root / "bundle"))
    result = export(cfg)
    return result


def test_round_trip_every_runtime(tiny) -> None:
    ns: dict = {}
    exec(TINY, ns)  # rebuild the eager model exactly as the exporter did (same seed)
    net = ns["build"]()
    x = np.random.default_rng(0).standard_normal((2, 3, 16, 12)).astype(np.float32)
    with torch.no_grad():
        ref = net(torch.from_numpy(x)).numpy()
    seen = set()
    for art in tiny.artifacts:
        pred = edgekit.load(tiny.bundle, runtime=art["runtime"], precision=art["precision"], threads=1)
        assert pred.runtime == art["runtime"] and pred.file.name == art["file"]
        assert pred.input_shape == (2, 3, 16, 12) and pred.manifest["model"]["num_classes"] == 5
        assert pred.labels == ["a", "b", "c", "d", "e"]
        y = pred.run(x)
        assert y.shape == (2, 5) and y.dtype == np.float32
        tol = 1e-5 if art["precision"] == "fp32" else 0.1 * np.abs(ref).max()
        np.testing.assert_allclose(y, ref, atol=tol)
        top = pred.classify(x, k=2)
        assert len(top) == 2 and top[0][0][0] in pred.labels
        seen.add((art["runtime"], art["precision"]))
    assert len(seen) == 6
    assert edgekit.load(tiny.bundle).runtime == tiny.artifacts[0]["runtime"]   # default: first file


def test_single_files_load_without_manifest(tiny) -> None:
    for art in tiny.artifacts:
        pred = edgekit.load(tiny.bundle / art["file"])
        assert pred.manifest is None and pred.runtime == art["runtime"]
    with pytest.raises(InvalidInputError, match="cannot run on tflite"):
        edgekit.load(tiny.bundle / tiny.artifacts[0]["file"].replace(".pte", ".onnx"), runtime="tflite")


def test_wrong_input_is_refused(tiny) -> None:
    pred = edgekit.load(tiny.bundle, runtime="onnx")
    with pytest.raises(InvalidInputError, match=r"does not match the model's \(2, 3, 16, 12\)"):
        pred.run(np.zeros((1, 3, 16, 12), np.float32))
    with pytest.raises(InvalidInputError, match="not numeric"):
        pred.run(np.array([["a"]]))
    with pytest.raises(InvalidInputError, match="not a multiple"):
        pred.run_batches(np.zeros((3, 3, 16, 12), np.float32))


def test_bad_load_arguments(tiny, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unknown runtime 'tensorrt'"):
        edgekit.load(tiny.bundle, runtime="tensorrt")
    with pytest.raises(InvalidInputError, match="threads must be >= 1"):
        edgekit.load(tiny.bundle, threads=0)
    with pytest.raises(InvalidInputError, match="does not exist"):
        edgekit.load(tmp_path / "missing.onnx")
    (tmp_path / "model.bin").write_bytes(b"\0" * 16)
    with pytest.raises(InvalidInputError, match=r"unknown model file type '\.bin'"):
        edgekit.load(tmp_path / "model.bin")
    (tmp_path / "empty.tflite").write_bytes(b"")
    with pytest.raises(EdgekitError, match="is empty"):
        edgekit.load(tmp_path / "empty.tflite")


@pytest.mark.parametrize("suffix", [".pte", ".tflite", ".onnx"])
@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_truncated_file_is_a_clean_error(tiny, tmp_path: Path, suffix: str, keep: float) -> None:
    art = next(a for a in tiny.artifacts if a["file"].endswith(suffix) and a["precision"] == "fp32")
    raw = (tiny.bundle / art["file"]).read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(InvalidInputError, match="re-export"):
        edgekit.load(cut)


def test_damaged_bundles(tiny, tmp_path: Path) -> None:
    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(tiny.bundle, dst)
        return dst

    entry = tiny.artifacts[0]
    truncated = copy("truncated")
    path = truncated / entry["file"]
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(bundle.BundleError, match="truncated or modified"):
        edgekit.load(truncated)

    flipped = copy("flipped")
    path = flipped / entry["file"]
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(bundle.BundleError, match="sha256"):
        edgekit.load(flipped)

    missing = copy("missing")
    (missing / entry["file"]).unlink()
    with pytest.raises(bundle.BundleError, match="missing"):
        edgekit.load(missing)

    bad_json = copy("bad-json")
    (bad_json / bundle.MANIFEST).write_text("{not json")
    with pytest.raises(bundle.BundleError, match="not valid JSON"):
        edgekit.load(bad_json)

    future = copy("future")
    manifest = json.loads((future / bundle.MANIFEST).read_text())
    manifest["schema_version"] = 99
    (future / bundle.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(bundle.BundleError, match="schema_version 99"):
        edgekit.load(future)

    no_manifest = tmp_path / "no-manifest"
    no_manifest.mkdir()
    with pytest.raises(bundle.BundleError, match=r"has no edgekit\.json"):
        edgekit.load(no_manifest)
    with pytest.raises(InvalidInputError, match=r"has no executorch/fp16|unknown precision"):
        edgekit.load(tiny.bundle, runtime="executorch", precision="fp16")


def test_manifest_of_a_user_model(tiny) -> None:
    m = tiny.manifest
    assert m["model"]["source"].startswith("user factory") and m["model"]["params"] > 0
    assert m["input"]["shape"] == [2, 3, 16, 12]
    assert m["parity_inputs"]["source"] == "sample-images" and m["parity_inputs"]["n"] == 4
    assert [a["precision"] for a in m["artifacts"]] == ["fp32", "int8"] * 3
    fp32 = [a for a in m["artifacts"] if a["precision"] == "fp32"]
    assert all(a["parity"]["max_abs_diff"] <= 1e-4 for a in fp32)
