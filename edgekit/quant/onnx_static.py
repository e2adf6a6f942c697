"""ONNX Runtime static int8 quantization (QDQ format, per-channel symmetric int8 weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgekit.quant.batches import batches


def quantize_onnx(src: Path, dst: Path, calib: np.ndarray, input_name: str, batch: int,
                  reduce_range: bool = True) -> None:
    """QDQ int8 file from `src`. `reduce_range` quantizes the weights to 7 bits ([-64, 64]): ONNX Runtime's
    x86 int8 conv / matmul kernels on CPUs without VNNI (AVX2, AVX-512 without VNNI) multiply u8 x s8
    pairs with vpmaddubsw, whose int16 pair sums saturate with full 8-bit weights; ORT's docs recommend
    reduce_range there. A file does not know where it will run, so it is the default (MobileNetV3-large
    x0.5 on a Zen 3, AVX2: cosine to eager 0.44 with 8-bit weights, 0.90 with 7-bit). False keeps 8-bit
    weights, for deployments known to run only on ARM or VNNI CPUs."""
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
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        reduce_range=reduce_range)
    finally:
        prepped.unlink(missing_ok=True)
