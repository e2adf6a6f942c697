"""Resolve what a user names on the command line into a model plus the input it expects.

    model, ref = resolve("fmnist_mobilenet_v2")            # a registered model (trained ones load weights)
    model, ref = resolve("build/train/my.pt")              # a checkpoint from `edgekit train/prune`
    x, y = ref.load_data("fashion-mnist", "test")          # preprocessed exactly as the model expects
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from edgekit.errors import EdgekitError
from edgekit.train import datasets


@dataclass
class ModelRef:
    name: str                         # registry name the weights belong to
    kwargs: dict[str, Any]            # options to rebuild it
    input_size: int
    in_chans: int
    mean: float
    std: float
    meta: dict[str, Any] = field(default_factory=dict)

    def load_data(self, data: str, split: str, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return datasets.load(data, split, input_size=self.input_size, in_chans=self.in_chans,
                             mean=self.mean, std=self.std, limit=limit)


def resolve(model: str) -> tuple[nn.Module, ModelRef]:
    from edgekit import models
    from edgekit.train.checkpoint import load_model

    if Path(model).suffix == ".pt":
        net, blob = load_model(model)
        kw, meta = blob["kwargs"], blob["meta"]
        try:
            spec = models.input_spec(blob["model"], **kw)
        except EdgekitError:
            spec = None
        size = int(kw.get("input_size", spec.hw[0] if spec else 32))
        chans = int(kw.get("in_chans", spec.channels if spec else 1))
        mean = float(meta.get("mean", spec.mean[0] if spec else 0.0))
        std = float(meta.get("std", spec.std[0] if spec else 1.0))
        return net, ModelRef(blob["model"], dict(kw), size, chans, mean, std, dict(meta))
    net = models.create(model)
    spec = models.input_spec(model)
    return net, ModelRef(model, {}, spec.hw[0], spec.channels, float(spec.mean[0]), float(spec.std[0]),
                         dict(models.MODELS.meta(model)) if model in models.MODELS else {})
