"""Training/evaluation data as in-memory tensors, preprocessed exactly as a model's input declares.

Images come from `edgekit.data` (Fashion-MNIST from the Debian package, scikit-learn digits) and go
through `edgekit.data.to_input` - the same transform calibration and the exported-file evaluator use -
so training, eager evaluation and the runtimes all see identical inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from edgekit.errors import InvalidInputError, UnknownNameError

# Per-set training facts: pixel statistics of the training split ([0, 1] scale) and whether random
# flips/shifts keep the label (a mirrored digit is not the same digit).
TRAINING_SETS: dict[str, dict[str, Any]] = {
    "fashion-mnist": {"mean": 0.2860, "std": 0.3530, "augment": True, "num_classes": 10},
    "digits": {"mean": 0.3051, "std": 0.3793, "augment": False, "num_classes": 10},
}
FASHION_MNIST_MEAN = TRAINING_SETS["fashion-mnist"]["mean"]
FASHION_MNIST_STD = TRAINING_SETS["fashion-mnist"]["std"]


def info(name: str) -> dict[str, Any]:
    if name not in TRAINING_SETS:
        raise UnknownNameError(f"unknown data set {name!r} for training/evaluation; valid: "
                               + ", ".join(sorted(TRAINING_SETS)))
    return TRAINING_SETS[name]


def load(name: str, split: str, *, input_size: int, in_chans: int = 1,
         mean: float | None = None, std: float | None = None,
         limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(X float32 NCHW at `input_size`, y int64) for a data set split ('train' or 'test'), in file order."""
    from edgekit import data
    from edgekit.models.registry import InputSpec

    if split not in ("train", "test"):
        raise InvalidInputError(f"unknown split {split!r}", hint="use 'train' or 'test'")
    meta = info(name)
    images = data.load(name, split)
    imgs, labels = images.images, images.labels
    if labels is None:
        raise InvalidInputError(f"data set {name} has no labels", hint="train on fashion-mnist or digits")
    if limit is not None:
        imgs, labels = imgs[:limit], labels[:limit]
    spec = InputSpec((1, in_chans, input_size, input_size),
                     (meta["mean"] if mean is None else mean,) * in_chans,
                     (meta["std"] if std is None else std,) * in_chans)
    if not len(imgs):
        raise InvalidInputError(f"data set {name} ({split}) has no images", hint="check --limit")
    x = data.to_input(imgs, spec)
    return torch.from_numpy(x), torch.as_tensor(np.asarray(labels), dtype=torch.int64)


def label_names(name: str) -> list[str]:
    from edgekit import data

    return list(data.load(name, "test", 1).label_names or [])
