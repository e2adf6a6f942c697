"""Shared, expensive fixtures: one export of the tiny sparse model per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from edgekit.backends.executorch import runtime
from tests.backend.nets import make_tiny

INPUT_SHAPE = (1, 3, 29, 23)  # odd spatial sizes on purpose


def pytest_collection_modifyitems(items: list) -> None:
    for item in items:
        if "tests/backend/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("backend"))


@pytest.fixture(scope="session")
def backend_built() -> Path:
    path = runtime.library_path()
    if path is None:
        pytest.fail("edgekit's ExecuTorch backend is not built: run `make backend`")
    return path


@pytest.fixture(scope="session")
def tiny_export(backend_built: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from edgekit.backends.executorch.lowering import delegated_backends, lower

    model = make_tiny(seed=0, sparsity=0.7)
    torch.manual_seed(1)
    x = torch.randn(*INPUT_SHAPE)
    ep = torch.export.export(model, (x,))
    prog = lower(ep, model.state_dict(), sparse_backend=True, min_plane=0)  # small planes: forced claim
    out = tmp_path_factory.mktemp("tiny")
    pte = out / "tiny_sparse.pte"
    pte.write_bytes(prog.buffer)
    with torch.no_grad():
        ref = model(x)
    return {"model": model, "x": x, "ref": ref, "pte": pte, "backends": delegated_backends(prog), "dir": out}
