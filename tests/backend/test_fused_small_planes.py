"""fp32 blocks on small output planes (<= 49 px: native/executorch/src/fused_f32_channels.h). At 2+
threads they run split by channels (expand + depthwise over expanded-channel ranges, a barrier, then
the projection and add over output-channel ranges) instead of row bands. Planes of 7x7, 5x7 and 1x1,
stride 1 and 2, with and without an expansion, an odd number of output channels: the result must
equal op-by-op execution and the 1-thread run bit for bit, and eager PyTorch within 1e-4."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from tests.backend.nets import prune_pointwise
from tests.backend.test_fused_blocks import run


class SmallPlanes(nn.Module):
    """13x13 -> (s2 block) 7x7 -> (s1 block + residual) 7x7 -> (dw-only block + residual) 7x7."""

    def __init__(self, c_in: int = 24, c_mid: int = 37) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, c_in, 1)
        self.a_expand, self.a_dw = nn.Conv2d(c_in, 144, 1), nn.Conv2d(144, 144, 3, 2, 1, groups=144)
        self.a_project = nn.Conv2d(144, c_mid, 1)
        self.b_expand, self.b_dw = nn.Conv2d(c_mid, 222, 1), nn.Conv2d(222, 222, 3, 1, 1, groups=222)
        self.b_project = nn.Conv2d(222, c_mid, 1)
        self.c_dw, self.c_project = nn.Conv2d(c_mid, c_mid, 5, 1, 2, groups=c_mid), nn.Conv2d(c_mid, c_mid, 1)
        self.head = nn.Linear(c_mid, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self.stem(x))
        x = self.a_project(F.relu6(self.a_dw(F.relu6(self.a_expand(x)))))
        x = x + self.b_project(F.relu6(self.b_dw(F.relu6(self.b_expand(x)))))
        y = torch.relu(x)
        x = y + self.c_project(torch.relu(self.c_dw(y)))
        return self.head(x.mean([2, 3]))


@pytest.fixture(scope="module", params=[(13, 13), (9, 13), (1, 1)], ids=["7x7", "5x7", "1x1"])
def small_export(request, backend_built, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from edgekit.backends.executorch.lowering import delegated_backends, lower

    torch.manual_seed(0)
    model = SmallPlanes().eval()
    prune_pointwise(model, 0.8)
    x = torch.randn(1, 3, *request.param, generator=torch.Generator().manual_seed(2))
    # min_plane=0: such small planes are left to XNNPACK by default; the runtime path is under test.
    prog = lower(torch.export.export(model, (x,)), model.state_dict(), sparse_backend=True, min_plane=0)
    assert "EdgekitBackend" in delegated_backends(prog)
    d = tmp_path_factory.mktemp("small")
    (d / "small.pte").write_bytes(prog.buffer)
    x.numpy().astype("<f4").tofile(d / "in.f32")
    with torch.no_grad():
        ref = model(x).numpy()
    return {"dir": d, "pte": d / "small.pte", "ref": ref}


def test_small_plane_blocks_split_by_channels_equal_op_by_op(small_export: dict) -> None:
    one, steps = run(small_export, 1, fused=True, profile=True)
    assert sum(s["kind"].startswith("block:") for s in steps) == 3
    two = run(small_export, 2, fused=True)[0]
    op_by_op = run(small_export, 2, fused=False)[0]
    np.testing.assert_array_equal(two, op_by_op)   # channel splits never change a sum's order
    np.testing.assert_array_equal(two, one)
    ref = small_export["ref"]
    assert np.abs(two - ref).max() <= 1e-4 * np.abs(ref).max()
