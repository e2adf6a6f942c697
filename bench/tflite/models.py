"""Pruned models for the sparse-TFLite benchmarks and the size checks (real edgekit models and pruning).

- `pruned_mobilenet_v2(0.9)`: MobileNetV2-1.0, every 1x1 conv 90% pruned in 4x1 groups (4 output
  channels x 1 input channel, the pattern XNNPACK's sparse NCHW kernels and edgekit's kernels use)
  and the classifier 90% pruned in 1x16 blocks: TFLite's int8 FC block, and four fp32 1x4 blocks,
  so one pruned model serves both precisions.
- `fc_stack(...)`: an MLP whose linear layers are 90% 1x4 block-sparse (the FULLY_CONNECTED case).
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from edgekit import models
from edgekit.sparsity.pruner import Plan, prune, uniform_plan
from edgekit.sparsity.selection import prunable_layers


def classifier_name(model: nn.Module) -> str:
    return [n for n, m in prunable_layers(model).items() if isinstance(m, nn.Linear)][-1]


def pruned_mobilenet_v2(sparsity: float = 0.9, fc_pattern: str = "1x16", seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = models.create("mobilenet_v2")
    prune(model, uniform_plan(model, sparsity, "4x1"))  # the 1x1 convs (stem/depthwise/classifier excluded)
    head = classifier_name(model)
    prune(model, Plan(fc_pattern, {head: sparsity}, sparsity))
    return model.eval()


class FcStack(nn.Module):
    """Linear layers only (with ReLU between): what FULLY_CONNECTED sparse kernels are timed on."""

    def __init__(self, sizes: tuple[int, ...]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


def fc_stack(sizes: tuple[int, ...] = (1024, 1024, 1024, 1000), sparsity: float = 0.9,
             pattern: str = "1x4", seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = FcStack(sizes).eval()
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    if sparsity > 0:
        prune(model, Plan(pattern, dict.fromkeys(names, sparsity), sparsity))
    return model


def convert_fp32(model: nn.Module, shape: tuple[int, ...]) -> bytes:
    import litert_torch

    return bytes(litert_torch.convert(model, (torch.randn(*shape),)).model_content())


def convert_int8(model: nn.Module, shape: tuple[int, ...], calib: int = 4) -> bytes:
    """Static int8 (per-channel weights) with litert-torch's PT2E quantizer."""
    import litert_torch
    from litert_torch.quantize import pt2e_quantizer as pq
    from litert_torch.quantize import quant_config as qc
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    quantizer = pq.PT2EQuantizer().set_global(pq.get_symmetric_quantization_config(is_per_channel=True))
    example = (torch.randn(*shape),)
    prepared = prepare_pt2e(torch.export.export(model, example).module(), quantizer)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for _ in range(calib):
            prepared(torch.randn(*shape, generator=g))
    quantized = convert_pt2e(prepared, fold_quantize=False)
    cfg = qc.QuantConfig(pt2e_quantizer=quantizer)
    return bytes(litert_torch.convert(quantized, example, quant_config=cfg).model_content())
