"""GroupNorm written as plain reductions, for export.

`aten.native_group_norm` is not delegated by ExecuTorch's XNNPACK partitioner, and XNNPACK's mean only
averages the two innermost dims of a 4-D tensor. So the forward reshapes (N, C, H, W) to
(N, G, C/G, H*W), takes mean and variance over the two innermost dims, normalises with rsqrt, and
applies the affine per channel. Parameters and state_dict keys are nn.GroupNorm's.
"""

from __future__ import annotations

import torch
from torch import nn


class ExportableGroupNorm(nn.GroupNorm):
    """nn.GroupNorm (same parameters, same math) from mean / sub / mul / rsqrt only; trains as usual."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        grouped = x.reshape(n, self.num_groups, c // self.num_groups, h * w)
        centred = grouped - grouped.mean((2, 3), keepdim=True)
        var = (centred * centred).mean((2, 3), keepdim=True)
        normed = (centred * torch.rsqrt(var + self.eps)).reshape(n, c, h, w)
        if not self.affine:
            return normed
        return normed * self.weight.reshape(1, c, 1, 1) + self.bias.reshape(1, c, 1, 1)
