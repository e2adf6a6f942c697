"""A small LSNet with every block kind, as a user factory (`file.py:fn`) for `edgekit export` in tests.

Self-contained (imports only edgekit): the export pipeline imports this file by path.
"""

from __future__ import annotations

import torch
from torch import nn

from edgekit.models.lsnet import LSNet, LSNetConfig

INPUT_SHAPE = (1, 3, 96, 96)
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

# Stage 2: RepVGG+SE and an LSConv; stage 3: one RepVGG+SE block; stage 4: RepVGG+SE and attention
# (2x2 grid at 96x96).
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


def small_lsnet_fused(num_classes: int = 10) -> nn.Module:
    """The deployment form (what the lsnet recipes export: fused = true)."""
    return small_lsnet(num_classes=num_classes).fuse()


def small_lsnet_eval(num_classes: int = 10) -> nn.Module:
    """The training-form module in eval mode: exportable too (the converters fold its BatchNorms)."""
    return small_lsnet(num_classes=num_classes)


def small_lsnet_sparse(num_classes: int = 10, sparsity: float = 0.7) -> nn.Module:
    """The deployment form with its 1x1 convs (FFN, LKP perception, SE, attention, downsample) pruned to
    4x1 groups by edgekit.sparsity, one-shot."""
    from edgekit import sparsity as sp

    model = small_lsnet_fused(num_classes)
    sp.bake(model, sp.prune(model, sp.uniform_plan(model, sparsity, "4x1")))
    return model.eval()
