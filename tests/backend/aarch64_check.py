"""`make backend-aarch64-check`: the arm64 edgekit-run (qemu) on a sparse .pte agrees with x86 and eager.

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
from tests.backend.nets import make_tiny

SYSROOT = "/usr/aarch64-linux-gnu"


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
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "m.pte").write_bytes(prog.buffer)
        x.numpy().astype("<f4").tofile(d / "in.f32")
        outs = {}
        for name, cmd in {"x86": [str(runtime.BUILD_DIR / "edgekit-run")],
                          "arm64": ["qemu-aarch64", "-L", SYSROOT, str(args.runner)]}.items():
            proc = subprocess.run([*cmd, str(d / "m.pte"), "--runs", "2", "--threads", "2", "--input",
                                   str(d / "in.f32"), "--output", str(d / f"{name}.f32")],
                                  capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                print(f"{name} runner failed:\n{proc.stderr}", file=sys.stderr)
                return 1
            outs[name] = np.fromfile(d / f"{name}.f32", dtype="<f4").reshape(ref.shape)
    scale = float(np.abs(ref).max())
    arm_vs_x86 = float(np.abs(outs["arm64"] - outs["x86"]).max()) / scale
    arm_vs_eager = float(np.abs(outs["arm64"] - ref).max()) / scale
    print(f"arm64 vs x86: {arm_vs_x86:.2e}, arm64 vs eager: {arm_vs_eager:.2e} (relative to max |eager|)")
    return 0 if arm_vs_x86 <= 1e-5 and arm_vs_eager <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
