"""The block-sparse encoder against a plain reference: exact round trips, sizes, index widths, layout."""

from __future__ import annotations

import numpy as np
import pytest

from edgekit.errors import InvalidInputError
from edgekit.formats.tflite_sparse.encoding import (
    DENSE,
    SPARSE_CSR,
    Block,
    block_sparsity,
    decode,
    encode,
    narrowest_index_dtype,
)


def _sparse(shape: tuple[int, ...], density: float, seed: int, dtype=np.float32) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(np.float32)
    a[rng.random(shape) >= density] = 0
    return (a * 50).astype(dtype) if dtype == np.int8 else a.astype(dtype)


@pytest.mark.parametrize(("shape", "block"), [
    ((7, 12), Block(1, 4)),          # FC 1x4: odd output count
    ((5, 32), Block(1, 16)),         # FC 1x16
    ((8, 1, 1, 13), Block(0, 4)),    # 1x1 conv OHWI, 4 output channels per block, odd input channels
    ((6, 3, 3, 5), Block(0, 1)),     # 3x3 conv, unstructured
    ((1, 3, 3, 8), Block(3, 2)),     # depthwise 1HWC, blocks along channels
    ((9,), Block(0, 3)),             # rank 1
    ((3, 4, 5), Block(1, 2)),        # block in a middle dimension
])
@pytest.mark.parametrize("density", [0.0, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("dtype", [np.float32, np.int8])
def test_round_trip_is_exact(shape, block, density, dtype):
    dense = _sparse(shape, density, seed=len(shape) * 10 + int(density * 10), dtype=dtype)
    sp = encode(dense, block)
    back = decode(sp)
    assert back.dtype == dense.dtype and back.shape == dense.shape
    np.testing.assert_array_equal(back, dense)
    stored_blocks = sp.values.size // block.size
    nonzero_blocks = round((1 - block_sparsity(dense, block)) * (dense.size // block.size))
    assert stored_blocks == nonzero_blocks


def test_fc_layout_is_the_one_the_kernel_reads():
    w = np.zeros((3, 8), np.float32)
    w[0, 4:8] = [1, 2, 3, 4]
    w[2, 0] = 5  # a block with one non-zero is stored whole
    sp = encode(w, Block(1, 4))
    assert sp.traversal_order == [0, 1, 2] and sp.block_map == [1]
    assert [lvl.format for lvl in sp.levels] == [DENSE, SPARSE_CSR, DENSE]
    assert sp.levels[0].dense_size == 3 and sp.levels[2].dense_size == 4
    assert sp.levels[1].segments.tolist() == [0, 1, 1, 2]
    assert sp.levels[1].indices.tolist() == [1, 0]
    assert sp.values.tolist() == [1, 2, 3, 4, 5, 0, 0, 0]


def test_all_zero_and_single_nonzero_extremes():
    z = np.zeros((4, 16), np.float32)
    sp = encode(z, Block(1, 4))
    assert sp.values.size == 0 and sp.levels[1].segments.tolist() == [0] * 5
    np.testing.assert_array_equal(decode(sp), z)
    z[3, 15] = np.finfo(np.float32).max
    np.testing.assert_array_equal(decode(encode(z, Block(1, 4))), z)


def test_sizes_shrink_with_sparsity():
    dense = _sparse((256, 256), 0.1, seed=1)
    sp = encode(dense, Block(0, 1))
    assert sp.nbytes() < 0.6 * dense.nbytes
    assert encode(_sparse((256, 256), 1.0, seed=1), Block(0, 1)).nbytes() > dense.nbytes


def test_index_dtype_is_the_narrowest():
    assert narrowest_index_dtype(np.array([0, 255])) is np.uint8
    assert narrowest_index_dtype(np.array([256])) is np.uint16
    assert narrowest_index_dtype(np.array([70000])) is np.int32
    assert narrowest_index_dtype(np.array([], dtype=np.int64)) is np.uint8


@pytest.mark.parametrize(("shape", "block"),
                         [((4, 6), Block(1, 4)), ((4,), Block(2, 2)), ((0, 4), Block(0, 1))])
def test_bad_shapes_raise_a_user_error(shape, block):
    with pytest.raises(InvalidInputError):
        encode(np.ones(shape, np.float32), block)


def _corrupt(kind: str):
    sp = encode(_sparse((6, 16), 0.4, seed=9), Block(1, 4))
    csr = sp.levels[1]
    if kind == "index_out_of_range":
        csr.indices = csr.indices.copy()
        csr.indices[-1] = 4
    elif kind == "segments_decreasing":
        csr.segments = csr.segments.copy()
        csr.segments[2], csr.segments[3] = csr.segments[3], csr.segments[2] - 1
    elif kind == "segments_short":
        csr.segments = csr.segments[:-1]
    elif kind == "values_short":
        sp.values = sp.values[:-1]
    elif kind == "dense_size":
        sp.levels[0].dense_size = 7
    elif kind == "block_not_dividing":
        sp.levels[2].dense_size = 3
    return sp


@pytest.mark.parametrize("kind", ["index_out_of_range", "segments_decreasing", "segments_short",
                                  "values_short", "dense_size", "block_not_dividing"])
def test_malformed_encodings_are_rejected_not_read_out_of_bounds(kind):
    with pytest.raises(InvalidInputError):
        decode(_corrupt(kind))


def test_random_corruption_never_crashes_the_reader():
    """A small fuzz: random edits to segments/indices/values either decode or raise InvalidInputError."""
    rng = np.random.default_rng(0)
    base = _sparse((5, 12), 0.5, seed=2)
    for _ in range(300):
        sp = encode(base, Block(1, 4))
        csr = sp.levels[1]
        target = rng.integers(3)
        if target == 0 and csr.indices.size:
            csr.indices = csr.indices.copy()
            csr.indices[rng.integers(csr.indices.size)] = rng.integers(-3, 8)
        elif target == 1:
            csr.segments = csr.segments.copy()
            csr.segments[rng.integers(csr.segments.size)] = rng.integers(-2, 20)
        else:
            sp.values = sp.values[: rng.integers(sp.values.size + 1)]
        try:
            out = decode(sp)
        except InvalidInputError:
            continue
        assert out.shape == base.shape
