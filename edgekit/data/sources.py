"""Real image sources: Fashion-MNIST (Debian), scikit-learn digits and sample photos, a folder of images.

Every source returns an `ImageSet`: a list of uint8 images (H, W) or (H, W, 3) plus labels when known.
Nothing is downloaded: the files come from Debian packages and PyPI wheels.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgekit.data import labels as label_sets
from edgekit.errors import InvalidInputError
from edgekit.registry import Registry

FASHION_MNIST_DIR = Path(os.environ.get("EDGEKIT_FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


@dataclass
class ImageSet:
    name: str
    images: list[np.ndarray]            # uint8, (H, W) gray or (H, W, 3) RGB
    labels: np.ndarray | None = None    # int64 class indices
    label_names: list[str] | None = None

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, n: int | None, seed: int = 0) -> ImageSet:
        """n images picked at random (seeded) without replacement; all of them if n >= len."""
        if n is None or n >= len(self):
            return self
        idx = np.sort(np.random.default_rng(seed).choice(len(self), n, replace=False))
        labels = self.labels[idx] if self.labels is not None else None
        return ImageSet(self.name, [self.images[i] for i in idx], labels, self.label_names)


Loader = Callable[[str, int | None, int], ImageSet]
SOURCES: Registry[Loader] = Registry("data set")


def _read_idx(path: Path) -> np.ndarray:
    if not path.is_file():
        raise InvalidInputError(f"Fashion-MNIST file {path} is missing",
                                hint="install Debian's dataset-fashion-mnist (scripts/setup-apt.sh)")
    data = gzip.decompress(path.read_bytes())
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise InvalidInputError(f"{path} is truncated", hint="reinstall dataset-fashion-mnist")
    return arr.reshape(dims)


@SOURCES.register("fashion-mnist", channels=1, size=28, labels="fashion-mnist")
def fashion_mnist(split: str = "test", n: int | None = None, seed: int = 0) -> ImageSet:
    prefix = {"train": "train", "test": "t10k"}.get(split)
    if prefix is None:
        raise InvalidInputError(f"unknown split {split!r}", hint="use train or test")
    images = _read_idx(FASHION_MNIST_DIR / f"{prefix}-images-idx3-ubyte.gz")
    labels = _read_idx(FASHION_MNIST_DIR / f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return ImageSet("fashion-mnist", list(images), labels, label_sets.FASHION_MNIST).subset(n, seed)


@SOURCES.register("digits", channels=1, size=8, labels="digits")
def digits(split: str = "test", n: int | None = None, seed: int = 0) -> ImageSet:
    """scikit-learn's 1,797 8x8 digits (values 0-16 scaled to uint8); a fixed 80/20 train/test split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    images = np.clip(d.images * (255.0 / 16.0), 0, 255).round().astype(np.uint8)
    order = np.random.default_rng(1234).permutation(len(images))
    cut = int(0.8 * len(images))
    idx = np.sort(order[:cut] if split == "train" else order[cut:])
    return ImageSet("digits", list(images[idx]), d.target[idx].astype(np.int64),
                    label_sets.DIGITS).subset(n, seed)


@SOURCES.register("sample-images", channels=3, size=None, labels=None)
def sample_images(split: str = "test", n: int | None = None, seed: int = 0) -> ImageSet:
    """scikit-learn's two RGB photos (china.jpg, flower.jpg); with n > 2, seeded random crops of them.

    This is the calibration set for ImageNet models: two real photos plus crops/flips, not ImageNet.
    """
    from sklearn.datasets import load_sample_images

    photos = list(load_sample_images().images)
    if n is None or n <= len(photos):
        return ImageSet("sample-images", photos[: n or len(photos)])
    rng = np.random.default_rng(seed)
    images = list(photos)
    while len(images) < n:
        img = photos[rng.integers(len(photos))]
        h, w = img.shape[:2]
        side = int(min(h, w) * rng.uniform(0.3, 1.0))
        top, left = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        crop = img[top: top + side, left: left + side]
        images.append(np.ascontiguousarray(crop[:, ::-1] if rng.random() < 0.5 else crop))
    return ImageSet("sample-images", images)


def image_folder(path: str | Path, n: int | None = None, seed: int = 0) -> ImageSet:
    """Every image under `path`; labels from sub-folder names when images sit in class sub-folders."""
    from PIL import Image, UnidentifiedImageError

    root = Path(path)
    if not root.is_dir():
        raise InvalidInputError(f"{root} is not a directory",
                                hint="pass a data set name or a folder of images")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise InvalidInputError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) found under {root}",
                                hint="put .jpg/.png files in the folder")
    classes = sorted({p.parent.name for p in files}) if all(p.parent != root for p in files) else None
    if n is not None and n < len(files):
        pick = np.sort(np.random.default_rng(seed).choice(len(files), n, replace=False))
        files = [files[i] for i in pick]
    images = []
    for f in files:
        try:
            with Image.open(f) as im:
                images.append(np.asarray(im.convert("RGB")))
        except (UnidentifiedImageError, OSError) as exc:
            raise InvalidInputError(f"cannot read image {f}: {exc}", hint="remove or fix the file") from None
    labels = np.array([classes.index(f.parent.name) for f in files], np.int64) if classes else None
    return ImageSet(root.name, images, labels, classes)
