"""Fused fp32 MobileNet blocks (native/executorch/src/fused_f32.h): [expand 1x1 ->] depthwise ->
project 1x1 [-> add] run in row bands. Planes are tall enough for several bands (band edges, halo
rows, stride 2, 5x5), at 1 and 2 threads; the result must equal op-by-op execution
(EDGEKIT_NO_FUSION) bit for bit and eager PyTorch within 1e-4."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from edgekit.backends.executorch import runtime
from tests.backend.nets import prune_pointwise, randomize_bn


class Blocks(nn.Module):
    """Stem (claimed with the chain; it feeds a 1x1 expansion, so it runs as its own op), then
    MobileNetV2 blocks: s2 expand/dw/project, s1 with residual, and a
    5x5 s1 block with residual whose depthwise reads the block input directly (no expand)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 2, 1)
        self.a_expand, self.a_bn = nn.Conv2d(16, 96, 1, bias=False), nn.BatchNorm2d(96)
        self.a_dw = nn.Conv2d(96, 96, 3, 2, 1, groups=96)
        self.a_project = nn.Conv2d(96, 24, 1)
        self.b_expand = nn.Conv2d(24, 144, 1)
        self.b_dw = nn.Conv2d(144, 144, 3, 1, 1, groups=144)
        self.b_project = nn.Conv2d(144, 24, 1)
        self.c_dw = nn.Conv2d(24, 24, 5, 1, 2, groups=24)
        self.c_project = nn.Conv2d(24, 24, 1)
        self.head = nn.Linear(24, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = self.a_project(F.relu6(self.a_dw(F.relu6(self.a_bn(self.a_expand(x))))))
        x = x + self.b_project(F.relu6(self.b_dw(F.relu6(self.b_expand(x)))))
        y = torch.relu(x)
        x = y + self.c_project(torch.relu(self.c_dw(y)))
        return self.head(x.mean([2, 3]))


def make_blocks() -> tuple[Blocks, torch.Tensor]:
    """The pruned test net and its input. Odd sizes: stem 63x60, block a's expanded tensor 96 x 63 x 60
    (several bands), its depthwise 63x60 -> 32x30 (stride 2), block b at 32x30 and c (5x5) after it."""
    torch.manual_seed(0)
    model = Blocks().eval()
    randomize_bn(model.a_bn, affine=False)
    prune_pointwise(model, 0.8)
    return model, torch.randn(1, 3, 125, 119, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def blocks_export(backend_built, tmp_path_factory: pytest.TempPathFactory) -> dict:
    from edgekit.backends.executorch.lowering import delegated_backends, lower

    model, x = make_blocks()
    prog = lower(torch.export.export(model, (x,)), model.state_dict(), sparse_backend=True)
    d = tmp_path_factory.mktemp("blocks")
    (d / "blocks.pte").write_bytes(prog.buffer)
    x.numpy().astype("<f4").tofile(d / "in.f32")
    with torch.no_grad():
        ref = model(x).numpy()
    return {"dir": d, "pte": d / "blocks.pte", "ref": ref, "backends": delegated_backends(prog)}


# Band budgets the fused tests run at: the default (the host's L2) and 64 KB, so band edges and halo
# rows are exercised whatever the host's cache size.
BAND_BYTES = [None, 65536]


def run(exp: dict, threads: int, fused: bool, profile: bool = False,
        band_bytes: int | None = None) -> tuple[np.ndarray, list[dict]]:
    out = exp["dir"] / f"out_{threads}_{int(fused)}_{band_bytes}.f32"
    drop = ("EDGEKIT_NO_FUSION", "EDGEKIT_PROFILE", "EDGEKIT_BAND_BYTES")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({} if fused else {"EDGEKIT_NO_FUSION": "1"})
    env.update({"EDGEKIT_BAND_BYTES": str(band_bytes)} if band_bytes else {})
    env.update({"EDGEKIT_PROFILE": "1"} if profile else {})
    args = [str(runtime.BUILD_DIR / "edgekit-run"), str(exp["pte"]), "--runs", "2", "--threads", str(threads),
            "--input", str(exp["dir"] / "in.f32"), "--output", str(out)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    steps = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith('{"edgekit_op')]
    return np.fromfile(out, dtype="<f4").reshape(exp["ref"].shape), steps


def test_blocks_are_fused(blocks_export: dict) -> None:
    assert "EdgekitBackend" in blocks_export["backends"]
    _, steps = run(blocks_export, 1, fused=True, profile=True)
    kinds = [s["kind"] for s in steps]
    assert "block:conv1x1+dwconv+conv1x1" in kinds  # block a (stride 2)
    assert "block:conv1x1+dwconv+conv1x1+add" in kinds  # block b
    assert "block:dwconv+conv1x1+add" in kinds  # block c (5x5, no expand)
    assert all(s["min_us"] <= s["median_us"] for s in steps)
    _, unfused = run(blocks_export, 1, fused=False, profile=True)
    assert not any(s["kind"].startswith("block:") for s in unfused)


@pytest.mark.parametrize("band_bytes", BAND_BYTES)
@pytest.mark.parametrize("threads", [1, 2])
def test_fused_equals_op_by_op_and_eager(blocks_export: dict, threads: int, band_bytes: int | None) -> None:
    fused, _ = run(blocks_export, threads, fused=True, band_bytes=band_bytes)
    op_by_op, _ = run(blocks_export, threads, fused=False)
    np.testing.assert_array_equal(fused, op_by_op)  # same kernels, same summation order
    ref = blocks_export["ref"]
    assert np.abs(fused - ref).max() <= 1e-4 * np.abs(ref).max()


def test_small_planes_are_left_to_xnnpack(backend_built) -> None:
    """The fp32 claim rule: a 90%-sparse chain on tiny planes (MAC-weighted 1x1 plane ~20 px, where
    the CHW kernels lose to XNNPACK) stays on XNNPACK unless forced with min_plane=0."""
    from edgekit.backends.executorch.lowering import delegated_backends, lower
    from edgekit.backends.executorch.partitioner import DEFAULT_MIN_PLANE
    from tests.backend.nets import make_tiny

    model = make_tiny(seed=5, sparsity=0.9)
    x = torch.randn(1, 3, 12, 12)
    assert DEFAULT_MIN_PLANE > 36  # the stem output here is 6x6, the blocks 3x3
    ep = torch.export.export(model, (x,))
    assert "EdgekitBackend" not in delegated_backends(lower(ep, model.state_dict(), sparse_backend=True))
    forced = lower(torch.export.export(model, (x,)), model.state_dict(), sparse_backend=True, min_plane=0)
    assert "EdgekitBackend" in delegated_backends(forced)
