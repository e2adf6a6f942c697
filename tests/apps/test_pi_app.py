"""The Raspberry Pi app on x86: a real bundle from edgekit's export, every runtime, eager parity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from edgekit_pi.app import main
from edgekit_pi.classify import Preprocess
from PIL import Image

SAMPLES = Path(__file__).resolve().parents[2] / "apps/raspberry-pi/samples"
RUNTIMES = ["onnx", "tflite", "executorch"]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pi_app")]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """fmnist_mobilenet_v2 (edgekit's Fashion-MNIST model) exported fp32 to all three formats, and the
    eager model's logits on the sample images, preprocessed independently of the app (edgekit.data)."""
    import torch

    from edgekit.config import ExportConfig
    from edgekit.data.transforms import to_input
    from edgekit.export import export
    from edgekit.models import MODELS
    from edgekit.models.registry import InputSpec

    out = tmp_path_factory.mktemp("pi") / "fmnist"
    model = MODELS.get("fmnist_mobilenet_v2")().eval()  # loaded once: the same weights as the export
    export(ExportConfig(model="fmnist_mobilenet_v2", formats=["onnx", "tflite", "executorch"],
                        precisions=["fp32"], out=str(out)))
    pre = json.loads((out / "edgekit.json").read_text())["input"]["preprocess"]
    spec = InputSpec(shape=(1, 1, 28, 28), mean=tuple(pre["mean"]), std=tuple(pre["std"]))
    images = [np.asarray(Image.open(p)) for p in sorted(SAMPLES.glob("*.png"))]
    with torch.no_grad():
        return out, model(torch.from_numpy(to_input(images, spec))).numpy()


@pytest.fixture(scope="module")
def bundle(exported) -> Path:
    return exported[0]


@pytest.fixture(scope="module")
def eager_logits(exported) -> np.ndarray:
    return exported[1]


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_app_classifies_the_samples_like_eager_pytorch(bundle, eager_logits, runtime, tmp_path, capsys):
    out = tmp_path / "pred.json"
    assert main([str(bundle), str(SAMPLES), "--runtime", runtime, "--top", "3", "--json", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    frame_lines = [ln for ln in lines if ln.startswith("[")]
    assert len(frame_lines) == 10 and all(" ms " in ln and ln.endswith("FPS") for ln in frame_lines)
    assert lines[0].startswith(f"edgekit-pi: fmnist on {runtime}")
    pred = json.loads(out.read_text())
    assert pred["runtime"] == runtime and len(pred["frames"]) == 10
    logits = np.array([f["logits"] for f in pred["frames"]], np.float32)
    # fp32 export: the runtime on the app's preprocessing vs eager on edgekit.data's preprocessing.
    np.testing.assert_allclose(logits, eager_logits, atol=2e-3, rtol=1e-3)
    labels = json.loads((bundle / "edgekit.json").read_text())["labels"]
    for frame, ref in zip(pred["frames"], eager_logits, strict=True):
        assert frame["top"][0]["index"] == int(np.argmax(ref))
        assert frame["top"][0]["label"] == labels[int(np.argmax(ref))]
        assert [t["prob"] for t in frame["top"]] == sorted((t["prob"] for t in frame["top"]), reverse=True)
        assert frame["latency_ms"] > 0


def test_default_runtime_is_the_bundles_first_artifact(bundle, tmp_path):
    out = tmp_path / "pred.json"
    assert main([str(bundle), str(SAMPLES / "9_ankle_boot_t10k0.png"), "--json", str(out), "--quiet"]) == 0
    first = json.loads((bundle / "edgekit.json").read_text())["artifacts"][0]["runtime"]
    assert json.loads(out.read_text())["runtime"] == first


def test_overlay_writes_annotated_frames(bundle, tmp_path):
    assert main([str(bundle), str(SAMPLES), "--runtime", "onnx", "--frames", "3", "--quiet",
                 "--overlay", str(tmp_path / "ov")]) == 0
    files = sorted((tmp_path / "ov").glob("*.png"))
    assert [f.name for f in files] == ["00000.png", "00001.png", "00002.png"]
    im = np.asarray(Image.open(files[0]).convert("RGB"))
    assert im.shape[:2] == (224, 224)
    band = im[0:16].astype(int)  # the top label is drawn in yellow on a black bar
    assert ((band[..., 0] > 150) & (band[..., 1] > 150) & (band[..., 2] < 60)).sum() >= 10
    assert (im[20:, :] == 0).all(axis=-1).mean() < 0.9  # the frame itself is still there below


def test_preprocessing_matches_edgekit_data(bundle):
    from edgekit.data.transforms import to_input
    from edgekit.models.registry import InputSpec

    pre = json.loads((bundle / "edgekit.json").read_text())["input"]["preprocess"]
    ours = Preprocess.from_manifest(json.loads((bundle / "edgekit.json").read_text()), [1, 1, 28, 28])
    spec = InputSpec(shape=(1, 1, 28, 28), mean=tuple(pre["mean"]), std=tuple(pre["std"]))
    for path in sorted(SAMPLES.glob("*.png"))[:3]:
        img = Image.open(path)
        np.testing.assert_allclose(ours(img.convert("RGB")), to_input([np.asarray(img)], spec), atol=1e-6)


def test_benchmark_mode_writes_the_profilers_results_and_report(bundle, tmp_path, capsys):
    from edgekit.profile import load_result

    report = tmp_path / "report"
    assert main([str(bundle), "--benchmark", "--runtime", "onnx", "--runs", "5", "--warmup", "1",
                 "--report", str(report), "--quiet"]) == 0
    result = load_result(report / "profile-onnx.json")
    assert result.runtime == "onnx" and len(result.latency["samples"]) == 5
    lat = result.latency
    assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["max"]
    assert (report / "report.html").stat().st_size > 1000 and (report / "report.md").is_file()
    assert "report written to" in capsys.readouterr().out
