"""edgekit.native on numpy arrays: pack/unpack round trips, every ISA variant against a numpy
reference (f32 within tolerance, int8 bit-exact), the dense baseline, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from edgekit.errors import InvalidInputError, MissingDependencyError
from edgekit.native import (
    SUPPORTED_GROUP_M,
    NativeError,
    Weights,
    cpu_info,
    dense,
    force_isa,
    gspmm,
    pack,
    unpack,
)

ISAS = cpu_info()["available"]
SHAPES = [(1, 1, 1), (3, 7, 17), (17, 3, 5), (9, 33, 65), (64, 64, 784)]


def group_mask(rng: np.random.Generator, m: int, k: int, group_m: int, sparsity: float) -> np.ndarray:
    blocks = -(-m // group_m)
    keep = rng.random((blocks, k)) >= sparsity
    mask = np.repeat(keep, group_m, axis=0)[:m]
    if m > 2:
        mask[2] = False  # an all-zero row
    return mask


def qs8_reference(W, mask, bias, scale, X, zp_in, s_in, zp_out, s_out, qmin, qmax) -> np.ndarray:
    acc = bias.astype(np.int64)[:, None] + (W.astype(np.int64) * mask) @ (X.astype(np.int64) - zp_in)
    mult = (np.float32(s_in) * scale.astype(np.float32)) / np.float32(s_out)
    f = acc.astype(np.float32) * mult[:, None]
    f = np.clip(f, np.float32(qmin - zp_out), np.float32(qmax - zp_out))
    return (np.rint(f).astype(np.int32) + zp_out).astype(np.int8)


@pytest.mark.parametrize("group_m", SUPPORTED_GROUP_M)
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (9, 17), (33, 8)])
def test_pack_unpack_round_trip_is_bit_exact(shape, group_m):
    rng = np.random.default_rng(sum(shape) * 10 + group_m)
    m, k = shape
    W = rng.standard_normal(shape).astype(np.float32)
    mask = rng.random(shape) > 0.4
    bias = rng.standard_normal(m).astype(np.float32)
    W2, mask2, bias2, scale2 = unpack(pack(W, mask, group_m, bias))
    assert scale2 is None
    np.testing.assert_array_equal(W2.view(np.uint32), np.where(mask, W, 0).astype(np.float32).view(np.uint32))
    groups = np.repeat(np.pad(mask, ((0, -m % group_m), (0, 0))).reshape(-1, group_m, k).any(axis=1),
                       group_m, axis=0)[:m]
    np.testing.assert_array_equal(mask2, groups)
    np.testing.assert_array_equal(bias2, bias)

    Wq = rng.integers(-128, 128, shape, dtype=np.int8)
    scale = rng.uniform(0.001, 0.1, m).astype(np.float32)
    bq = rng.integers(-5000, 5000, m, dtype=np.int32)
    Wq2, maskq, bq2, scale2 = unpack(pack(Wq, mask, group_m, bq, w_scale=scale))
    np.testing.assert_array_equal(Wq2, np.where(mask, Wq, 0))
    np.testing.assert_array_equal(maskq, groups)
    np.testing.assert_array_equal(bq2, bq)
    np.testing.assert_array_equal(scale2, scale)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("group_m", SUPPORTED_GROUP_M)
@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9, 1.0])
def test_gspmm_f32_matches_numpy(isa, group_m, sparsity):
    rng = np.random.default_rng(int(sparsity * 100) + group_m)
    for i, (m, k, n) in enumerate(SHAPES):
        W = rng.standard_normal((m, k)).astype(np.float32)
        X = rng.standard_normal((k, n)).astype(np.float32)
        bias = rng.standard_normal(m).astype(np.float32)
        mask = group_mask(rng, m, k, group_m, sparsity)
        lo, hi = (0.0, 6.0) if i % 2 else (None, None)
        with force_isa(isa):
            Y = gspmm(pack(W, mask, group_m, bias), X, output_min=lo, output_max=hi)
        ref = (W * mask).astype(np.float64) @ X + bias[:, None]
        if lo is not None:
            ref = np.clip(ref, lo, hi)
        tol = 1e-5 * (np.abs(W * mask) @ np.abs(X) + np.abs(bias)[:, None]) + 1e-6
        bad = np.argwhere(np.abs(Y - ref) > tol)
        assert bad.size == 0, f"{isa} {m}x{k}x{n}: first mismatch at (m, n) = {tuple(bad[0])}"


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("group_m", SUPPORTED_GROUP_M)
@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9, 1.0])
def test_gspmm_qs8_is_bit_exact(isa, group_m, sparsity):
    rng = np.random.default_rng(1000 + int(sparsity * 100) + group_m)
    for i, (m, k, n) in enumerate(SHAPES):
        W = rng.integers(-128, 128, (m, k), dtype=np.int8)
        X = rng.integers(-128, 128, (k, n), dtype=np.int8)
        if i == 3:  # extremes
            W[:, ::2], X[::3] = -128, -128
        bias = rng.integers(-20000, 20000, m, dtype=np.int32)
        scale = rng.uniform(0.002, 0.02, m).astype(np.float32)
        mask = group_mask(rng, m, k, group_m, sparsity)
        zp_in, zp_out = int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
        s_in, s_out = float(rng.uniform(0.01, 0.05)), float(rng.uniform(0.05, 0.2))
        qmin, qmax = (max(zp_out, -128), 127) if i % 2 else (-128, 127)  # ReLU on odd shapes
        with force_isa(isa):
            Y = gspmm(pack(W, mask, group_m, bias, w_scale=scale), X, input_zero_point=zp_in,
                      input_scale=s_in, output_zero_point=zp_out, output_scale=s_out, output_min=qmin,
                      output_max=qmax)
        ref = qs8_reference(W, mask, bias, scale, X, zp_in, s_in, zp_out, s_out, qmin, qmax)
        bad = np.argwhere(ref != Y)
        assert bad.size == 0, f"{isa} {m}x{k}x{n}: first mismatch at (m, n) = {tuple(bad[0])}"


def test_dense_matches_reference_and_keeps_zero_weights():
    rng = np.random.default_rng(7)
    W = rng.standard_normal((13, 19)).astype(np.float32)
    W[0, 0] = 0.0
    X = rng.standard_normal((19, 23)).astype(np.float32)
    b = rng.standard_normal(13).astype(np.float32)
    np.testing.assert_allclose(dense(W, X, b), W.astype(np.float64) @ X + b[:, None], rtol=1e-5, atol=1e-5)
    Wq = rng.integers(-128, 128, (13, 19), dtype=np.int8)
    Xq = rng.integers(-128, 128, (19, 23), dtype=np.int8)
    s = np.full(13, 0.01, np.float32)
    bq = rng.integers(-100, 100, 13, dtype=np.int32)
    Y = dense(Wq, Xq, bq, w_scale=s, input_zero_point=3, input_scale=0.05, output_zero_point=-5,
              output_scale=0.2)
    ref = qs8_reference(Wq, np.ones_like(Wq, bool), bq, s, Xq, 3, 0.05, -5, 0.2, -128, 127)
    np.testing.assert_array_equal(Y, ref)


def test_weights_info_reports_kept_groups():
    W = np.zeros((6, 5), np.float32)
    W[0, 1] = W[5, 4] = 1.0  # two groups of 4 rows; the last block has 2 real rows
    with Weights(pack(W, group_m=4)) as w:
        assert (w.info.dtype, w.info.M, w.info.K, w.info.group_m) == ("f32", 6, 5, 4)
        assert (w.info.groups_total, w.info.groups_kept, w.info.nnz) == (10, 2, 4 + 2)


def test_truncated_and_corrupt_blobs_are_rejected():
    blob = pack(np.ones((5, 7), np.float32), group_m=4)
    for cut in (0, 3, 100, len(blob) - 1):
        with pytest.raises(InvalidInputError):
            Weights(blob[:cut])
    with pytest.raises(NativeError) as e:
        Weights(b"XXXX" + blob[4:])
    assert e.value.status == 2 and "magic" in str(e.value)
    corrupt = bytearray(blob)
    corrupt[8] ^= 0x40  # M
    with pytest.raises(NativeError):
        Weights(bytes(corrupt))


def test_bad_arguments_raise_one_line_errors():
    W = np.ones((4, 4), np.float32)
    with pytest.raises(InvalidInputError, match="group_m"):
        pack(W, group_m=3)
    with pytest.raises(InvalidInputError, match="w_scale"):
        pack(W.astype(np.int8))
    with pytest.raises(InvalidInputError, match="mask shape"):
        pack(W, np.ones((3, 4)))
    with pytest.raises(InvalidInputError, match="X must be"):
        gspmm(pack(W), np.ones((5, 2), np.float32))
    with pytest.raises(InvalidInputError, match="output_min"):
        gspmm(pack(W), np.ones((4, 2), np.float32), output_min=1.0, output_max=0.0)
    with pytest.raises(InvalidInputError, match="unknown ISA"), force_isa("sse9"):
        pass


def test_cpu_info_and_missing_library(monkeypatch, tmp_path):
    info = cpu_info()
    assert "scalar" in info["available"]
    assert info["selected"]["f32"] in info["available"] and info["selected"]["qs8"] in info["available"]
    from edgekit.native import _lib

    monkeypatch.setattr(_lib, "_lib", None)
    monkeypatch.setattr(_lib, "_REPO_BUILD", tmp_path / "none.so")
    monkeypatch.setattr(_lib, "_PACKAGED", tmp_path / "none2.so")
    monkeypatch.delenv(_lib.ENV_NATIVE, raising=False)
    with pytest.raises(MissingDependencyError, match="make native"):
        _lib.lib()
