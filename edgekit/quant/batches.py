"""Calibration data in the model's fixed batch size."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def batches(data: np.ndarray, batch: int) -> Iterator[np.ndarray]:
    """Consecutive float32 chunks of exactly `batch` samples (the last one wraps around to fill up)."""
    n = len(data)
    if n == 0:
        return
    count = max(1, -(-n // batch))
    idx = np.arange(count * batch) % n
    for i in range(count):
        yield np.ascontiguousarray(data[idx[i * batch:(i + 1) * batch]], dtype=np.float32)
