"""Group-sparsity patterns as data: the one table that maps a pattern name to its block shape and backends.

A weight is viewed as a matrix W[M x K] (M output channels; K = input channels x kernel positions).
A pattern prunes whole blocks of `rows x cols` (output x input) weights:

  name  block  runs on
  1x1   1x1    native kernels, group_m=1 (unstructured)
  4x1   4x1    native kernels, group_m=4 (4 consecutive output channels x 1 input channel)
  8x1   8x1    native kernels, group_m=8
  1x4   1x4    TFLite FULLY_CONNECTED fp32 block-sparse weights (4 consecutive input channels)
  1x16  1x16   TFLite FULLY_CONNECTED int8 block-sparse weights

Native patterns allow any M (the last output-channel group is partial, as the packer does);
TFLite block patterns need K divisible by the block (its sparse format has no partial blocks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from edgekit.errors import InvalidInputError
from edgekit.registry import Registry


@dataclass(frozen=True)
class Pattern:
    name: str
    rows: int                      # block size along output channels (M)
    cols: int                      # block size along input channels (K)
    native_group_m: int | None     # group_m for edgekit.native.pack, or None if the kernels cannot run it
    tflite_block: tuple[int, int] | None  # TFLite sparse block (out, in), or None
    partial_ok: bool               # may M (rows) / K (cols) be a non-multiple of the block?
    description: str

    @property
    def block(self) -> tuple[int, int]:
        return self.rows, self.cols

    @property
    def block_size(self) -> int:
        return self.rows * self.cols

    def grid(self, m: int, k: int) -> tuple[int, int]:
        """Number of blocks along M and K (the last ones may be partial)."""
        return math.ceil(m / self.rows), math.ceil(k / self.cols)

    def check_fits(self, m: int, k: int, layer: str = "layer") -> None:
        """Raise if this pattern cannot represent an M x K weight (only block formats without remainders)."""
        if self.partial_ok:
            return
        if m % self.rows or k % self.cols:
            raise InvalidInputError(
                f"pattern {self.name} needs output channels divisible by {self.rows} and input channels "
                f"divisible by {self.cols}, but {layer} is {m}x{k}",
                hint="pick a native pattern (4x1, 8x1, 1x1) or exclude the layer with --exclude")


PATTERNS: Registry[Pattern] = Registry("sparsity pattern")


def _add(p: Pattern) -> None:
    PATTERNS.add(p.name, p)


_add(Pattern("1x1", 1, 1, 1, None, True, "unstructured (native group_m=1)"))
_add(Pattern("4x1", 4, 1, 4, None, True, "4 output channels x 1 input channel (native group_m=4)"))
_add(Pattern("8x1", 8, 1, 8, None, True, "8 output channels x 1 input channel (native group_m=8)"))
_add(Pattern("1x4", 1, 4, None, (1, 4), False, "1x4 input-channel blocks (TFLite fp32 sparse FC)"))
_add(Pattern("1x16", 1, 16, None, (1, 16), False, "1x16 input-channel blocks (TFLite int8 sparse FC)"))

DEFAULT_PATTERN = "4x1"


def get(name: str | Pattern) -> Pattern:
    return name if isinstance(name, Pattern) else PATTERNS.get(str(name).lower())


def native_patterns() -> list[Pattern]:
    """Patterns the native kernels run; checked against edgekit.native when it is importable."""
    try:
        from edgekit.native import SUPPORTED_GROUP_M  # type: ignore[attr-defined]
    except Exception:  # the native binding is optional (not built, or another engineer's work in progress)
        SUPPORTED_GROUP_M = (1, 4, 8)
    return [e.obj for e in PATTERNS if e.obj.native_group_m in tuple(SUPPORTED_GROUP_M)]
