"""MobileNetV1 (Howard et al. 2017): a stem conv then 13 depthwise-separable blocks."""

from __future__ import annotations

import torch
from torch import nn

from edgekit.models.common import ClassifierHead, ConvBNAct, init_weights, make_divisible
from edgekit.models.registry import IMAGENET, register_model

# (output channels, stride) of each depthwise-separable block
_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
           (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


class MobileNetV1(nn.Module):
    def __init__(self, width_mult: float = 1.0, num_classes: int = 1000, in_chans: int = 3,
                 dropout: float = 0.0) -> None:
        super().__init__()
        ch = make_divisible(32 * width_mult)
        layers: list[nn.Module] = [ConvBNAct(in_chans, ch, 3, 2, act="relu")]
        for out, stride in _BLOCKS:
            out = make_divisible(out * width_mult)
            layers.append(nn.Sequential(
                ConvBNAct(ch, ch, 3, stride, groups=ch, act="relu"),  # depthwise
                ConvBNAct(ch, out, 1, act="relu"),                    # pointwise
            ))
            ch = out
        self.features = nn.Sequential(*layers)
        self.head = ClassifierHead(ch, num_classes, dropout)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@register_model("mobilenet_v1", **IMAGENET)
def mobilenet_v1(width_mult: float = 1.0, num_classes: int = 1000, in_chans: int = 3,
                 input_size: int = 224, dropout: float = 0.0) -> MobileNetV1:
    """MobileNetV1 with random weights; `input_size` only sets the declared input."""
    return MobileNetV1(width_mult, num_classes, in_chans, dropout)
