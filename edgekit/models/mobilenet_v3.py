"""MobileNetV3 small and large (Howard et al. 2019): inverted residuals with SE and hard-swish."""

from __future__ import annotations

import torch
from torch import nn

from edgekit.models.common import ConvBNAct, SqueezeExcite, activation, init_weights
from edgekit.models.common import make_divisible as _div
from edgekit.models.registry import IMAGENET, register_model

# kernel, expanded channels, output channels, squeeze-excite, activation, stride (Tables 1 and 2)
_LARGE = [
    (3, 16, 16, False, "relu", 1), (3, 64, 24, False, "relu", 2), (3, 72, 24, False, "relu", 1),
    (5, 72, 40, True, "relu", 2), (5, 120, 40, True, "relu", 1), (5, 120, 40, True, "relu", 1),
    (3, 240, 80, False, "hswish", 2), (3, 200, 80, False, "hswish", 1), (3, 184, 80, False, "hswish", 1),
    (3, 184, 80, False, "hswish", 1), (3, 480, 112, True, "hswish", 1), (3, 672, 112, True, "hswish", 1),
    (5, 672, 160, True, "hswish", 2), (5, 960, 160, True, "hswish", 1), (5, 960, 160, True, "hswish", 1),
]
_SMALL = [
    (3, 16, 16, True, "relu", 2), (3, 72, 24, False, "relu", 2), (3, 88, 24, False, "relu", 1),
    (5, 96, 40, True, "hswish", 2), (5, 240, 40, True, "hswish", 1), (5, 240, 40, True, "hswish", 1),
    (5, 120, 48, True, "hswish", 1), (5, 144, 48, True, "hswish", 1), (5, 288, 96, True, "hswish", 2),
    (5, 576, 96, True, "hswish", 1), (5, 576, 96, True, "hswish", 1),
]


class V3Block(nn.Module):
    def __init__(self, in_ch: int, kernel: int, hidden: int, out_ch: int, se: bool, act: str,
                 stride: int) -> None:
        super().__init__()
        self.use_residual = stride == 1 and in_ch == out_ch
        layers: list[nn.Module] = []
        if hidden != in_ch:
            layers.append(ConvBNAct(in_ch, hidden, 1, act=act))
        layers.append(ConvBNAct(hidden, hidden, kernel, stride, groups=hidden, act=act))
        if se:
            layers.append(SqueezeExcite(hidden, _div(hidden // 4)))
        layers.append(ConvBNAct(hidden, out_ch, 1, act=None))
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return x + y if self.use_residual else y


class MobileNetV3(nn.Module):
    def __init__(self, config: list, last_channels: int, width_mult: float = 1.0, num_classes: int = 1000,
                 in_chans: int = 3, dropout: float = 0.2) -> None:
        super().__init__()
        ch = _div(16 * width_mult)
        layers: list[nn.Module] = [ConvBNAct(in_chans, ch, 3, 2, act="hswish")]
        for kernel, hidden, out, se, act, stride in config:
            out_ch = _div(out * width_mult)
            layers.append(V3Block(ch, kernel, _div(hidden * width_mult), out_ch, se, act, stride))
            ch = out_ch
        head_ch = 6 * ch
        layers.append(ConvBNAct(ch, head_ch, 1, act="hswish"))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.pre_logits = nn.Sequential(nn.Linear(head_ch, last_channels), activation("hswish"))
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(last_channels, num_classes)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.pool(self.features(x)), 1)
        return self.fc(self.dropout(self.pre_logits(x)))


@register_model("mobilenet_v3_small", **IMAGENET)
def mobilenet_v3_small(width_mult: float = 1.0, num_classes: int = 1000, in_chans: int = 3,
                       input_size: int = 224, dropout: float = 0.2) -> MobileNetV3:
    """MobileNetV3-Small with random weights."""
    return MobileNetV3(_SMALL, _div(1024 * max(1.0, width_mult)), width_mult, num_classes, in_chans, dropout)


@register_model("mobilenet_v3_large", **IMAGENET)
def mobilenet_v3_large(width_mult: float = 1.0, num_classes: int = 1000, in_chans: int = 3,
                       input_size: int = 224, dropout: float = 0.2) -> MobileNetV3:
    """MobileNetV3-Large with random weights."""
    return MobileNetV3(_LARGE, _div(1280 * max(1.0, width_mult)), width_mult, num_classes, in_chans, dropout)
