"""Turn real uint8 images into the float32 NCHW tensor a model declares (its InputSpec)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from edgekit.errors import InvalidInputError
from edgekit.models.registry import InputSpec


def _to_pil(img: np.ndarray, channels: int) -> Image.Image:
    if img.dtype != np.uint8:
        raise InvalidInputError(f"images must be uint8, got {img.dtype}", hint="load them with edgekit.data")
    pil = Image.fromarray(img)
    if channels == 1:
        return pil.convert("L")
    if channels == 3:
        return pil.convert("RGB")
    raise InvalidInputError(f"cannot make {channels}-channel input from images",
                            hint="image data feeds 1- or 3-channel models; pass your own tensors otherwise")


def resize_crop(pil: Image.Image, hw: tuple[int, int], resize: int | None) -> Image.Image:
    """Shorter side to `resize` then a centre crop to hw; without `resize`, straight to hw."""
    h, w = hw
    if resize is None:
        return pil.resize((w, h), Image.BILINEAR) if pil.size != (w, h) else pil
    scale = resize / min(pil.size)
    new = (max(w, round(pil.size[0] * scale)), max(h, round(pil.size[1] * scale)))
    pil = pil.resize(new, Image.BILINEAR)
    left, top = (new[0] - w) // 2, (new[1] - h) // 2
    return pil.crop((left, top, left + w, top + h))


def to_input(images: Sequence[np.ndarray], spec: InputSpec) -> np.ndarray:
    """uint8 images -> float32 (N, C, H, W): channel conversion, resize/crop, /255, (x - mean) / std."""
    c, (h, w) = spec.channels, spec.hw
    out = np.empty((len(images), c, h, w), np.float32)
    mean = np.asarray(spec.mean, np.float32).reshape(c, 1, 1)
    std = np.asarray(spec.std, np.float32).reshape(c, 1, 1)
    for i, img in enumerate(images):
        arr = np.asarray(resize_crop(_to_pil(img, c), (h, w), spec.resize), np.float32) / 255.0
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        out[i] = (arr - mean) / std
    return out
