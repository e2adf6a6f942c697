"""int8 quantization: PT2E (ExecuTorch, TFLite) and ONNX Runtime static QDQ, calibrated on real data."""

from edgekit.quant.batches import batches
from edgekit.quant.pt2e import quantize_pt2e

__all__ = ["batches", "quantize_pt2e"]
