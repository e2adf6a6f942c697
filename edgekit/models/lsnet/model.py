"""LSNet ("See Large, Focus Small", Wang et al., CVPR 2025): the network and its three published sizes.

stem: three 3x3 stride-2 ConvBNs (C/4, C/2, C, ReLU between) -> stride 8
stage s (s > 0 starts with a 3x3 stride-2 depthwise ConvBN + 1x1 ConvBN) -> blocks (see blocks.Block)
head: global mean -> BatchNorm1d -> Linear (+ a distillation head, averaged in eval, if requested)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from edgekit.errors import InvalidInputError
from edgekit.models.lsnet.blocks import Block
from edgekit.models.lsnet.layers import BNLinear, ConvBN


@dataclass(frozen=True)
class LSNetConfig:
    widths: tuple[int, int, int, int]
    depths: tuple[int, int, int, int]
    num_heads: tuple[int, int, int, int] = (3, 3, 3, 4)
    key_dims: tuple[int, int, int, int] = (16, 16, 16, 16)
    stem_strides: tuple[int, int, int] = (2, 2, 2)  # the paper's stride-8 stem; small inputs use less


CONFIGS = {
    "lsnet_t": LSNetConfig(widths=(64, 128, 256, 384), depths=(0, 2, 8, 10)),
    "lsnet_s": LSNetConfig(widths=(96, 192, 320, 448), depths=(1, 2, 8, 10)),
    "lsnet_b": LSNetConfig(widths=(128, 256, 384, 512), depths=(4, 6, 8, 10)),
    # Not from the paper: every block kind (RepVGG-DW+SE, LS conv with SKA, attention) at reduced depth
    # and width, with a stride-2 stem so 1x32x32 images (Fashion-MNIST) keep a 2x2 attention grid.
    "lsnet_mini": LSNetConfig(widths=(16, 32, 64, 96), depths=(0, 2, 2, 2), num_heads=(1, 1, 2, 2),
                              key_dims=(8, 8, 8, 8), stem_strides=(2, 1, 1)),
}

# Published ImageNet-1k numbers (paper, Table 1) for the report.
PUBLISHED = {"lsnet_t": (11.4e6, 0.3e9), "lsnet_s": (16.1e6, 0.5e9), "lsnet_b": (23.2e6, 1.3e9)}


def stage_resolutions(input_size: int, stem_strides: tuple[int, ...] = (2, 2, 2)) -> list[int]:
    """Feature-map side per stage: the stem (stride 8 in the paper), then a stride-2 (pad 1, k 3)
    downsample per stage."""
    side = input_size
    for stride in stem_strides:  # the stem
        side = (side - 1) // stride + 1
    res = [side]
    for _ in range(3):
        res.append((res[-1] - 1) // 2 + 1)
    return res


class Stage(nn.Module):
    def __init__(self, in_dim: int, dim: int, depth: int, key_dim: int, num_heads: int, resolution: int,
                 downsample: bool, last: bool) -> None:
        super().__init__()
        self.downsample = nn.Sequential(
            ConvBN(in_dim, in_dim, 3, 2, 1, groups=in_dim),
            ConvBN(in_dim, dim),
        ) if downsample else nn.Identity()
        attn_ratio = dim / (key_dim * num_heads)
        self.blocks = nn.Sequential(*[
            Block(dim, key_dim, num_heads, attn_ratio, resolution, index=i, use_attention=last)
            for i in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.downsample(x))


class LSNet(nn.Module):
    def __init__(self, config: LSNetConfig, num_classes: int = 1000, in_chans: int = 3,
                 input_size: int = 224, distillation: bool = False) -> None:
        super().__init__()
        if input_size < 8:
            raise InvalidInputError(f"LSNet input_size must be at least 8, got {input_size}")
        self.config, self.input_size, self.in_chans = config, input_size, in_chans
        w, s = config.widths, config.stem_strides
        self.stem = nn.Sequential(
            ConvBN(in_chans, w[0] // 4, 3, s[0], 1), nn.ReLU(),
            ConvBN(w[0] // 4, w[0] // 2, 3, s[1], 1), nn.ReLU(),
            ConvBN(w[0] // 2, w[0], 3, s[2], 1),
        )
        res = stage_resolutions(input_size, s)
        self.stages = nn.ModuleList(
            Stage(w[max(i - 1, 0)], w[i], config.depths[i], config.key_dims[i], config.num_heads[i], res[i],
                  downsample=i > 0, last=i == 3)
            for i in range(4)
        )
        self.num_classes, self.num_features = num_classes, w[-1]
        self.head: nn.Module = BNLinear(w[-1], num_classes) if num_classes > 0 else nn.Identity()
        self.head_dist: nn.Module | None = (
            BNLinear(w[-1], num_classes) if distillation and num_classes > 0 else None)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return x.mean((2, 3), keepdim=True).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.forward_features(x)
        if self.head_dist is None:
            return self.head(x)
        logits, logits_dist = self.head(x), self.head_dist(x)
        if self.training:
            return logits, logits_dist  # type: ignore[return-value]  # training with a teacher
        return (logits + logits_dist) / 2


    def fuse(self) -> nn.Module:
        """The deployment form (BNs folded, RepVGG branches merged): see reparam.reparameterize."""
        from edgekit.models.lsnet.reparam import reparameterize

        return reparameterize(self)


def _build(name: str, num_classes: int, in_chans: int, input_size: int, distillation: bool,
           fused: bool) -> nn.Module:
    model = LSNet(CONFIGS[name], num_classes=num_classes, in_chans=in_chans, input_size=input_size,
                  distillation=distillation)
    return model.fuse() if fused else model


def lsnet_t(num_classes: int = 1000, in_chans: int = 3, input_size: int = 224, distillation: bool = False,
            fused: bool = False) -> nn.Module:
    """LSNet-T (11.4M params). `fused=True` returns the deployment form (eval only), for export."""
    return _build("lsnet_t", num_classes, in_chans, input_size, distillation, fused)


def lsnet_s(num_classes: int = 1000, in_chans: int = 3, input_size: int = 224, distillation: bool = False,
            fused: bool = False) -> nn.Module:
    """LSNet-S (16.1M params). `fused=True` returns the deployment form (eval only), for export."""
    return _build("lsnet_s", num_classes, in_chans, input_size, distillation, fused)


def lsnet_b(num_classes: int = 1000, in_chans: int = 3, input_size: int = 224, distillation: bool = False,
            fused: bool = False) -> nn.Module:
    """LSNet-B (23.2M params). `fused=True` returns the deployment form (eval only), for export."""
    return _build("lsnet_b", num_classes, in_chans, input_size, distillation, fused)


def lsnet_mini(num_classes: int = 10, in_chans: int = 1, input_size: int = 32, distillation: bool = False,
               fused: bool = False) -> nn.Module:
    """A small LSNet with every block kind (0.1M params) for 1x32x32 inputs: edgekit's Fashion-MNIST model."""
    return _build("lsnet_mini", num_classes, in_chans, input_size, distillation, fused)
