"""ONNX Runtime static int8 quantization (QDQ format, per-channel symmetric int8 weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgekit.quant.batches import batches


def quantize_onnx(src: Path, dst: Path, calib: np.ndarray, input_name: str, batch: int) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter([{input_name: b} for b in batches(calib, batch)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._it, None)

    prepped = dst.with_name(dst.stem + ".prep.onnx")
    try:
        quant_pre_process(str(src), str(prepped), skip_symbolic_shape=True)
        quantize_static(str(prepped), str(dst), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    finally:
        prepped.unlink(missing_ok=True)
