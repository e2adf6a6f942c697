"""The Predictor every runtime returns: `pred.run(x)` takes float32 NCHW and returns float32 logits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import InvalidInputError


class Predictor:
    """One model file loaded in one real runtime. Subclasses implement `_load` and `_run`."""

    runtime: str = ""

    def __init__(self, file: str | Path, *, threads: int | None = None,
                 manifest: dict[str, Any] | None = None) -> None:
        self.file = Path(file)
        self.manifest = manifest
        self.threads = threads
        if threads is not None and threads < 1:
            raise InvalidInputError(f"threads must be >= 1, got {threads}", hint="pass threads=1 or more")
        self._load()

    # -- subclass hooks ---------------------------------------------------------------------------------
    input_shape: tuple[int, ...] = ()

    def _load(self) -> None:
        raise NotImplementedError

    def _run(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- public -------------------------------------------------------------------------------------------
    @property
    def labels(self) -> list[str] | None:
        return (self.manifest or {}).get("labels") or None

    def run(self, x: np.ndarray) -> np.ndarray:
        """Logits (float32) for one input batch of exactly `input_shape`."""
        x = np.asarray(x)
        if x.dtype.kind not in "fiu":
            raise InvalidInputError(f"input dtype {x.dtype} is not numeric", hint="pass float32 NCHW data")
        if tuple(x.shape) != tuple(self.input_shape):
            raise InvalidInputError(
                f"input shape {tuple(x.shape)} does not match the model's {tuple(self.input_shape)}",
                hint="resize/batch the input to the shape in edgekit.json (input.shape)")
        return np.asarray(self._run(np.ascontiguousarray(x, dtype=np.float32)), dtype=np.float32)

    def run_batches(self, xs: np.ndarray) -> np.ndarray:
        """Run a stack of samples (M, C, H, W) through a batch-N model, N at a time (M divisible by N)."""
        n = self.input_shape[0]
        if len(xs) % n:
            raise InvalidInputError(f"{len(xs)} samples are not a multiple of the model batch {n}",
                                    hint=f"pass a multiple of {n} samples")
        return np.concatenate([self.run(xs[i: i + n]) for i in range(0, len(xs), n)])

    def classify(self, x: np.ndarray, k: int = 5) -> list[list[tuple[str, float]]]:
        """Top-k (label, probability) per sample, with the bundle's labels when it has them."""
        logits = self.run(x).reshape(self.input_shape[0], -1)
        probs = np.exp(logits - logits.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        names = self.labels
        out = []
        for row in probs:
            top = np.argsort(-row)[:k]
            out.append([(names[i] if names and i < len(names) else str(i), float(row[i])) for i in top])
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.file.name}, runtime={self.runtime}, input={self.input_shape})"
