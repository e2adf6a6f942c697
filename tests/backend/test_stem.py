"""The dense stem convolution in the edgekit delegate (native/src/f32-conv-chw, op CONV in blob v2).

A stem (few input channels) is claimed with the sparse chain after it, so the image is read in NCHW
directly and never goes through NHWC. Checked: MobileNetV2's shape (3x3 s2 + BN + ReLU6, then
depthwise -> project) is fused into the first block and runs in several row bands, bit-identical
to op-by-op execution at 1 and 2 threads and within 1e-4 of eager (edgekit-run and the Python
runtime); other geometries (grayscale 5x5 stride 1, 4 channels with a 3x5 kernel and stride (2, 1));
and what is not claimed: a stem with 8 input channels, and a stem on its own.
"""

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
from edgekit.backends.executorch.lowering import delegated_backends, lower
from tests.backend.nets import prune_pointwise, randomize_bn


class StemNet(nn.Module):
    """stem [+ BN + ReLU6] -> depthwise 3x3 -> project 1x1 -> expand 1x1 -> depthwise s2 -> project
    -> mean -> linear: MobileNetV2's first two blocks, any stem geometry."""

    def __init__(self, in_ch: int = 3, width: int = 32, kernel=3, stride=2, padding=1,
                 bn: bool = True) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_ch, width, kernel, stride, padding, bias=not bn)
        self.bn = nn.BatchNorm2d(width) if bn else nn.Identity()
        self.dw1 = nn.Conv2d(width, width, 3, 1, 1, groups=width)
        self.project1 = nn.Conv2d(width, 16, 1)
        self.expand2 = nn.Conv2d(16, 64, 1)
        self.dw2 = nn.Conv2d(64, 64, 3, 2, 1, groups=64)
        self.project2 = nn.Conv2d(64, 24, 1)
        self.head = nn.Linear(24, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self.bn(self.stem(x)))
        x = self.project1(F.relu6(self.dw1(x)))
        x = self.project2(F.relu6(self.dw2(F.relu6(self.expand2(x)))))
        return self.head(x.mean([2, 3]))


def make(seed: int, sparsity: float = 0.8, **kw) -> StemNet:
    torch.manual_seed(seed)
    model = StemNet(**kw).eval()
    if isinstance(model.bn, nn.BatchNorm2d):
        randomize_bn(model.bn)
    prune_pointwise(model, sparsity)
    return model


def export(model: nn.Module, shape: tuple[int, ...], d, name: str, min_plane: float = 0) -> dict:
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(7))
    prog = lower(torch.export.export(model, (x,)), model.state_dict(), sparse_backend=True,
                 min_plane=min_plane)
    pte = d / f"{name}.pte"
    pte.write_bytes(prog.buffer)
    x.numpy().astype("<f4").tofile(d / f"{name}.in.f32")
    with torch.no_grad():
        ref = model(x).numpy()
    return {"pte": pte, "x": x, "input": d / f"{name}.in.f32", "ref": ref,
            "backends": delegated_backends(prog), "dir": d, "name": name}


def run(exp: dict, threads: int = 1, fused: bool = True) -> tuple[np.ndarray, list[dict]]:
    out = exp["dir"] / f"{exp['name']}.out_{threads}_{int(fused)}.f32"
    env = {k: v for k, v in os.environ.items() if k not in ("EDGEKIT_NO_FUSION", "EDGEKIT_PROFILE")}
    env["EDGEKIT_PROFILE"] = "1"
    env.update({} if fused else {"EDGEKIT_NO_FUSION": "1"})
    args = [str(runtime.BUILD_DIR / "edgekit-run"), str(exp["pte"]), "--runs", "2", "--threads", str(threads),
            "--input", str(exp["input"]), "--output", str(out)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    steps = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith('{"edgekit_op')]
    return np.fromfile(out, dtype="<f4").reshape(exp["ref"].shape), steps


