"""The int8 stem convolution in the edgekit delegate (native/src/qs8-conv-chw, qs8 op CONV in blob v3).

In a PT2E int8 model the stem (few input channels) is claimed with the sparse int8 chain after it:
the delegate reads the quantized NCHW image, the standalone ReLU6 after the stem folds into it (one
rounding, as XNNPACK does), and MobileNetV2's first block (stem -> depthwise -> project) runs fused in
row bands. Checked against the dense XNNPACK int8 .pte of the same quantized weights (within one output
step; the arithmetic is XNNPACK's, so 0 steps is expected), fused == op by op bit for bit at 1 and 2
threads, other geometries, and what is not claimed (8 input channels).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from edgekit.backends.executorch import runtime, support
from edgekit.backends.executorch.lowering import delegated_backends, lower
from edgekit.quant.pt2e import quantize_pt2e, xnnpack_quantizer
from tests.backend.test_int8 import MAX_STEPS, _output_scale, _steps
from tests.backend.test_stem import make, run


def export_int8(model: torch.nn.Module, shape: tuple[int, ...], d, name: str) -> dict:
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(7))
    calib = np.random.RandomState(0).randn(4, *shape[1:]).astype(np.float32)
    quantized = quantize_pt2e(model, x, calib, xnnpack_quantizer())
    ep = torch.export.export(quantized, (x,))
    sparse = lower(ep, quantized.state_dict(), sparse_backend=True, min_plane=0)  # small planes: forced
    dense = lower(torch.export.export(quantized, (x,)), None, sparse_backend=False)
    pte, dense_pte = d / f"{name}.pte", d / f"{name}.dense.pte"
    pte.write_bytes(sparse.buffer)
    dense_pte.write_bytes(dense.buffer)
    x.numpy().astype("<f4").tofile(d / f"{name}.in.f32")
    ref = runtime.load_method(dense_pte).execute([x])[0].numpy()
    return {"pte": pte, "dense": dense_pte, "x": x, "input": d / f"{name}.in.f32", "ref": ref,
            "step": _output_scale(ep), "backends": delegated_backends(sparse), "dir": d, "name": name,
            "quantized": quantized}


@pytest.fixture(scope="module")
def mbv2_stem_int8(backend_built, tmp_path_factory: pytest.TempPathFactory) -> dict:
    # Odd sizes; the stem's int8 output (32 x 120 x 121) spans two 256 KB bands of the fused block.
    return export_int8(make(seed=0), (1, 3, 239, 241), tmp_path_factory.mktemp("int8_stem"), "mbv2")


def test_int8_stem_is_claimed(mbv2_stem_int8: dict) -> None:
    from executorch.exir import EdgeCompileConfig, to_edge

    from edgekit.backends.executorch import support_qs8
    from edgekit.backends.executorch.partitioner import EdgekitPartitioner

    quantized = mbv2_stem_int8["quantized"]
    edge = to_edge(torch.export.export(quantized, (mbv2_stem_int8["x"],)),
                   compile_config=EdgeCompileConfig(_check_ir_validity=False)).exported_program()
    EdgekitPartitioner(quantized.state_dict(), min_plane=0).partition(edge)
    convs = [n for n in edge.graph.nodes if n.op == "call_function" and n.target == support.CONV]
    assert support_qs8.conv_kind(convs[0], edge) == "dense" and "delegation_tag" in convs[0].meta
    assert all("delegation_tag" in n.meta for n in convs)  # and the whole chain after it


def test_int8_stem_is_fused_into_the_first_block(mbv2_stem_int8: dict) -> None:
    _, steps = run(mbv2_stem_int8)
    assert steps[0]["kind"] == "block:conv+dwconv+conv1x1"  # the ReLU6 folded into the stem
    assert steps[0]["in"] == [3, 239, 241]  # the delegate reads the quantized NCHW image itself
    assert steps[0]["out"] == [16, 120, 121]
    _, unfused = run(mbv2_stem_int8, fused=False)
    assert unfused[0]["kind"] == "conv" and unfused[0]["out"] == [32, 120, 121]


@pytest.mark.parametrize("threads", [1, 2])
def test_int8_stem_block_equals_op_by_op_and_dense_xnnpack(mbv2_stem_int8: dict, threads: int) -> None:
    fused, _ = run(mbv2_stem_int8, threads, fused=True)
    op_by_op, _ = run(mbv2_stem_int8, threads, fused=False)
    np.testing.assert_array_equal(fused, op_by_op)  # same kernels on the same rows
    assert _steps(fused, mbv2_stem_int8["ref"], mbv2_stem_int8["step"]) <= MAX_STEPS


def test_int8_stem_python_runtime_on_extreme_inputs(mbv2_stem_int8: dict) -> None:
    """Saturated images (every pixel at the int8 ends after quantization) and zeros: the stem's
    padding and requantization edges, against the dense XNNPACK int8 .pte."""
    sparse = runtime.load_method(mbv2_stem_int8["pte"])
    dense = runtime.load_method(mbv2_stem_int8["dense"])
    x = mbv2_stem_int8["x"]
    for probe in (x, torch.zeros_like(x), torch.full_like(x, 1e3), torch.full_like(x, -1e3), x * 50.0):
        ys, yd = sparse.execute([probe])[0], dense.execute([probe])[0]
        assert _steps(ys, yd, mbv2_stem_int8["step"]) <= MAX_STEPS


@pytest.mark.parametrize("geometry", [
    {"in_ch": 1, "kernel": 5, "stride": 1, "padding": 2, "bn": False},        # grayscale 5x5 s1
    {"in_ch": 4, "kernel": (3, 5), "stride": (2, 1), "padding": (1, 2)},     # non-square, mixed stride
])
def test_other_int8_stem_geometries(backend_built, tmp_path, geometry: dict) -> None:
    exp = export_int8(make(seed=1, **geometry), (1, geometry["in_ch"], 27, 19), tmp_path, "geom")
    y, steps = run(exp, fused=False)
    assert steps[0]["kind"] == "conv" and steps[0]["in"] == [geometry["in_ch"], 27, 19]
    assert _steps(y, exp["ref"], exp["step"]) <= MAX_STEPS
    y_fused, _ = run(exp, fused=True)
    np.testing.assert_array_equal(y_fused, y)


def test_wide_input_int8_stem_stays_on_xnnpack(backend_built, tmp_path) -> None:
    """8 input channels is no image stem: the int8 chain after it is claimed, the conv is not."""
    exp = export_int8(make(seed=2, in_ch=8), (1, 8, 21, 17), tmp_path, "wide")
    y, steps = run(exp)
    assert "EdgekitBackend" in exp["backends"]
    assert all(s["kind"] != "conv" and not s["kind"].startswith("block:conv+") for s in steps)
    assert _steps(y, exp["ref"], exp["step"]) <= MAX_STEPS
