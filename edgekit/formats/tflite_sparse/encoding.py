"""TFLite's sparse-tensor format (schema `SparsityParameters`), written and read without TensorFlow.

A tensor of rank r is stored as a tree walked in `traversal_order`. Each level is either DENSE
(every index 0..dense_size-1 present) or SPARSE_CSR (per parent position, a segment of the
indices that are present). With a block along original dimension b of size k, that dimension is
split into D[b]/k blocks (level b) and an inner level r of size k that is stored whole.

edgekit always uses one layout, the one TFLite's FULLY_CONNECTED sparse kernels and DENSIFY read:
all original dimensions DENSE except the last one, which is SPARSE_CSR; block levels DENSE at the
end. For a [O, I] weight with 1x4 blocks this is exactly `[DENSE O, CSR I/4, DENSE 4]`.
A block is stored when any of its k values is non-zero, so encoding is lossless for any weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgekit.errors import InvalidInputError

DENSE, SPARSE_CSR = 0, 1  # schema DimensionType


@dataclass(frozen=True)
class Block:
    """A block of `size` consecutive elements along original dimension `dim` (size 1: no block)."""

    dim: int
    size: int

    @property
    def is_trivial(self) -> bool:
        return self.size == 1


@dataclass
class Level:
    format: int  # DENSE or SPARSE_CSR
    dense_size: int = 0
    segments: np.ndarray | None = None  # int64, len = parent positions + 1
    indices: np.ndarray | None = None  # int64, one per stored position


@dataclass
class SparseTensor:
    """The encoded form: what goes into a TFLite tensor's `sparsity` field plus its packed values."""

    shape: tuple[int, ...]
    traversal_order: list[int]
    block_map: list[int]
    levels: list[Level]
    values: np.ndarray  # 1-D, same dtype as the dense tensor

    @property
    def block(self) -> Block:
        if not self.block_map:
            return Block(0, 1)
        return Block(self.block_map[0], self.levels[-1].dense_size)

    def index_nbytes(self) -> int:
        """Bytes the segments/indices take when stored in the narrowest TFLite vector type."""
        total = 0
        for lvl in self.levels:
            if lvl.format == SPARSE_CSR:
                for arr in (lvl.segments, lvl.indices):
                    total += arr.size * np.dtype(narrowest_index_dtype(arr)).itemsize
        return total

    def nbytes(self) -> int:
        return self.values.nbytes + self.index_nbytes()


def narrowest_index_dtype(arr: np.ndarray) -> type:
    """uint8 / uint16 / int32: the TFLite SparseIndexVector types, smallest that holds `arr`."""
    top = int(arr.max()) if arr.size else 0
    if top <= np.iinfo(np.uint8).max:
        return np.uint8
    if top <= np.iinfo(np.uint16).max:
        return np.uint16
    if top <= np.iinfo(np.int32).max:
        return np.int32
    raise InvalidInputError(f"sparse index {top} does not fit TFLite's int32 index vectors")


