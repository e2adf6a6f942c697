"""`edgekit.load(path)`: a bundle directory or a single .pte / .tflite / .onnx file -> a Predictor.

    pred = edgekit.load("out/mobilenet_v2", runtime="tflite", precision="int8", threads=2)
    logits = pred.run(x)            # x: float32 NCHW of pred.input_shape
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgekit import formats
from edgekit.bundle import BundleError, read, verify
from edgekit.errors import InvalidInputError
from edgekit.runtime.base import Predictor

__all__ = ["Predictor", "load", "select_artifact"]


def select_artifact(manifest: dict[str, Any], runtime: str | None, precision: str | None) -> dict[str, Any]:
    """The first artifact matching runtime/precision (None = any); the error lists what the bundle has."""
    for entry in manifest["artifacts"]:
        if (runtime is None or entry.get("runtime") == runtime) and \
                (precision is None or entry.get("precision") == precision):
            return entry
    have = ", ".join(f"{e.get('runtime')}/{e.get('precision')}" for e in manifest["artifacts"])
    want = "/".join(x for x in (runtime, precision) if x)
    raise InvalidInputError(f"the bundle has no {want} model (it has {have})",
                            hint="pick another runtime/precision, or export that combination")


def load(path: str | Path, runtime: str | None = None, precision: str | None = None,
         threads: int | None = None) -> Predictor:
    """Load a bundle (verifying the chosen file's size and sha256) or a single model file."""
    path = Path(path)
    if runtime is not None:
        formats.by_runtime(runtime)  # validates the name
    if precision is not None:
        formats.parse_list(precision, "precision", formats.PRECISIONS)
    if path.is_dir():
        manifest = read(path)
        entry = select_artifact(manifest, runtime, precision)
        file = verify(path, entry)
        fmt = formats.get(entry["format"])
        return fmt.load_runner()(file, threads=threads, manifest=manifest)
    if not path.exists():
        raise InvalidInputError(f"{path} does not exist", hint="pass a bundle directory or a model file")
    fmt = formats.by_suffix(path.suffix)
    if runtime is not None and runtime != fmt.runtime:
        raise InvalidInputError(f"{path.name} is a {fmt.name} file; it cannot run on {runtime}",
                                hint=f"use runtime={fmt.runtime!r} or pass a bundle")
    if path.stat().st_size == 0:
        raise BundleError(f"{path} is empty", hint="re-export the model")
    return fmt.load_runner()(path, threads=threads, manifest=None)
