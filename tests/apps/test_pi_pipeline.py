"""The Pi app's pieces that need no model: sources, manifest preprocessing, top-k, camera-missing paths."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from edgekit_pi.app import main
from edgekit_pi.classify import Preprocess, choose_runtime, softmax, top_k
from edgekit_pi.sources import SourceUnavailable, expand_image_paths, image_files, open_source
from PIL import Image

SAMPLES = Path(__file__).resolve().parents[2] / "apps/raspberry-pi/samples"
FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def test_samples_are_the_fashion_mnist_test_images_they_claim_to_be():
    with gzip.open(FASHION) as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    files = sorted(SAMPLES.glob("*.png"))
    assert len(files) == 10
    for path in files:
        index = int(path.stem.rsplit("t10k", 1)[1])
        assert np.array_equal(np.asarray(Image.open(path)), raw[index]), path.name


def test_image_sources_expand_folders_globs_and_files(tmp_path):
    folder = expand_image_paths([str(SAMPLES)])
    assert [p.name for p in folder] == sorted(p.name for p in SAMPLES.glob("*.png"))
    assert len(expand_image_paths([str(SAMPLES / "7_*.png")])) == 1
    frames = list(image_files([str(SAMPLES)], limit=3))
    assert [f.index for f in frames] == [0, 1, 2] and all(f.image.mode == "RGB" for f in frames)
    with pytest.raises(SourceUnavailable, match="does not exist"):
        expand_image_paths([str(tmp_path / "missing.png")])
    with pytest.raises(SourceUnavailable, match="no images"):
        expand_image_paths([str(tmp_path)])
    with pytest.raises(SourceUnavailable, match="no image matches"):
        expand_image_paths([str(tmp_path / "*.jpg")])
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(SourceUnavailable, match="cannot read image"):
        list(image_files([str(tmp_path / "broken.png")]))
    with pytest.raises(SourceUnavailable, match="nothing to classify"):
        open_source([], None, 0, None)
    with pytest.raises(SourceUnavailable, match="not both"):
        open_source([str(SAMPLES)], "pi", 0, None)


def test_preprocess_normalizes_exactly_as_the_manifest_says():
    manifest = {"input": {"preprocess": {"mean": [0.5, 0.25, 0.0], "std": [0.5, 0.25, 2.0], "channels": 3}}}
    pre = Preprocess.from_manifest(manifest, [1, 3, 4, 6])
    img = Image.fromarray(np.full((4, 6, 3), [255, 0, 51], np.uint8))
    x = pre(img)
    assert x.shape == (1, 3, 4, 6) and x.dtype == np.float32
    expected = [(1 - 0.5) / 0.5, (0 - 0.25) / 0.25, (0.2 - 0) / 2.0]
    np.testing.assert_allclose(x[0, :, 0, 0], expected, atol=1e-6)
    assert np.all(x == x[:, :, :1, :1])  # a flat image stays flat through the resize


def test_preprocess_grayscale_and_center_crop_geometry():
    # Left half black, right half white, 40x20 (w x h): resize shorter side to 10 -> 20x10, crop 10x10.
    arr = np.zeros((20, 40), np.uint8)
    arr[:, 20:] = 255
    pre = Preprocess.from_manifest({"input": {"preprocess": {"resize": 10, "channels": 1}}}, [1, 1, 10, 10])
    x = pre(Image.fromarray(arr).convert("RGB"))
    assert x.shape == (1, 1, 10, 10)
    assert x[0, 0, :, 0].max() < 0.1 and x[0, 0, :, -1].min() > 0.9  # the crop straddles the edge
    # No preprocess block: plain [0, 1] scaling to the input size.
    raw = Preprocess.from_manifest(None, [1, 1, 28, 28])(Image.open(next(SAMPLES.glob("9_*.png"))))
    expected = np.asarray(Image.open(next(SAMPLES.glob("9_*.png"))), np.float32) / 255
    np.testing.assert_allclose(raw[0, 0], expected, atol=1e-6)


def test_top_k_orders_by_logit_and_names_labels():
    logits = np.array([0.1, 3.0, -1.0, 3.0, 2.0], np.float32)
    best = top_k(logits, ["a", "b", "c", "d"], 3)
    assert [i for i, _, _ in best] == [1, 3, 4]  # ties keep the lower index first
    assert [lbl for _, lbl, _ in best] == ["b", "d", "class 4"]
    np.testing.assert_allclose(sum(softmax(logits)), 1.0, atol=1e-9)
    assert best[0][2] == pytest.approx(np.exp(3) / np.exp(logits.astype(np.float64)).sum(), rel=1e-6)
    assert top_k(np.array([-np.inf, 5.0]), [], 5)[0][0] == 1


def test_runtime_choice_follows_the_bundle_and_what_is_installed(tmp_path):
    manifest = {"artifacts": [{"runtime": "tflite"}, {"runtime": "onnx"}]}
    installed = [r for r in ("tflite", "onnx") if importlib.util.find_spec(
        {"tflite": "ai_edge_litert", "onnx": "onnxruntime"}[r])]
    assert choose_runtime(tmp_path, manifest, None) == installed[0]
    assert choose_runtime(tmp_path, manifest, "onnx") == "onnx"
    assert choose_runtime(tmp_path / "m.tflite", None, None) == "tflite"
    with pytest.raises(Exception, match="none of this bundle's runtimes"):
        choose_runtime(tmp_path, {"artifacts": []}, None)
    with pytest.raises(Exception, match="neither a bundle directory"):
        choose_runtime(tmp_path / "model.bin", None, None)


@pytest.mark.skipif(importlib.util.find_spec("picamera2") is not None, reason="Picamera2 is installed")
def test_pi_camera_missing_is_one_clear_line(capsys, tmp_path):
    # Fails before any model is loaded: the bundle path need not even exist.
    assert main([str(tmp_path / "bundle"), "--camera", "pi"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("edgekit-pi: error: the Pi camera needs Picamera2") and "\n" not in err
    assert "python3-picamera2" in err


def test_usb_webcam_missing_is_one_clear_line(capsys, tmp_path):
    assert main([str(tmp_path / "bundle"), "--camera", "usb", "--camera-index", "7"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    if importlib.util.find_spec("cv2") is None:
        assert "needs OpenCV" in err and "opencv-python-headless" in err
    else:  # OpenCV present: there is still no /dev/video7 here
        assert "no webcam at /dev/video7" in err


def test_bad_image_path_is_one_clear_line(capsys, tmp_path):
    assert main([str(tmp_path / "bundle"), str(tmp_path / "nope.jpg")]) == 2
    assert "image path" in capsys.readouterr().err
