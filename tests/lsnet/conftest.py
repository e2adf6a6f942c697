"""Shared LSNet test helpers: a small config that still has every block kind, and non-trivial norms."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from edgekit.models.lsnet import LSNet, LSNetConfig

# Every block kind in few ops: stage 2 has RepVGG+SE and an LSConv, stage 3 an LSConv-free RepVGG block,
# stage 4 RepVGG+SE and attention (2x2 grid at 96x96 input).
SMALL = LSNetConfig(widths=(16, 32, 48, 64), depths=(0, 2, 1, 2), num_heads=(1, 1, 1, 2),
                    key_dims=(8, 8, 8, 8))


def randomize_norms(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give BN/GN/attention-bias tensors random values (the published init zeroes some residual branches,
    which would make fusion and export checks blind to those branches)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
            elif isinstance(m, nn.GroupNorm):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.2 * torch.randn(m.bias.shape, generator=gen))
            if hasattr(m, "attention_biases"):
                m.attention_biases.copy_(torch.randn(m.attention_biases.shape, generator=gen))
    return model.train(model.training)  # refresh cached attention biases


def small_lsnet(input_size: int = 96, num_classes: int = 10, seed: int = 0, **kw) -> LSNet:
    torch.manual_seed(seed)
    return randomize_norms(LSNet(SMALL, num_classes=num_classes, input_size=input_size, **kw), seed).eval()


@pytest.fixture(scope="session")
def small_model() -> LSNet:
    return small_lsnet()
