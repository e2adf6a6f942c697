"""ONNX writer: torch.onnx legacy (TorchScript) exporter into one self-contained file; int8 through
ONNX Runtime static quantization (QDQ, per-channel symmetric int8 weights, 7-bit unless
`ExportConfig.onnx_reduce_range` is off, int8 activations)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from edgekit.formats.base import WriteJob
from edgekit.quant.onnx_static import quantize_onnx

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "logits"


def export_fp32(job: WriteJob, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(job.model, (job.example,), str(path), dynamo=False, opset_version=OPSET,
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], do_constant_folding=True)


def write(job: WriteJob, precision: str, path: Path) -> dict[str, Any]:
    if precision == "fp32":
        export_fp32(job, path)
        return {"opset": OPSET, "quantization": None}
    fp32 = path.with_name(path.stem + ".fp32-tmp.onnx")
    try:
        export_fp32(job, fp32)
        quantize_onnx(fp32, path, job.calib, INPUT_NAME, job.example.shape[0],
                      reduce_range=job.config.onnx_reduce_range)
    finally:
        fp32.unlink(missing_ok=True)
    weights = "7-bit (reduce_range)" if job.config.onnx_reduce_range else "8-bit"
    return {"opset": OPSET, "reduce_range": job.config.onnx_reduce_range,
            "quantization": f"onnxruntime static QDQ int8, per-channel symmetric {weights} weights"}
