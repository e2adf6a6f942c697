"""Fused int8 MobileNet blocks (native/executorch/src/fused_qs8.h): the int8 chains of a PT2E model
run [expand 1x1 ->] depthwise -> project 1x1 [-> add] in row bands. Planes are tall enough for several
bands (band edges, halo rows, stride 2, 5x5), at 1 and 2 threads; the result must equal op-by-op
execution (EDGEKIT_NO_FUSION) bit for bit and stay within one output quantization step of the dense
XNNPACK int8 .pte of the same weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from edgekit.backends.executorch import runtime
from tests.backend.test_fused_blocks import BAND_BYTES, make_blocks, run
from tests.backend.test_int8 import MAX_STEPS, _output_scale, _steps


@pytest.fixture(scope="module")
def int8_blocks(backend_built, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from edgekit.backends.executorch.lowering import delegated_backends, lower
    from edgekit.quant.pt2e import quantize_pt2e, xnnpack_quantizer

    model, x = make_blocks()   # block a's expanded int8 tensor: 362 KB (6 bands at 64 KB)
    calib = np.random.RandomState(0).randn(4, *x.shape[1:]).astype(np.float32)
    quantized = quantize_pt2e(model, x, calib, xnnpack_quantizer())
    weights = quantized.state_dict()
    ep = torch.export.export(quantized, (x,))
    sparse = lower(ep, weights, sparse_backend=True)  # the defaults claim int8 chains on these planes
    dense = lower(torch.export.export(quantized, (x,)), weights, sparse_backend=False)
    d = tmp_path_factory.mktemp("int8_blocks")
    (d / "blocks.pte").write_bytes(sparse.buffer)
    (d / "dense.pte").write_bytes(dense.buffer)
    x.numpy().astype("<f4").tofile(d / "in.f32")
    want = runtime.load_method(d / "dense.pte").execute([x])[0].numpy()
    return {"dir": d, "pte": d / "blocks.pte", "ref": want, "step": _output_scale(ep),
            "backends": delegated_backends(sparse)}


def test_int8_blocks_are_fused(int8_blocks: dict) -> None:
    assert "EdgekitBackend" in int8_blocks["backends"]  # claimed by default (partitioner.DEFAULT_CLAIM_INT8)
    _, steps = run(int8_blocks, 1, fused=True, profile=True)
    kinds = [s["kind"] for s in steps]
    assert "block:conv1x1+dwconv+conv1x1" in kinds  # block a (stride 2)
    assert "block:conv1x1+dwconv+conv1x1+add" in kinds  # block b
    _, unfused = run(int8_blocks, 1, fused=False, profile=True)
    assert not any(s["kind"].startswith("block:") for s in unfused)


@pytest.mark.parametrize("band_bytes", BAND_BYTES)
@pytest.mark.parametrize("threads", [1, 2])
def test_int8_fused_equals_op_by_op_and_dense_xnnpack(int8_blocks: dict, threads: int,
                                                      band_bytes: int | None) -> None:
    fused, _ = run(int8_blocks, threads, fused=True, band_bytes=band_bytes)
    op_by_op, _ = run(int8_blocks, threads, fused=False)
    np.testing.assert_array_equal(fused, op_by_op)  # same kernels on the same rows
    assert _steps(fused, int8_blocks["ref"], int8_blocks["step"]) <= MAX_STEPS
