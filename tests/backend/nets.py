"""Small MobileNet-like models and a 4x1 group pruner for the backend tests (fast to export)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class TinyMobileNet(nn.Module):
    """Every op the backend runs: 1x1 conv (+BN, ReLU6), depthwise 3x3/5x5 s1/s2, hardswish,
    ReLU, residual add, global mean; a dense 3x3 stem (claimed with the sparse chain, fp32) and a
    linear head (XNNPACK)."""

    def __init__(self, in_ch: int = 3, classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_ch, 16, 3, 2, 1)
        self.expand = nn.Conv2d(16, 48, 1, bias=False)
        self.bn = nn.BatchNorm2d(48)
        self.dw = nn.Conv2d(48, 48, 3, stride=2, padding=1, groups=48)
        self.project = nn.Conv2d(48, 24, 1)
        self.dw5 = nn.Conv2d(24, 24, 5, padding=2, groups=24)
        self.mix = nn.Conv2d(24, 24, 1)
        self.dw3 = nn.Conv2d(24, 24, 3, padding=1, groups=24)
        self.dw5s2 = nn.Conv2d(24, 24, 5, stride=2, padding=2, groups=24)
        self.head = nn.Linear(24, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        y = F.relu6(self.bn(self.expand(x)))
        y = F.hardswish(self.dw(y))
        y = self.project(y)
        y = y + self.mix(torch.relu(self.dw5(y)))
        y = F.relu6(self.dw5s2(self.dw3(y)))
        return self.head(y.mean([2, 3]))


def make_tiny(seed: int = 0, sparsity: float = 0.7) -> TinyMobileNet:
    torch.manual_seed(seed)
    model = TinyMobileNet().eval()
    randomize_bn(model.bn)
    prune_pointwise(model, sparsity)
    return model


def randomize_bn(bn: nn.BatchNorm2d, affine: bool = True) -> None:
    """Non-trivial BN statistics (and scale/shift), so folding the BN is really exercised."""
    with torch.no_grad():
        bn.running_mean.normal_(0, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        if affine:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_(0, 0.1)


def prune_pointwise(model: nn.Module, sparsity: float, group_m: int = 4) -> None:
    """Zero the lowest-L2 groups of `group_m` output channels x 1 input channel in every 1x1 conv."""
    with torch.no_grad():
        for mod in model.modules():
            if not (isinstance(mod, nn.Conv2d) and mod.kernel_size == (1, 1) and mod.groups == 1):
                continue
            w = mod.weight
            m, k = w.shape[:2]
            pad = -m % group_m
            groups = F.pad(w.reshape(m, k), (0, 0, 0, pad)).reshape(-1, group_m, k).norm(dim=1)
            n_prune = round(sparsity * groups.numel())
            if n_prune == 0:
                continue
            order = groups.flatten().argsort()
            keep = torch.ones(groups.numel(), dtype=torch.bool)
            keep[order[:n_prune]] = False
            rows = keep.reshape(groups.shape).repeat_interleave(group_m, 0)[:m]
            w.mul_(rows[:, :, None, None])
