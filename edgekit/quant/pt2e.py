"""PT2E post-training quantization: export -> prepare (observers) -> calibrate -> convert.

The quantizer decides the scheme: ExecuTorch uses XNNPACKQuantizer, TFLite litert-torch's PT2EQuantizer;
both are set to per-channel symmetric int8 weights and per-tensor int8 activations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from edgekit.quant.batches import batches


def quantize_pt2e(model: torch.nn.Module, example: torch.Tensor, calib: np.ndarray, quantizer: Any,
                  *, fold_quantize: bool = True,
                  exported: torch.export.ExportedProgram | None = None) -> torch.fx.GraphModule:
    """A converted (quantize/dequantize-annotated) GraphModule calibrated on `calib` (N, C, H, W).

    `exported`: the model already through torch.export (reused instead of exporting again)."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    graph = (exported or torch.export.export(model, (example,))).module()
    prepared = prepare_pt2e(graph, quantizer)
    with torch.no_grad():
        for batch in batches(calib, example.shape[0]):
            prepared(torch.from_numpy(batch))
    return convert_pt2e(prepared, fold_quantize=fold_quantize)


def xnnpack_quantizer() -> Any:
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )

    return XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))


def litert_quantizer() -> Any:
    from edgekit.quant.litert_relu6 import litert_quantizer as quantizer

    return quantizer()
