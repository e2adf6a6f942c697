"""Deployment form of LSNet: fold every BatchNorm, merge RepVGG branches, bake attention biases.

    deployed = reparameterize(model)     # a new module in eval mode; `model` is untouched

After this the graph holds only convs, linears, elementwise ops, mean, rsqrt, softmax, matmul, pad, slices,
reshapes: ops XNNPACK (ExecuTorch), TFLite builtins and ONNX Runtime all run.
"""

from __future__ import annotations

import copy

from torch import nn

from edgekit.models.lsnet.blocks import Attention
from edgekit.models.lsnet.layers import BNLinear, ChannelAffine, ConvBN, RepVGGDW
from edgekit.models.lsnet.model import LSNet


def _fused(module: nn.Module) -> nn.Module | None:
    if isinstance(module, (ConvBN, RepVGGDW, BNLinear)):
        return module.fuse()
    if isinstance(module, nn.BatchNorm2d):  # a BN with no conv before it (after SKA)
        return ChannelAffine.from_batchnorm(module)
    return None


def _replace_children(module: nn.Module) -> None:
    for name, child in module.named_children():
        fused = _fused(child)
        if fused is not None:
            setattr(module, name, fused)
        else:
            _replace_children(child)


def reparameterize(model: nn.Module) -> nn.Module:
    """Return a fused copy of `model` (any module containing LSNet parts) in eval mode."""
    deployed = copy.deepcopy(model).eval()
    _replace_children(deployed)
    for m in deployed.modules():
        if isinstance(m, Attention):
            m.prepare_deploy()
    if isinstance(deployed, LSNet) and deployed.head_dist is not None:
        deployed.head = _average_linears(deployed.head, deployed.head_dist)
        deployed.head_dist = None
    return deployed.eval()


def _average_linears(a: nn.Linear, b: nn.Linear) -> nn.Linear:
    """(a(x) + b(x)) / 2 as one Linear: the eval-time distillation head."""
    merged = nn.Linear(a.in_features, a.out_features)
    merged.weight.data = (a.weight.data + b.weight.data) / 2
    merged.bias.data = (a.bias.data + b.bias.data) / 2
    return merged
