"""MobileNetV2 (Sandler et al. 2018): inverted residual blocks with linear bottlenecks."""

from __future__ import annotations

import torch
from torch import nn

from edgekit.models.common import ClassifierHead, ConvBNAct, init_weights, make_divisible
from edgekit.models.registry import IMAGENET, register_model

# expansion t, output channels c, repeats n, first stride s (Table 2 of the paper)
_SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
             (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class InvertedResidual(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int, expand: int, kernel: int = 3,
                 act: str = "relu6") -> None:
        super().__init__()
        hidden = in_ch * expand
        self.use_residual = stride == 1 and in_ch == out_ch
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(ConvBNAct(in_ch, hidden, 1, act=act))
        layers += [
            ConvBNAct(hidden, hidden, kernel, stride, groups=hidden, act=act),
            ConvBNAct(hidden, out_ch, 1, act=None),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return x + y if self.use_residual else y


class MobileNetV2(nn.Module):
    def __init__(self, width_mult: float = 1.0, num_classes: int = 1000, in_chans: int = 3,
                 dropout: float = 0.2) -> None:
        super().__init__()
        ch = make_divisible(32 * width_mult)
        last = make_divisible(1280 * max(1.0, width_mult))
        layers: list[nn.Module] = [ConvBNAct(in_chans, ch, 3, 2)]
        for t, c, n, s in _SETTINGS:
            out = make_divisible(c * width_mult)
            for i in range(n):
                layers.append(InvertedResidual(ch, out, s if i == 0 else 1, t))
                ch = out
        layers.append(ConvBNAct(ch, last, 1))
        self.features = nn.Sequential(*layers)
        self.head = ClassifierHead(last, num_classes, dropout)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@register_model("mobilenet_v2", **IMAGENET)
def mobilenet_v2(width_mult: float = 1.0, num_classes: int = 1000, in_chans: int = 3,
                 input_size: int = 224, dropout: float = 0.2) -> MobileNetV2:
    """MobileNetV2 with random weights; `input_size` only sets the declared input."""
    return MobileNetV2(width_mult, num_classes, in_chans, dropout)