def _blocked_view(dense: np.ndarray, block: Block) -> np.ndarray:
    """Dense array reshaped to the expanded level order [dims with dim b split..., k]."""
    shape = dense.shape
    if block.is_trivial:
        return dense.reshape(*shape, 1)
    b, k = block.dim, block.size
    if not 0 <= b < dense.ndim:
        raise InvalidInputError(f"block dimension {b} is outside a rank-{dense.ndim} tensor")
    if shape[b] % k:
        raise InvalidInputError(
            f"dimension {b} of size {shape[b]} is not a multiple of the block size {k}")
    split = dense.reshape(*shape[:b], shape[b] // k, k, *shape[b + 1:])
    return np.moveaxis(split, b + 1, -1)  # [..., D[b]/k, ..., k]


def encode(dense: np.ndarray, block: Block = Block(0, 1)) -> SparseTensor:
    """Encode `dense` with all dims DENSE except the last (CSR), blocks of `block` stored whole."""
    dense = np.ascontiguousarray(dense)
    if dense.ndim < 1 or dense.size == 0:
        raise InvalidInputError(f"cannot sparse-encode a tensor of shape {dense.shape}")
    view = _blocked_view(dense, block)  # rank r + 1, last = block elements
    r = dense.ndim
    outer = view.shape[:r - 1]
    last = view.shape[r - 1]
    k = view.shape[r]
    rows = view.reshape(-1, last, k)  # parent positions x CSR dim x block
    present = np.any(rows != 0, axis=2)  # [parents, last]
    counts = present.sum(axis=1)
    segments = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    indices = np.nonzero(present)[1].astype(np.int64)  # row-major: grouped by parent, ascending
    values = rows[present].reshape(-1)  # stored blocks in the same order, k values each
    levels = [Level(DENSE, dense_size=int(n)) for n in outer]
    levels.append(Level(SPARSE_CSR, segments=segments, indices=indices))
    block_map: list[int] = []
    if not block.is_trivial:
        levels.append(Level(DENSE, dense_size=k))
        block_map = [block.dim]  # the split dimension's own level holds D[b]/k entries
    return SparseTensor(
        shape=tuple(int(d) for d in dense.shape),
        traversal_order=list(range(r + len(block_map))),
        block_map=block_map,
        levels=levels,
        values=np.ascontiguousarray(values),
    )


def decode(sp: SparseTensor) -> np.ndarray:
    """Reference decoder for edgekit's layout (used to self-check every tensor the writer emits)."""
    r = len(sp.shape)
    blk = sp.block
    k = blk.size
    if len(sp.block_map) > 1 or not 0 <= blk.dim < r or k < 1 or sp.shape[blk.dim] % k \
            or sp.traversal_order != list(range(r + len(sp.block_map))):
        raise InvalidInputError("sparse tensor block map / traversal order is not one edgekit reads")
    expanded = list(sp.shape)
    if not blk.is_trivial:
        expanded[blk.dim] //= k
    if any(sp.levels[i].dense_size != expanded[i] for i in range(min(r - 1, len(sp.levels)))):
        raise InvalidInputError("sparse tensor dense level sizes do not match its shape")
    outer, last = expanded[:r - 1], expanded[r - 1]
    csr = sp.levels[r - 1]
    parents = int(np.prod(outer, dtype=np.int64)) if outer else 1
    _check_structure(sp, csr, parents, last, k)
    rows = np.zeros((parents, last, k), dtype=sp.values.dtype)
    vals = sp.values.reshape(-1, k)
    for p in range(parents):
        lo, hi = int(csr.segments[p]), int(csr.segments[p + 1])
        rows[p, csr.indices[lo:hi]] = vals[lo:hi]
    view = rows.reshape(*outer, last, k)
    if blk.is_trivial:
        return view.reshape(sp.shape)
    b = blk.dim
    unmoved = np.moveaxis(view, -1, b + 1)
    return unmoved.reshape(sp.shape)


def _check_structure(sp: SparseTensor, csr: Level, parents: int, last: int, k: int) -> None:
    """Reject anything a reader would index out of bounds with (files can come from anywhere)."""
    r = len(sp.shape)
    want_levels = r + (0 if sp.block.is_trivial else 1)
    if len(sp.levels) != want_levels or csr.format != SPARSE_CSR or any(
            lvl.format != DENSE for i, lvl in enumerate(sp.levels) if i != r - 1):
        raise InvalidInputError("sparse tensor layout is not [DENSE..., CSR, (DENSE block)]")
    seg, idx = csr.segments, csr.indices
    if seg is None or idx is None or len(seg) != parents + 1 or seg[0] != 0:
        raise InvalidInputError("sparse tensor has malformed CSR segments")
    if np.any(np.diff(seg) < 0) or seg[-1] != len(idx):
        raise InvalidInputError("sparse tensor CSR segments are not monotonic or miss the index count")
    if len(idx) and (idx.min() < 0 or idx.max() >= last):
        raise InvalidInputError(f"sparse tensor index out of range (dimension size {last})")
    if sp.values.size != len(idx) * k:
        raise InvalidInputError(f"sparse tensor holds {sp.values.size} values, its indices need "
                                f"{len(idx) * k}")


def block_sparsity(dense: np.ndarray, block: Block) -> float:
    """Fraction of blocks that are entirely zero (what the block-sparse kernels skip)."""
    view = _blocked_view(np.asarray(dense), block)
    blocks = view.reshape(-1, view.shape[-1])
    return float(np.mean(~np.any(blocks != 0, axis=1)))
