"""Bundle -> classifier: pick a runtime the board has, preprocess frames from the manifest, top-k labels."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

# Python module that must import for each edgekit runtime name, and how to get it on a Pi.
RUNTIME_MODULES = {
    "executorch": ("executorch", "pip install executorch, and torch from its CPU index (see the README)"),
    "tflite": ("ai_edge_litert", "pip install ai-edge-litert==1.4.0 (the newest with a Linux aarch64 wheel)"),
    "onnx": ("onnxruntime", "pip install onnxruntime"),
}


class RuntimeUnavailable(Exception):
    """The bundle has no artifact for a runtime this board can import; the message says what to install."""


def runtime_available(runtime: str) -> bool:
    module, _ = RUNTIME_MODULES[runtime]
    return importlib.util.find_spec(module) is not None


def read_manifest(bundle: Path) -> dict[str, Any] | None:
    manifest = bundle / "edgekit.json" if bundle.is_dir() else None
    if manifest is None or not manifest.is_file():
        return None
    return json.loads(manifest.read_text())


def choose_runtime(bundle: Path, manifest: dict[str, Any] | None, requested: str | None) -> str:
    """The requested runtime, or the first artifact in the bundle whose runtime imports here."""
    if requested:
        if not runtime_available(requested):
            raise RuntimeUnavailable(f"runtime {requested!r} is not installed on this board: "
                                     f"{RUNTIME_MODULES[requested][1]}")
        return requested
    if manifest is None:  # a single model file: its suffix decides
        by_suffix = {".pte": "executorch", ".tflite": "tflite", ".onnx": "onnx"}
        runtime = by_suffix.get(bundle.suffix)
        if runtime is None:
            raise RuntimeUnavailable(f"{bundle} is neither a bundle directory nor a .pte/.tflite/.onnx file")
        return choose_runtime(bundle, None, runtime)
    offered = [a["runtime"] for a in manifest.get("artifacts", []) if a.get("runtime") in RUNTIME_MODULES]
    for runtime in offered:
        if runtime_available(runtime):
            return runtime
    hints = "; ".join(f"{r}: {RUNTIME_MODULES[r][1]}" for r in dict.fromkeys(offered))
    raise RuntimeUnavailable(f"none of this bundle's runtimes ({', '.join(offered) or 'none'}) is installed "
                             f"on this board: {hints or 're-export the bundle'}")


@dataclass(frozen=True)
class Preprocess:
    """Image -> NCHW float32 as the bundle's manifest describes (resize, center crop, normalize)."""

    height: int
    width: int
    channels: int
    resize: int | None
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any] | None, input_shape: list[int]) -> Preprocess:
        _, c, h, w = (int(d) for d in input_shape)
        pre = ((manifest or {}).get("input") or {}).get("preprocess") or {}
        resize = pre.get("resize")
        if isinstance(resize, list | tuple):  # [h, w] means: resize straight to the input size
            resize = None
        mean = tuple(float(m) for m in pre.get("mean") or [0.0] * c)
        std = tuple(float(s) for s in pre.get("std") or [1.0] * c)
        return cls(h, w, int(pre.get("channels") or c), int(resize) if resize else None, mean, std)

    def __call__(self, image: Image.Image) -> np.ndarray:
        image = image.convert("L" if self.channels == 1 else "RGB")
        if self.resize and self.resize >= max(self.height, self.width):
            # Shorter side to `resize`, then the central height x width crop (ImageNet style).
            scale = self.resize / min(image.size)
            image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                                 Image.Resampling.BILINEAR)
            left, top = (image.width - self.width) // 2, (image.height - self.height) // 2
            image = image.crop((left, top, left + self.width, top + self.height))
        else:
            image = image.resize((self.width, self.height), Image.Resampling.BILINEAR)
        x = np.asarray(image, dtype=np.float32) / 255.0
        x = x[:, :, None] if x.ndim == 2 else x
        x = (x - np.asarray(self.mean, np.float32)) / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64) - logits.max()
    e = np.exp(z)
    return e / e.sum()


def top_k(logits: np.ndarray, labels: list[str], k: int) -> list[tuple[int, str, float]]:
    """[(class index, label, probability)] best first; ties keep the lower index first."""
    flat = np.asarray(logits, dtype=np.float32).reshape(-1)
    probs = softmax(flat)
    order = np.argsort(-flat, kind="stable")[: max(1, k)]
    return [(int(i), labels[i] if i < len(labels) else f"class {i}", float(probs[i])) for i in order]


class Classifier:
    """An edgekit Predictor plus the bundle's preprocessing and labels."""

    def __init__(self, bundle: str | Path, runtime: str | None = None, threads: int | None = None) -> None:
        import edgekit  # edgekit's public API; imported late so `--help` works without it

        self.bundle = Path(bundle)
        manifest = read_manifest(self.bundle)
        self.runtime = choose_runtime(self.bundle, manifest, runtime)
        self.predictor = edgekit.load(str(self.bundle), runtime=self.runtime, threads=threads)
        self.manifest = self.predictor.manifest or manifest
        self.preprocess = Preprocess.from_manifest(self.manifest, list(self.predictor.input_shape))
        self.labels = list((self.manifest or {}).get("labels") or [])

    def logits(self, image: Image.Image) -> np.ndarray:
        return np.asarray(self.predictor.run(self.preprocess(image)), dtype=np.float32).reshape(-1)
