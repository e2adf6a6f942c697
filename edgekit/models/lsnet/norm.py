"""GroupNorm written as plain reductions, for export.

`aten.native_group_norm` is not delegated by ExecuTorch's XNNPACK partitioner, and XNNPACK's mean only
averages the two innermost dims of a 4-D tensor. So the deploy form reshapes (N, C, H, W) to
(N, G, C/G, H*W), takes mean and variance over the two innermost dims, normalises with rsqrt, and
applies the affine per channel.
"""

from __future__ import annotations

import torch
from torch import nn


class DecomposedGroupNorm(nn.Module):
    """Numerically the eval-mode nn.GroupNorm it was built from, from mean / sub / mul / rsqrt only."""

    def __init__(self, norm: nn.GroupNorm) -> None:
        super().__init__()
        self.groups = norm.num_groups
        self.eps = norm.eps
        channels = norm.num_channels
        weight = norm.weight if norm.affine else torch.ones(channels)
        bias = norm.bias if norm.affine else torch.zeros(channels)
        self.register_buffer("scale", weight.detach().clone().reshape(1, channels, 1, 1))
        self.register_buffer("shift", bias.detach().clone().reshape(1, channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        grouped = x.reshape(n, self.groups, c // self.groups, h * w)
        centred = grouped - grouped.mean((2, 3), keepdim=True)
        var = (centred * centred).mean((2, 3), keepdim=True)
        normed = (centred * torch.rsqrt(var + self.eps)).reshape(n, c, h, w)
        return normed * self.scale + self.shift
