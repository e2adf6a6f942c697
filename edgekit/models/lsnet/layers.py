"""Small layers of LSNet, each with a `fuse()` that returns its deployment form (plain convs / linears).

Training form keeps BatchNorms and branches as in the paper; `fuse()` folds them so the exported graph holds
only ops that XNNPACK, TFLite builtins and ONNX Runtime all run.
"""

from __future__ import annotations

import torch
from torch import nn


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round to a multiple of `divisor` (nearest, at least `divisor`): the SE width rule LSNet inherits."""
    return max(divisor, int(value + divisor / 2) // divisor * divisor)


class ConvBN(nn.Module):
    """Conv2d (no bias) -> BatchNorm2d; `fuse()` folds the BN into a biased Conv2d."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int = 1, stride: int = 1, pad: int = 0,
                 groups: int = 1, bn_weight_init: float = 1.0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride, pad, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_ch)
        nn.init.constant_(self.bn.weight, bn_weight_init)
        nn.init.zeros_(self.bn.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        scale, shift = bn_scale_shift(self.bn)
        c = self.conv
        fused = nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding,
                          groups=c.groups, bias=True)
        fused.weight.copy_(c.weight * scale[:, None, None, None])
        fused.bias.copy_(shift)
        return fused


def bn_scale_shift(bn: nn.BatchNorm1d | nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode BatchNorm as y = x * scale + shift."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return scale, bn.bias - bn.running_mean * scale


class ChannelAffine(nn.Module):
    """y = x * scale + shift per channel (NCHW): a folded standalone BatchNorm2d / GroupNorm affine.

    Two broadcast elementwise ops, which every target runs (XNNPACK does not delegate a lone batch_norm).
    """

    def __init__(self, scale: torch.Tensor, shift: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("scale", scale.detach().clone().reshape(1, -1, 1, 1))
        self.register_buffer("shift", shift.detach().clone().reshape(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift

    @classmethod
    def from_batchnorm(cls, bn: nn.BatchNorm2d) -> ChannelAffine:
        return cls(*bn_scale_shift(bn))


class BNLinear(nn.Module):
    """BatchNorm1d -> Linear (LSNet's classifier head); `fuse()` folds the BN into the Linear."""

    def __init__(self, in_features: int, out_features: int, std: float = 0.02) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(in_features)
        self.linear = nn.Linear(in_features, out_features)
        nn.init.trunc_normal_(self.linear.weight, std=std)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.bn(x))

    @torch.no_grad()
    def fuse(self) -> nn.Linear:
        scale, shift = bn_scale_shift(self.bn)
        fused = nn.Linear(self.linear.in_features, self.linear.out_features)
        fused.weight.copy_(self.linear.weight * scale[None, :])
        fused.bias.copy_(self.linear.bias + self.linear.weight @ shift)
        return fused


class Residual(nn.Module):
    """x + m(x), with per-sample stochastic depth while training."""

    def __init__(self, m: nn.Module, drop: float = 0.0) -> None:
        super().__init__()
        self.m = m
        self.drop = drop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.drop > 0:
            keep = torch.rand(x.size(0), 1, 1, 1, device=x.device).ge_(self.drop).div(1 - self.drop)
            return x + self.m(x) * keep.detach()
        return x + self.m(x)


class FFN(nn.Module):
    """1x1 expand -> ReLU -> 1x1 project (the project BN starts at zero, so the block starts as identity)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.pw1 = ConvBN(dim, hidden)
        self.act = nn.ReLU()
        self.pw2 = ConvBN(hidden, dim, bn_weight_init=0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pw2(self.act(self.pw1(x)))


class SqueezeExcite(nn.Module):
    """Global mean -> 1x1 reduce (ratio 0.25, multiple of 8) -> ReLU -> 1x1 expand -> sigmoid gate."""

    def __init__(self, channels: int, ratio: float = 0.25) -> None:
        super().__init__()
        hidden = make_divisible(channels * ratio)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.fc2(self.act(self.fc1(x.mean((2, 3), keepdim=True))))
        return x * torch.sigmoid(gate)


class RepVGGDW(nn.Module):
    """3x3 depthwise ConvBN + 1x1 depthwise ConvBN + identity; `fuse()` merges all three into one 3x3 conv."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.conv = ConvBN(dim, dim, 3, 1, 1, groups=dim)
        self.conv1 = ConvBN(dim, dim, 1, 1, 0, groups=dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x) + self.conv1(x) + x

    @torch.no_grad()
    def fuse(self) -> nn.Conv2d:
        conv3, conv1 = self.conv.fuse(), self.conv1.fuse()
        # The 1x1 branch and the identity are 3x3 kernels with only the centre tap set.
        conv3.weight[:, :, 1, 1] += conv1.weight[:, :, 0, 0] + 1.0
        conv3.bias += conv1.bias
        return conv3
