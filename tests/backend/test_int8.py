"""int8: a pruned model quantized with PT2E (XNNPACKQuantizer) -> the edgekit backend runs its int8 CHW
chains -> outputs within one quantization step of the dense XNNPACK int8 .pte of the same weights.

Tolerance: max |sparse - dense| <= 1 step of the model's output quantization (the logits are int8 before
the final dequantize), for Python's runtime and for `edgekit-run`, 1 and 2 threads.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
import torch

from edgekit.backends.executorch import runtime, support, support_qs8
from edgekit.backends.executorch.lowering import delegated_backends, lower
from edgekit.backends.executorch.partitioner import EdgekitPartitioner
from edgekit.quant.pt2e import quantize_pt2e, xnnpack_quantizer
from tests.backend.conftest import INPUT_SHAPE
from tests.backend.nets import make_tiny

MAX_STEPS = 1.0 + 1e-3  # one output step; the slack absorbs the fp32 rounding of (a - b) / step


def _output_scale(ep: torch.export.ExportedProgram) -> float:
    """Scale of the last quantize before the graph output (the int8 logits)."""
    q = [n for n in ep.graph.nodes if n.op == "call_function" and "quantize_per_tensor" in str(n.target)
         and "dequantize" not in str(n.target)]
    return float(q[-1].args[1])


@pytest.fixture(scope="module")
def int8_export(backend_built, tmp_path_factory: pytest.TempPathFactory) -> dict:
    model = make_tiny(seed=0, sparsity=0.7)
    x = torch.randn(*INPUT_SHAPE, generator=torch.Generator().manual_seed(1))
    calib = np.random.RandomState(0).randn(16, *INPUT_SHAPE[1:]).astype(np.float32)
    quantized = quantize_pt2e(model, x, calib, xnnpack_quantizer())
    weights = quantized.state_dict()  # the int8 constants the partitioner measures sparsity on
    out = tmp_path_factory.mktemp("int8")
    ep = torch.export.export(quantized, (x,))
    sparse = lower(ep, weights, sparse_backend=True, min_plane=0)  # small planes: forced claim
    dense = lower(torch.export.export(quantized, (x,)), weights, sparse_backend=False)
    (out / "sparse.pte").write_bytes(sparse.buffer)
    (out / "dense.pte").write_bytes(dense.buffer)
    return {"quantized": quantized, "weights": weights, "x": x, "dir": out, "step": _output_scale(ep),
            "sparse": out / "sparse.pte", "dense": out / "dense.pte", "backends": delegated_backends(sparse)}


def _steps(y: torch.Tensor | np.ndarray, ref: torch.Tensor | np.ndarray, step: float) -> float:
    return float(np.abs(np.asarray(y, np.float64) - np.asarray(ref, np.float64)).max() / step)


def test_int8_chains_are_claimed(int8_export: dict) -> None:
    from executorch.exir import EdgeCompileConfig, to_edge

    assert "EdgekitBackend" in int8_export["backends"] and "XnnpackBackend" in int8_export["backends"]
    edge = to_edge(torch.export.export(int8_export["quantized"], (int8_export["x"],)),
                   compile_config=EdgeCompileConfig(_check_ir_validity=False)).exported_program()
    part = EdgekitPartitioner(int8_export["weights"], min_plane=0)
    part.partition(edge)
    ops = [n for n in edge.graph.nodes if n.op == "call_function" and n.target in (support.CONV, support.ADD)]
    claimed = [n for n in ops if "delegation_tag" in n.meta]
    kinds = {support_qs8.conv_kind(n, edge) or "add" for n in claimed}
    # 8 convs, the residual add and hardswish's decomposed (float) add: all but that add run in the
    # edgekit delegate (the 3x3 stem as the int8 dense conv), the ReLU6 after the expand conv included.
    assert len(ops) == 10 and len(claimed) == 9, [n.name for n in claimed]
    assert kinds == {"pointwise", "depthwise", "dense", "add"}
    assert all(c["group_sparsity_1x1"] >= 0.5 for c in part.claimed)


def test_python_runtime_within_one_step_of_dense_xnnpack(int8_export: dict) -> None:
    sparse = runtime.load_method(int8_export["sparse"])
    dense = runtime.load_method(int8_export["dense"])
    gen = torch.Generator().manual_seed(5)
    inputs = [int8_export["x"], torch.zeros(INPUT_SHAPE), torch.randn(INPUT_SHAPE, generator=gen) * 100.0,
              torch.full(INPUT_SHAPE, -7.0)] + [torch.randn(INPUT_SHAPE, generator=gen) for _ in range(4)]
    worst = 0.0
    for x in inputs:
        ys, yd = sparse.execute([x])[0], dense.execute([x])[0]
        assert ys.shape == yd.shape == (1, 10)
        worst = max(worst, _steps(ys, yd, int8_export["step"]))
    assert worst <= MAX_STEPS


def test_int8_sparse_pte_tracks_eager_quantized_model(int8_export: dict) -> None:
    """Sanity beyond XNNPACK: the delegate's logits follow the PT2E reference (fake-quant eager)."""
    y = runtime.load_method(int8_export["sparse"]).execute([int8_export["x"]])[0]
    with torch.no_grad():
        ref = int8_export["quantized"](int8_export["x"])
    assert float(torch.nn.functional.cosine_similarity(y.flatten(), ref.flatten(), dim=0)) > 0.99


def test_edgekit_run_within_one_step_of_dense(int8_export: dict) -> None:
    d = int8_export["dir"]
    int8_export["x"].numpy().astype("<f4").tofile(d / "in.f32")
    want = runtime.load_method(int8_export["dense"]).execute([int8_export["x"]])[0].numpy()
    for threads in ("1", "2"):
        out = d / f"out{threads}.f32"
        argv = [str(runtime.BUILD_DIR / "edgekit-run"), str(int8_export["sparse"]), "--runs", "2",
                "--threads", threads, "--input", str(d / "in.f32"), "--output", str(out)]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout.strip().splitlines()[-1])["outputs"] == [[1, 10]]
        y = np.fromfile(out, dtype="<f4").reshape(want.shape)
        assert _steps(y, want, int8_export["step"]) <= MAX_STEPS


@pytest.mark.parametrize("options", [{}, {"claim_int8": False, "min_plane": 0}])
def test_int8_chains_left_alone_on_small_planes_or_when_off(int8_export: dict, options: dict) -> None:
    # The default claims int8 chains only on planes where they were measured to win
    # (partitioner.DEFAULT_MIN_PLANE_INT8; this net's 1x1 convs work on 15x12 and smaller planes);
    # claim_int8=False never claims them. test_int8_blocks.py pins the default claim on large planes.
    from executorch.exir import EdgeCompileConfig, to_edge

    from edgekit.backends.executorch.partitioner import DEFAULT_CLAIM_INT8, DEFAULT_MIN_PLANE_INT8

    assert DEFAULT_CLAIM_INT8 and DEFAULT_MIN_PLANE_INT8 > 15 * 12
    edge = to_edge(torch.export.export(int8_export["quantized"], (int8_export["x"],)),
                   compile_config=EdgeCompileConfig(_check_ir_validity=False)).exported_program()
    part = EdgekitPartitioner(int8_export["weights"], **options)
    part.partition(edge)
    assert part.claimed == []
    assert not any("delegation_tag" in n.meta for n in edge.graph.nodes)
