"""A small group-sparse .pte for the arm64 runner check, made with edgekit's own public APIs.

MobileNetV2 (edgekit.models, 10 classes, 3x64x64) pruned one-shot to 70% 4x1 groups with
edgekit.sparsity, int8 through PT2E with XNNPACK's quantizer when `int8=True`, lowered with edgekit's
ExecuTorch backend first and XNNPACK for the rest. Returns the file and its input shape; the
delegates actually present are written beside it (.json), so the check says what it ran.
"""

from __future__ import annotations

import json
from pathlib import Path

INPUT_SHAPE = [1, 3, 64, 64]


def sparse_pte(work: Path, int8: bool = True) -> tuple[Path, list[int]]:
    import torch

    from edgekit import sparsity
    from edgekit.backends.executorch.lowering import delegated_backends, lower
    from edgekit.models import MODELS

    name = f"mobilenet_v2_sparse70_{'int8' if int8 else 'fp32'}"
    pte = work / f"{name}.pte"
    if pte.exists():
        return pte, INPUT_SHAPE
    torch.manual_seed(0)
    model = MODELS.get("mobilenet_v2")(num_classes=10, input_size=INPUT_SHAPE[-1]).eval()
    sparsity.prune(model, sparsity.uniform_plan(model, 0.7, "4x1"))
    sparsity.bake(model)
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    example = (torch.randn(INPUT_SHAPE),)
    ep = torch.export.export(model, example)
    if int8:
        from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
            XNNPACKQuantizer,
            get_symmetric_quantization_config,
        )
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

        quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
        prepared = prepare_pt2e(ep.module(), quantizer)
        gen = torch.Generator().manual_seed(1)
        for _ in range(8):
            prepared(torch.randn(INPUT_SHAPE, generator=gen))
        ep = torch.export.export(convert_pt2e(prepared), example)
    program = lower(ep, weights=weights, sparse_backend=True, min_plane=0)  # 64x64: claim forced for fp32
    work.mkdir(parents=True, exist_ok=True)
    pte.write_bytes(program.buffer)
    info = {"model": "mobilenet_v2", "input_shape": INPUT_SHAPE, "sparsity": "70% 4x1 groups (1x1 convs)",
            "precision": "int8" if int8 else "fp32", "delegates": delegated_backends(program)}
    pte.with_suffix(".json").write_text(json.dumps(info, indent=1))
    return pte, INPUT_SHAPE
