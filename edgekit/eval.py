"""Score exported files in their own runtimes (ExecuTorch, LiteRT, ONNX Runtime) on a labelled data set.

    result = evaluate_artifact("out/bundle", data="fashion-mnist", runtime="onnx")
    result.top1, result.n, result.seconds

A bundle (edgekit.json inside) or a single .pte/.tflite/.onnx file is run through `edgekit.load`,
the project's one loader, image by image at the input shape the file declares; the images go through
`edgekit.data.to_input` with the preprocessing the manifest records (or the model's declared input).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import InvalidInputError

RUNTIME_OF_SUFFIX = {".pte": "executorch", ".tflite": "tflite", ".onnx": "onnx"}


@dataclass
class EvalResult:
    file: str
    runtime: str
    precision: str | None
    data: str
    n: int
    correct: int
    seconds: float

    @property
    def top1(self) -> float:
        return self.correct / max(1, self.n)

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"top1": self.top1}


def artifacts(path: str | Path) -> list[dict[str, Any]]:
    """The files to score: every artifact of a bundle, or the single file given."""
    path = Path(path)
    if path.is_dir():
        manifest = path / "edgekit.json"
        if not manifest.is_file():
            raise InvalidInputError(f"{path} has no edgekit.json",
                                    hint="pass a bundle made by `edgekit export`")
        m = json.loads(manifest.read_text())
        return [a | {"path": str(path / a["file"])} for a in m.get("artifacts", [])]
    if path.suffix not in RUNTIME_OF_SUFFIX:
        raise InvalidInputError(f"cannot evaluate {path}", hint="pass a bundle or a .pte/.tflite/.onnx file")
    if not path.is_file():
        raise InvalidInputError(f"{path} does not exist", hint="check the path")
    return [{"file": path.name, "path": str(path), "runtime": RUNTIME_OF_SUFFIX[path.suffix],
             "precision": None}]


def _spec_for(pred: Any, manifest: dict[str, Any] | None):
    from edgekit.models.registry import InputSpec

    shape = tuple(int(s) for s in pred.input_shape)
    pre = ((manifest or {}).get("input") or {}).get("preprocess") or {}
    c = shape[1]
    mean = tuple(pre.get("mean") or (0.0,) * c)
    std = tuple(pre.get("std") or (1.0,) * c)
    return InputSpec(shape, mean, std, pre.get("resize"))


def evaluate_artifact(path: str | Path, data: str = "fashion-mnist", runtime: str | None = None,
                      limit: int | None = None, threads: int | None = None,
                      manifest: dict[str, Any] | None = None) -> EvalResult:
    """Top-1 of one exported file (or a bundle's file for `runtime`) on the test split of `data`."""
    import edgekit
    from edgekit import data as datasets

    pred = edgekit.load(str(path), runtime=runtime, threads=threads)
    manifest = manifest or getattr(pred, "manifest", None)
    spec = _spec_for(pred, manifest)
    images = datasets.load(data, "test")
    if images.labels is None:
        raise InvalidInputError(f"data set {data} has no labels", hint="evaluate on fashion-mnist or digits")
    n = len(images) if limit is None else min(limit, len(images))
    x = datasets.to_input(images.images[:n], spec)
    batch = spec.shape[0]
    correct, t0 = 0, time.perf_counter()
    for i in range(0, n - n % batch, batch):
        logits = np.asarray(pred.run(x[i:i + batch]))
        correct += int((logits.reshape(batch, -1).argmax(1) == images.labels[i:i + batch]).sum())
    seconds = time.perf_counter() - t0
    scored = n - n % batch
    precision = None
    for a in (manifest or {}).get("artifacts", []):
        if Path(a.get("file", "")).name == Path(pred.file).name:
            precision = a.get("precision")
    return EvalResult(str(pred.file), pred.runtime, precision, data, scored, correct, seconds)


def evaluate_bundle(path: str | Path, data: str = "fashion-mnist", limit: int | None = None,
                    threads: int | None = None) -> list[EvalResult]:
    """Every artifact of a bundle (or the one file) in its own runtime."""
    results = []
    manifest_file = Path(path) / "edgekit.json"
    manifest = json.loads(manifest_file.read_text()) if manifest_file.is_file() else None
    for a in artifacts(path):
        r = evaluate_artifact(a["path"], data, a.get("runtime"), limit, threads, manifest)
        r.precision = r.precision or a.get("precision")
        results.append(r)
    return results
