"""Real data for calibration and accuracy: registered sources, folders of images, transforms.

    imgs = edgekit.data.load("fashion-mnist", split="test", n=256, seed=0)   # ImageSet
    x = edgekit.data.to_input(imgs.images, spec)                            # float32 NCHW for `spec`
    calib = edgekit.data.calibration_set("sample-images", spec, n=32, seed=0)

A source is a registered name (`edgekit.data.SOURCES.names()`) or a path to a folder of images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgekit.data.labels import resolve as resolve_labels
from edgekit.data.sources import SOURCES, ImageSet, image_folder
from edgekit.data.transforms import to_input
from edgekit.errors import InvalidInputError, UnknownNameError
from edgekit.models.registry import InputSpec

__all__ = ["SOURCES", "ImageSet", "calibration_set", "eval_set", "load", "resolve_labels", "to_input"]


def load(source: str, split: str = "test", n: int | None = None, seed: int = 0) -> ImageSet:
    """A registered data set by name, or every image in a folder."""
    if source in SOURCES:
        return SOURCES.get(source)(split, n, seed)
    if Path(source).is_dir():
        return image_folder(source, n, seed)
    if "/" in source or Path(source).exists():
        raise InvalidInputError(f"calibration folder {source} does not exist or is not a directory",
                                hint="pass a folder of images or one of: " + ", ".join(SOURCES.names()))
    raise UnknownNameError(SOURCES.unknown_message(source) + " (or pass a folder of images)")


def calibration_set(source: str, spec: InputSpec, n: int = 32, seed: int = 0) -> np.ndarray:
    """n preprocessed samples from the source's training split (seeded), float32 (n, C, H, W)."""
    if n <= 0:
        raise InvalidInputError(f"calibration needs at least one sample, got n={n}", hint="use --calib-n 32")
    images = load(source, "train", n, seed)
    if len(images) == 0:
        raise InvalidInputError(f"data set {source} is empty", hint="pass another --calib source")
    return to_input(images.images, spec)


def eval_set(source: str, spec: InputSpec, n: int = 64, seed: int = 1) -> tuple[np.ndarray, ImageSet]:
    """n preprocessed samples from the test split and the ImageSet they came from (labels inside)."""
    images = load(source, "test", n, seed)
    return to_input(images.images, spec), images
