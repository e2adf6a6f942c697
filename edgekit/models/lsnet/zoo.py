"""Registers lsnet_t / lsnet_s / lsnet_b in the model zoo (random weights; see load_original_checkpoint)."""

from __future__ import annotations

from edgekit.models.lsnet import model as _model
from edgekit.models.registry import IMAGENET, register_model

_SOURCE = {"source": "LSNet (Wang et al., CVPR 2025), edgekit's exportable implementation"}

lsnet_t = register_model("lsnet_t", **IMAGENET, **_SOURCE)(_model.lsnet_t)
lsnet_s = register_model("lsnet_s", **IMAGENET, **_SOURCE)(_model.lsnet_s)
lsnet_b = register_model("lsnet_b", **IMAGENET, **_SOURCE)(_model.lsnet_b)
lsnet_mini = register_model("lsnet_mini", input_size=32, in_chans=1, num_classes=10,
                            mean=(0.2860,), std=(0.3530,), labels="fashion-mnist", resize=None,
                            **_SOURCE)(_model.lsnet_mini)
