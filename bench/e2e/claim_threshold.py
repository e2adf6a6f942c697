"""Where the fp32 sparse backend stops paying: dense XNNPACK .pte vs the edgekit .pte by plane size.

    .venv/bin/python bench/e2e/claim_threshold.py [--rounds 5] [--runs 100]

Each case is lowered twice: plain XNNPACK, and with the edgekit backend forced to claim the chain
(min_plane=0). Both run in `edgekit-run`, 1 thread, interleaved round by round; the speedup is
the ratio of the minima over all calls (the quietest number on a shared host). "plane" is the
partitioner's measure: the mean H*W of the 1x1 convolutions weighted by their MACs
(edgekit/backends/executorch/partitioner.py, DEFAULT_MIN_PLANE is set from this table).
Cases: the built-in Fashion-MNIST MobileNetV2 x0.5 with its trained 70% / 90% weights at 28x28
(and 56x56), MobileNetV2-1.0 pruned 70% / 90% at 64x64 (random weights, seed 0); MobileNetV2 @224
is bench/e2e/sparse_backend.py. Cached in build/bench/e2e/threshold/; JSON:
build/bench/e2e_claim_threshold.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "build" / "bench"
CACHE = OUT / "e2e" / "threshold"
RUNNER = REPO / "build" / "native-executorch" / "edgekit-run"
# (name, model, input size, sparsity: None for trained weights that carry it)
CASES = [("fmnist_s70@28", "fmnist_mobilenet_v2_s70", (1, 1, 28, 28), None),
         ("fmnist_s90@28", "fmnist_mobilenet_v2_s90", (1, 1, 28, 28), None),
         ("fmnist_s90@56", "fmnist_mobilenet_v2_s90", (1, 1, 56, 56), None),
         ("mbv2_s70@64", "mobilenet_v2", (1, 3, 64, 64), 0.7),
         ("mbv2_s90@64", "mobilenet_v2", (1, 3, 64, 64), 0.9)]


def build(model_name: str, sparsity: float | None) -> torch.nn.Module:
    import edgekit.models as models
    from edgekit.sparsity.pruner import prune, uniform_plan

    torch.manual_seed(0)
    model = models.create(model_name).eval()
    if sparsity:
        prune(model, uniform_plan(model, sparsity, "4x1"))
    return model.eval()


def weighted_plane(model: torch.nn.Module, x: torch.Tensor) -> float:
    """MAC-weighted mean H*W of the 1x1 convolutions (what the partitioner computes)."""
    acc = [0, 0]

    def hook(mod: torch.nn.Conv2d, _inp, out: torch.Tensor) -> None:
        if mod.kernel_size == (1, 1) and mod.groups == 1:
            plane = out.shape[2] * out.shape[3]
            macs = mod.in_channels * mod.out_channels * plane
            acc[0], acc[1] = acc[0] + macs, acc[1] + macs * plane

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return acc[1] / acc[0]


def export(name: str, model: torch.nn.Module, x: torch.Tensor) -> dict[str, Path]:
    from edgekit.backends.executorch.lowering import delegated_backends, lower

    files = {kind: CACHE / f"{name}_{kind}.pte" for kind in ("dense", "edgekit")}
    for kind, path in files.items():
        if not path.exists():
            t0 = time.time()
            prog = lower(torch.export.export(model, (x,)), model.state_dict(),
                         sparse_backend=kind == "edgekit", min_plane=0)
            if kind == "edgekit" and "EdgekitBackend" not in delegated_backends(prog):
                sys.exit(f"{name}: the edgekit backend claimed nothing (sparsity below its minimum?)")
            path.write_bytes(prog.buffer)
            print(f"  lowered {path.name} in {time.time() - t0:.0f} s", flush=True)
    return files


def min_ms(pte: Path, inp: Path, runs: int) -> float:
    proc = subprocess.run([str(RUNNER), str(pte), "--runs", str(runs), "--threads", "1", "--input", str(inp)],
                          capture_output=True, text=True, check=True, timeout=600)
    return json.loads(proc.stdout.strip().splitlines()[-1])["min_ms"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    if not RUNNER.exists():
        sys.exit("edgekit-run is not built: run `make backend`")
    CACHE.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, model_name, shape, sparsity in CASES:
        model = build(model_name, sparsity)
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
        inp = CACHE / f"{name}_in.f32"
        x.numpy().astype("<f4").tofile(inp)
        files = export(name, model, x)
        best = {"dense": float("inf"), "edgekit": float("inf")}
        for _ in range(args.rounds):
            for kind, pte in files.items():
                best[kind] = min(best[kind], min_ms(pte, inp, args.runs))
        rows.append({"case": name, "plane": weighted_plane(model, x), "dense_min_ms": best["dense"],
                     "edgekit_min_ms": best["edgekit"], "speedup": best["dense"] / best["edgekit"],
                     "load_average": os.getloadavg()[0]})
        print(rows[-1], flush=True)
    print("\n| case | plane (px) | dense XNNPACK min ms | edgekit min ms | speedup | load avg |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in sorted(rows, key=lambda r: r["plane"]):
        print(f"| {r['case']} | {r['plane']:.0f} | {r['dense_min_ms']:.3f} | {r['edgekit_min_ms']:.3f} "
              f"| {r['speedup']:.2f}x | {r['load_average']:.1f} |")
    (OUT / "e2e_claim_threshold.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