def rel_err(y: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(y - ref).max() / np.abs(ref).max())


@pytest.fixture(scope="module")
def mbv2_stem(backend_built, tmp_path_factory: pytest.TempPathFactory) -> dict:
    # Odd sizes; the stem output (32 x 120 x 121) spans several 512 KB bands of the fused block.
    return export(make(seed=0), (1, 3, 239, 241), tmp_path_factory.mktemp("stem"), "mbv2_stem")


def test_stem_is_claimed_and_fused_into_the_first_block(mbv2_stem: dict) -> None:
    _, steps = run(mbv2_stem)
    assert steps[0]["kind"] == "block:conv+dwconv+conv1x1"
    assert steps[0]["in"] == [3, 239, 241]  # the delegate reads the NCHW image itself
    assert steps[0]["out"] == [16, 120, 121]
    _, unfused = run(mbv2_stem, fused=False)
    assert unfused[0]["kind"] == "conv" and unfused[0]["out"] == [32, 120, 121]


@pytest.mark.parametrize("threads", [1, 2])
def test_stem_block_equals_op_by_op_and_eager(mbv2_stem: dict, threads: int) -> None:
    fused, _ = run(mbv2_stem, threads, fused=True)
    op_by_op, _ = run(mbv2_stem, threads, fused=False)
    np.testing.assert_array_equal(fused, op_by_op)  # same kernels, same summation order
    assert rel_err(fused, mbv2_stem["ref"]) <= 1e-4


def test_stem_python_runtime_matches_eager(mbv2_stem: dict) -> None:
    method = runtime.load_method(mbv2_stem["pte"])
    y = method.execute([mbv2_stem["x"]])[0].numpy()
    assert rel_err(y, mbv2_stem["ref"]) <= 1e-4
    y0 = method.execute([torch.zeros_like(mbv2_stem["x"])])[0].numpy()  # bias / BN shift only
    model = make(seed=0)
    with torch.no_grad():
        ref0 = model(torch.zeros_like(mbv2_stem["x"])).numpy()
    np.testing.assert_allclose(y0, ref0, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("geometry", [
    {"in_ch": 1, "kernel": 5, "stride": 1, "padding": 2, "bn": False},        # grayscale 5x5 s1
    {"in_ch": 4, "kernel": (3, 5), "stride": (2, 1), "padding": (1, 2)},     # non-square, mixed stride
])
def test_other_stem_geometries(backend_built, tmp_path, geometry: dict) -> None:
    model = make(seed=1, **geometry)
    exp = export(model, (1, geometry["in_ch"], 27, 19), tmp_path, "geom")
    y, steps = run(exp, fused=False)
    assert steps[0]["kind"] == "conv" and steps[0]["in"] == [geometry["in_ch"], 27, 19]
    assert rel_err(y, exp["ref"]) <= 1e-4
    y_fused, _ = run(exp, fused=True)
    np.testing.assert_array_equal(y_fused, y)


def test_wide_input_stem_stays_on_xnnpack(backend_built, tmp_path) -> None:
    """8 input channels is no image stem: the chain after it is claimed, the conv is not."""
    exp = export(make(seed=2, in_ch=8), (1, 8, 21, 17), tmp_path, "wide")
    y, steps = run(exp)
    assert "EdgekitBackend" in exp["backends"] and steps[0]["in"][0] == 32
    assert all(s["kind"] != "conv" and not s["kind"].startswith("block:conv+") for s in steps)
    assert rel_err(y, exp["ref"]) <= 1e-4


def test_stem_alone_is_not_claimed(backend_built, tmp_path) -> None:
    """A dense stem is claimed only with a sparse chain: with dense 1x1 convs nothing goes to edgekit."""
    exp = export(make(seed=3, sparsity=0.0), (1, 3, 31, 29), tmp_path, "dense")
    assert "EdgekitBackend" not in exp["backends"]
