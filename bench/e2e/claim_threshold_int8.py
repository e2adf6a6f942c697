"""Where the int8 sparse backend stops paying: dense XNNPACK int8 .pte vs the edgekit int8 .pte by plane.

    .venv/bin/python bench/e2e/claim_threshold_int8.py [--rounds 5]

The int8 twin of claim_threshold.py (same cases, same plane measure): each model is quantized with
PT2E (XNNPACKQuantizer, 8 random calibration inputs) and the same quantized module is lowered twice,
plain XNNPACK and with the edgekit int8 chains forced (claim_int8=True, min_plane=0). Both run in
`edgekit-run` at 1 thread, interleaved round by round. Two ratios: of the minima over all calls, and
of CPU milliseconds per call (CPU time of 105 calls minus 5 calls, over 100; median over rounds),
which nice-0 jobs sharing the cores distort least. Sets the int8 side of the partitioner's claim
rule. Cached in build/bench/e2e/threshold/; JSON: build/bench/e2e_claim_threshold_int8.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from claim_threshold import CACHE, OUT, build, weighted_plane
from claim_threshold import CASES as FP32_CASES
from sparse_backend import RUNNER, cpu_ms_per_call, run

# int8 loses on far larger planes than fp32 (MobileNetV2 @64 already does), so two larger cases too.
CASES = [*FP32_CASES, ("mbv2_s70@128", "mobilenet_v2", (1, 3, 128, 128), 0.7),
         ("mbv2_s70@160", "mobilenet_v2", (1, 3, 160, 160), 0.7),
         ("mbv2_s90@128", "mobilenet_v2", (1, 3, 128, 128), 0.9)]


def export(name: str, model: torch.nn.Module, x: torch.Tensor) -> dict[str, Path]:
    from edgekit.backends.executorch.lowering import delegated_backends, lower
    from edgekit.quant.pt2e import quantize_pt2e, xnnpack_quantizer

    files = {kind: CACHE / f"{name}_{kind}_int8.pte" for kind in ("dense", "edgekit")}
    if all(p.exists() for p in files.values()):
        return files
    calib = np.random.RandomState(0).randn(8, *x.shape[1:]).astype(np.float32)
    quantized = quantize_pt2e(model, x, calib, xnnpack_quantizer())
    weights = quantized.state_dict()  # the int8 constants the partitioner measures sparsity on
    for kind, path in files.items():
        t0 = time.time()
        prog = lower(torch.export.export(quantized, (x,)), weights, sparse_backend=kind == "edgekit",
                     min_plane=0, claim_int8=True)
        if kind == "edgekit" and "EdgekitBackend" not in delegated_backends(prog):
            sys.exit(f"{name}: the edgekit backend claimed nothing (sparsity below its minimum?)")
        path.write_bytes(prog.buffer)
        print(f"  lowered {path.name} in {time.time() - t0:.0f} s", flush=True)
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--cases", nargs="+", help="only these case names")
    args = ap.parse_args()
    if not RUNNER.exists():
        sys.exit("edgekit-run is not built: run `make backend`")
    CACHE.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, model_name, shape, sparsity in CASES:
        if args.cases and name not in args.cases:
            continue
        model = build(model_name, sparsity)
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
        inp = CACHE / f"{name}_in.f32"
        x.numpy().astype("<f4").tofile(inp)
        files = export(name, model, x)
        best = {k: float("inf") for k in files}
        cpu = {k: [] for k in files}
        for _ in range(args.rounds):
            for kind, pte in files.items():
                best[kind] = min(best[kind], run(pte, 1, args.runs, inp)["min_ms"])
                cpu[kind].append(cpu_ms_per_call(pte, inp, fused=True))
        c = {k: statistics.median(v) for k, v in cpu.items()}
        rows.append({"case": name, "plane": weighted_plane(model, x), "dense_min_ms": best["dense"],
                     "edgekit_min_ms": best["edgekit"], "speedup_min": best["dense"] / best["edgekit"],
                     "cpu_ms": c, "speedup_cpu": c["dense"] / c["edgekit"],
                     "load_average": os.getloadavg()[0]})
        print(rows[-1], flush=True)
    print("\n| case | plane (px) | min ms dense / edgekit | speedup (min) | CPU ms dense / edgekit "
          "| speedup (CPU) | load avg |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in sorted(rows, key=lambda r: r["plane"]):
        print(f"| {r['case']} | {r['plane']:.0f} | {r['dense_min_ms']:.3f} / {r['edgekit_min_ms']:.3f} "
              f"| {r['speedup_min']:.2f}x | {r['cpu_ms']['dense']:.3f} / {r['cpu_ms']['edgekit']:.3f} "
              f"| {r['speedup_cpu']:.2f}x | {r['load_average']:.1f} |")
    OUT.mkdir(parents=True, exist_ok=True)
    out_name = "e2e_claim_threshold_int8" + ("_subset" if args.cases else "") + ".json"
    (OUT / out_name).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
