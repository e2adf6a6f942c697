"""fp32: export a pruned model with the edgekit backend, run it in ExecuTorch, compare with eager."""

from __future__ import annotations

import numpy as np
import torch

from edgekit.backends.executorch import runtime
from edgekit.backends.executorch.lowering import delegated_backends, lower
from tests.backend.nets import make_tiny


def rel_err(y: torch.Tensor, ref: torch.Tensor) -> float:
    return float((y - ref).abs().max() / ref.abs().max())


def test_sparse_chain_goes_to_edgekit_rest_to_xnnpack(tiny_export: dict) -> None:
    assert "EdgekitBackend" in tiny_export["backends"]
    assert "XnnpackBackend" in tiny_export["backends"]  # the classifier (the stem is claimed with the chain)


def test_python_runtime_matches_eager(tiny_export: dict) -> None:
    method = runtime.load_method(tiny_export["pte"])
    y = method.execute([tiny_export["x"]])[0]
    assert y.shape == tiny_export["ref"].shape
    assert rel_err(y, tiny_export["ref"]) <= 1e-4


def test_repeated_runs_and_new_inputs_match_eager(tiny_export: dict) -> None:
    method = runtime.load_method(tiny_export["pte"])
    model = tiny_export["model"]
    for seed in range(3):
        x = torch.randn(tiny_export["x"].shape, generator=torch.Generator().manual_seed(seed)) * (10.0**seed)
        with torch.no_grad():
            ref = model(x)
        assert rel_err(method.execute([x])[0], ref) <= 1e-4


def test_zero_input_gives_eager_result(tiny_export: dict) -> None:
    method = runtime.load_method(tiny_export["pte"])
    x = torch.zeros(tiny_export["x"].shape)
    with torch.no_grad():
        ref = tiny_export["model"](x)
    np.testing.assert_allclose(method.execute([x])[0].numpy(), ref.numpy(), rtol=1e-4, atol=1e-5)


def test_dense_model_is_left_to_xnnpack(backend_built) -> None:
    model = make_tiny(seed=3, sparsity=0.0)
    x = torch.randn(1, 3, 16, 16)
    prog = lower(torch.export.export(model, (x,)), model.state_dict(), sparse_backend=True)
    assert delegated_backends(prog) and "EdgekitBackend" not in delegated_backends(prog)


def test_no_sparse_backend_flag_gives_plain_xnnpack(backend_built) -> None:
    model = make_tiny(seed=4, sparsity=0.9)
    x = torch.randn(1, 3, 16, 16)
    prog = lower(torch.export.export(model, (x,)), model.state_dict(), sparse_backend=False)
    assert set(delegated_backends(prog)) == {"XnnpackBackend"}
