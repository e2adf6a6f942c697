"""The model registry and the input a model declares (shape, preprocessing, labels).

    @register_model("mobilenet_v2", **IMAGENET)
    def mobilenet_v2(width_mult=1.0, num_classes=1000, in_chans=3, input_size=224): ...

Metadata keys a registration may set (all optional): input_size, in_chans, mean, std, labels
(a label-set name such as "imagenet", or a list), num_classes, pretrained, resize, source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from torch import nn

from edgekit.registry import Registry

MODELS: Registry[Callable[..., nn.Module]] = Registry("model")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGENET: dict[str, Any] = {"input_size": 224, "in_chans": 3, "num_classes": 1000,
                            "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "labels": "imagenet"}


def register_model(name: str | None = None, **meta: Any) -> Callable[[Callable[..., nn.Module]],
                                                                    Callable[..., nn.Module]]:
    """Register a factory `fn(**kw) -> nn.Module` under `name` with its input metadata."""
    return MODELS.register(name, **meta)


@dataclass(frozen=True)
class InputSpec:
    """What a model eats: one float32 NCHW tensor plus the preprocessing that produces it."""

    shape: tuple[int, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    resize: int | None = None          # shorter side before the centre crop to shape[-2:]
    name: str = "input"
    dtype: str = "float32"
    layout: str = "NCHW"
    labels: str | list[str] | None = None
    num_classes: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def channels(self) -> int:
        return self.shape[1]

    @property
    def hw(self) -> tuple[int, int]:
        return self.shape[2], self.shape[3]

    def with_shape(self, shape: Sequence[int]) -> InputSpec:
        shape = tuple(int(s) for s in shape)
        c = shape[1] if len(shape) == 4 else self.channels
        mean, std = _per_channel(self.mean, c), _per_channel(self.std, c)
        return InputSpec(shape, mean, std, self.resize, self.name, self.dtype, self.layout, self.labels,
                         self.num_classes, dict(self.extra))

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        return {"name": d["name"], "shape": list(self.shape), "dtype": self.dtype, "layout": self.layout,
                "preprocess": {"resize": self.resize, "mean": list(self.mean), "std": list(self.std),
                               "channels": self.channels}}


def _per_channel(values: Sequence[float], channels: int) -> tuple[float, ...]:
    """Reuse per-channel stats when the channel count matches; otherwise average them per channel."""
    values = tuple(float(v) for v in values)
    if len(values) == channels:
        return values
    return (sum(values) / len(values),) * channels


def spec_from_meta(meta: dict[str, Any], kw: dict[str, Any]) -> InputSpec:
    """The input a registered factory declares, after the user's keyword overrides."""
    size = kw.get("input_size", meta.get("input_size", 224))
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    c = int(kw.get("in_chans", meta.get("in_chans", 3)))
    num_classes = int(kw.get("num_classes", meta.get("num_classes", 1000)))
    labels = meta.get("labels")
    if labels == "imagenet" and num_classes != 1000:
        labels = None  # a re-headed model no longer predicts ImageNet classes
    resize = meta.get("resize", round(max(h, w) / 0.875) if labels == "imagenet" else None)
    return InputSpec((1, c, h, w), _per_channel(meta.get("mean", (0.5,)), c),
                     _per_channel(meta.get("std", (0.5,)), c), resize, labels=labels,
                     num_classes=num_classes)
