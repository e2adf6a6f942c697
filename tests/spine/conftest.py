"""Shared, expensive work for the spine tests: one export per zoo model (all formats x precisions).

Tests that use the same model's bundle carry `xdist_group("spine-<model>")`, so with
`-n 2 --dist loadgroup` each model is exported once, on one worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from edgekit import data, models
from edgekit.config import ExportConfig
from edgekit.export import ExportResult, export

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# The zoo at test size: small inputs and widths keep each export to seconds of CPU (node count, not
# pixels, dominates lowering time); the full-size 224 exports live in the demo and one slow test.
ZOO_SMALL: dict[str, dict[str, Any]] = {
    "mobilenet_v1": {"width_mult": 0.25, "input_size": 32},
    "mobilenet_v2": {"width_mult": 0.35, "input_size": 32},
    "mobilenet_v3_small": {"width_mult": 0.5, "input_size": 32},
    "mobilenet_v3_large": {"width_mult": 0.5, "input_size": 32},
    "efficientnet_lite0": {"input_size": 48},
}
CALIB = "sample-images"
EVAL_N = 8

_exports: dict[str, ExportResult] = {}


def zoo_config(model: str, out: Path) -> ExportConfig:
    return ExportConfig(model=model, model_kwargs=dict(ZOO_SMALL[model]),
                        formats=["executorch", "tflite", "onnx"], precisions=["fp32", "int8"],
                        calib=CALIB, calib_n=8, eval_n=EVAL_N, out=str(out))


@pytest.fixture(scope="session")
def zoo_export(tmp_path_factory: pytest.TempPathFactory):
    """model name -> ExportResult, exporting each model at most once per worker."""

    def get(model: str) -> ExportResult:
        if model not in _exports:
            out = tmp_path_factory.mktemp(f"zoo-{model}") / "bundle"
            _exports[model] = export(zoo_config(model, out))
        return _exports[model]

    return get


def eager_reference(model: str, kwargs: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The parity inputs edgekit used (test split, seeded) and eager PyTorch's logits on them."""
    torch.manual_seed(0)
    net = models.create(model, **kwargs)
    spec = models.input_spec(model, **kwargs)
    x, _ = data.eval_set(CALIB, spec, EVAL_N)
    with torch.no_grad():
        ref = torch.cat([net(torch.from_numpy(x[i:i + 1])) for i in range(len(x))]).numpy()
    return x, ref


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """`python -m edgekit ...` in a real subprocess."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([PYTHON, "-m", "edgekit", *args], cwd=cwd or REPO, capture_output=True, text=True,
                          timeout=timeout, env=env)
