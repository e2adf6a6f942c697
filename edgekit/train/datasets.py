"""Training/evaluation data as in-memory tensors, already preprocessed to a model's input.

Fashion-MNIST comes from the Debian package `dataset-fashion-mnist`; digits from scikit-learn.
Images are scaled to [0, 1], resized (bilinear) to the model's input size, repeated to its channel
count and normalized with its mean/std, so one (X, y) pair feeds training, eager evaluation and the
exported files alike.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from edgekit.errors import InvalidInputError
from edgekit.registry import Registry

FASHION_MNIST_DIR = Path(os.environ.get("EDGEKIT_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
FASHION_MNIST_LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
# Pixel statistics of the Fashion-MNIST training set (on the [0, 1] scale).
FASHION_MNIST_MEAN = 0.2860
FASHION_MNIST_STD = 0.3530
DIGITS_MEAN = 0.3051
DIGITS_STD = 0.3793


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # uint8 or float in [0, 1], shape (N, H, W)
    labels: np.ndarray  # int64 (N,)
    labels_names: list[str]


def _read_idx(path: Path) -> np.ndarray:
    if not path.exists():
        raise InvalidInputError(f"Fashion-MNIST file {path} is missing",
                                hint="install Debian's dataset-fashion-mnist (scripts/setup-apt.sh)")
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise InvalidInputError(f"{path} is truncated ({arr.size} values, header says {dims})",
                                hint="reinstall dataset-fashion-mnist")
    return arr.reshape(dims)


def fashion_mnist(split: str) -> Split:
    prefix = {"train": "train", "test": "t10k"}[split]
    images = _read_idx(FASHION_MNIST_DIR / f"{prefix}-images-idx3-ubyte.gz")
    labels = _read_idx(FASHION_MNIST_DIR / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return Split(images, labels, FASHION_MNIST_LABELS)


def digits(split: str) -> Split:
    """scikit-learn's 1,797 8x8 digits, split 80/20 with a fixed permutation (seed 0)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    order = np.random.default_rng(0).permutation(len(d.target))
    cut = int(0.8 * len(order))
    idx = order[:cut] if split == "train" else order[cut:]
    return Split((d.images[idx] / 16.0).astype(np.float32), d.target[idx].astype(np.int64),
                 [str(i) for i in range(10)])


DATASETS: Registry = Registry("data set")
DATASETS.add("fashion-mnist", fashion_mnist, mean=FASHION_MNIST_MEAN, std=FASHION_MNIST_STD, num_classes=10)
DATASETS.add("digits", digits, mean=DIGITS_MEAN, std=DIGITS_STD, num_classes=10)


def load(name: str, split: str, *, input_size: int, in_chans: int = 1,
         mean: float | None = None, std: float | None = None,
         limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(X float32 NCHW normalized at `input_size`, y int64) for a data set split ('train' or 'test')."""
    if split not in ("train", "test"):
        raise InvalidInputError(f"unknown split {split!r}", hint="use 'train' or 'test'")
    entry = DATASETS.entry(name)
    data = entry.obj(split)
    images, labels = data.images, data.labels
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(np.ascontiguousarray(images)).float()
    if data.images.dtype == np.uint8:
        x = x / 255.0
    x = x.unsqueeze(1)
    if x.shape[-1] != input_size or x.shape[-2] != input_size:
        x = F.interpolate(x, size=(input_size, input_size), mode="bilinear", align_corners=False)
    mean = entry.meta["mean"] if mean is None else mean
    std = entry.meta["std"] if std is None else std
    x = ((x - mean) / std).repeat(1, in_chans, 1, 1).contiguous()
    return x, torch.from_numpy(labels)


def label_names(name: str) -> list[str]:
    return FASHION_MNIST_LABELS if name == "fashion-mnist" else [str(i) for i in range(10)]
