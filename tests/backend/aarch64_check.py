"""`make backend-aarch64-check`: the arm64 edgekit-run (qemu) on a sparse .pte agrees with x86 and eager
(fp32: within 1e-5 of x86 and 1e-4 of eager), and a PT2E int8 chain that the backend claims whole (stem,
1x1, depthwise s1/s2: XNNPACK keeps only the input quantize and output dequantize) computes the same
bits as on x86. (XNNPACK's own int8 kernels do not: its arm64 convolutions requantize differently, so
the dense int8 .pte of that chain differs between the two by several output steps.)

    python -m tests.backend.aarch64_check --runner build/native-executorch-aarch64/edgekit-run
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from edgekit.backends.executorch import runtime
from edgekit.backends.executorch.lowering import delegated_backends, lower
from tests.backend.nets import make_tiny, prune_pointwise

SYSROOT = "/usr/aarch64-linux-gnu"


class Int8Chain(torch.nn.Module):
    """stem (ReLU6) -> 1x1 -> depthwise 3x3 s1 -> 1x1 -> depthwise s2 -> 1x1: every op an int8 delegate op."""

    def __init__(self) -> None:
        super().__init__()
        nn = torch.nn
        self.stem, self.expand = nn.Conv2d(3, 16, 3, 2, 1), nn.Conv2d(16, 48, 1)
        self.dw, self.project = nn.Conv2d(48, 48, 3, 1, 1, groups=48), nn.Conv2d(48, 24, 1)
        self.dw2, self.project2 = nn.Conv2d(24, 24, 3, 2, 1, groups=24), nn.Conv2d(24, 16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        relu6 = torch.nn.functional.relu6
        x = relu6(self.stem(x))
        x = self.project(relu6(self.dw(relu6(self.expand(x)))))
        return self.project2(relu6(self.dw2(x)))


def run_both(pte_bytes: bytes, x: torch.Tensor, runner: Path, shape) -> dict[str, np.ndarray] | None:
    """The x86 and the arm64 (qemu) edgekit-run outputs of one program, or None after printing why."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "m.pte").write_bytes(pte_bytes)
        x.numpy().astype("<f4").tofile(d / "in.f32")
        outs = {}
        for name, cmd in {"x86": [str(runtime.BUILD_DIR / "edgekit-run")],
                          "arm64": ["qemu-aarch64", "-L", SYSROOT, str(runner)]}.items():
            proc = subprocess.run([*cmd, str(d / "m.pte"), "--runs", "2", "--threads", "2", "--input",
                                   str(d / "in.f32"), "--output", str(d / f"{name}.f32")],
                                  capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                print(f"{name} runner failed:\n{proc.stderr}", file=sys.stderr)
                return None
            outs[name] = np.fromfile(d / f"{name}.f32", dtype="<f4").reshape(shape)
    return outs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", type=Path, required=True)
    ap.add_argument("--lib-dir", type=Path, help="aarch64 executorch lib/ (already in the runner RUNPATH)")
    args = ap.parse_args()
    model = make_tiny(seed=0, sparsity=0.8)
    x = torch.randn(1, 3, 29, 23, generator=torch.Generator().manual_seed(5))
    prog = lower(torch.export.export(model, (x,)), model.state_dict(), sparse_backend=True,
                 min_plane=0)  # small planes: forced claim (this checks arm64 parity, not speed)
    assert "EdgekitBackend" in delegated_backends(prog)
    with torch.no_grad():
        ref = model(x).numpy()
    outs = run_both(prog.buffer, x, args.runner, ref.shape)
    if outs is None:
        return 1
    scale = float(np.abs(ref).max())
    arm_vs_x86 = float(np.abs(outs["arm64"] - outs["x86"]).max()) / scale
    arm_vs_eager = float(np.abs(outs["arm64"] - ref).max()) / scale
    print(f"fp32: arm64 vs x86: {arm_vs_x86:.2e}, arm64 vs eager: {arm_vs_eager:.2e} "
          "(relative to max |eager|)")

    from edgekit.quant.pt2e import quantize_pt2e, xnnpack_quantizer

    torch.manual_seed(0)
    chain = Int8Chain().eval()
    prune_pointwise(chain, 0.8)
    calib = np.random.RandomState(0).randn(8, 3, 29, 23).astype(np.float32)
    quantized = quantize_pt2e(chain, x, calib, xnnpack_quantizer())
    prog8 = lower(torch.export.export(quantized, (x,)), quantized.state_dict(), sparse_backend=True,
                  min_plane=0)
    assert delegated_backends(prog8).count("EdgekitBackend") == 1
    with torch.no_grad():
        shape8 = tuple(quantized(x).shape)
    outs8 = run_both(prog8.buffer, x, args.runner, shape8)
    if outs8 is None:
        return 1
    int8_diff = float(np.abs(outs8["arm64"] - outs8["x86"]).max())
    print(f"int8: arm64 vs x86 max |diff| {int8_diff:.1e} (integer arithmetic: must be 0)")
    return 0 if arm_vs_x86 <= 1e-5 and arm_vs_eager <= 1e-4 and int8_diff == 0.0 else 1


if __name__ == "__main__":
    sys.exit(main())
