"""Same-run A/B of the fp32 stem in the edgekit delegate: MobileNetV2-1.0 @224, batch 1.

    .venv/bin/python bench/e2e/stem_ab.py [--sparsity 0.9 0.7] [--threads 1 2] [--rounds 7] [--runs 20]

Three programs run in `edgekit-run`, interleaved round by round: the dense XNNPACK .pte, the edgekit
.pte partitioned with the stem left to XNNPACK (as before the stem op existed: the partitioner is
told that no conv is a stem, `support.STEM_MAX_IN_CHANNELS = 0`), and the edgekit .pte with the stem
claimed (the default). Same weights (bench/e2e/sparse_backend.py's model and input), same runtime
library, so the difference is the stem's placement: XNNPACK's stem plus its NCHW<->NHWC conversions
at the delegate boundary vs the CHW stem fused into the first block. Prints median-of-medians and
minimum per cell and the per-step profile of the first delegate step. The dense and default edgekit
files are shared with sparse_backend.py's cache (build/bench/e2e/); JSON: build/bench/e2e_stem_ab.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sparse_backend as sb


def export_without_stem(sparsity: float, x: torch.Tensor) -> Path:
    from edgekit.backends.executorch import support
    from edgekit.backends.executorch.lowering import lower

    path = sb.CACHE / f"mbv2_s{int(sparsity * 100)}_edgekit_nostem_fp32.pte"
    if not path.exists():
        saved = support.STEM_MAX_IN_CHANNELS
        support.STEM_MAX_IN_CHANNELS = 0
        try:
            t0 = time.time()
            model = sb.build_model(sparsity)
            path.write_bytes(lower(torch.export.export(model, (x,)), model.state_dict()).buffer)
            print(f"  lowered {path.name} in {time.time() - t0:.0f} s", flush=True)
        finally:
            support.STEM_MAX_IN_CHANNELS = saved
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sparsity", type=float, nargs="+", default=[0.9, 0.7])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    if not sb.RUNNER.exists():
        sys.exit("edgekit-run is not built: run `make backend`")
    torch.manual_seed(1)
    x = torch.randn(1, 3, 224, 224)
    sb.CACHE.mkdir(parents=True, exist_ok=True)
    inp = sb.CACHE / "input.f32"
    x.numpy().astype("<f4").tofile(inp)
    results = {"load_average": os.getloadavg(), "cells": [], "first_step": {}}
    for s in args.sparsity:
        exp = sb.export(s, x, "fp32")
        files = {"dense": exp["files"]["dense"], "stem_on_xnnpack": export_without_stem(s, x),
                 "stem_claimed": exp["files"]["edgekit"]}
        for name in ("stem_on_xnnpack", "stem_claimed"):
            prof = sb.run(files[name], 1, args.runs, inp, profile=True)["ops"]
            results["first_step"][f"{name}@{s}"] = {
                "kind": prof[0]["kind"], "min_us": prof[0]["min_us"],
                "delegate_sum_min_ms": sum(op["min_us"] for op in prof) / 1000}
        for t in args.threads:
            med = {k: [] for k in files}
            low = {k: [] for k in files}
            for _ in range(args.rounds):
                for k, f in files.items():
                    r = sb.run(f, t, args.runs, inp)
                    med[k].append(r["median_ms"])
                    low[k].append(r["min_ms"])
            m = {k: statistics.median(v) for k, v in med.items()}
            lo = {k: min(v) for k, v in low.items()}
            results["cells"].append({"sparsity": s, "threads": t, "median_ms": m, "min_ms": lo,
                                     "load_average": os.getloadavg()[0]})
    print_table(results)
    sb.OUT.mkdir(parents=True, exist_ok=True)
    (sb.OUT / "e2e_stem_ab.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {sb.OUT / 'e2e_stem_ab.json'}")


def print_table(results: dict) -> None:
    print("\n| sparsity | threads | dense ms (median / min) | edgekit, stem on XNNPACK "
          "| edgekit, stem claimed | speedup min before -> after | speedup median before -> after | load |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in results["cells"]:
        m, lo = c["median_ms"], c["min_ms"]
        print(f"| {c['sparsity']:.0%} | {c['threads']} | {m['dense']:.2f} / {lo['dense']:.2f} "
              f"| {m['stem_on_xnnpack']:.2f} / {lo['stem_on_xnnpack']:.2f} "
              f"| {m['stem_claimed']:.2f} / {lo['stem_claimed']:.2f} "
              f"| {lo['dense'] / lo['stem_on_xnnpack']:.2f}x -> {lo['dense'] / lo['stem_claimed']:.2f}x "
              f"| {m['dense'] / m['stem_on_xnnpack']:.2f}x -> {m['dense'] / m['stem_claimed']:.2f}x "
              f"| {c['load_average']:.1f} |")
    for k, v in results["first_step"].items():
        print(f"{k}: first delegate step {v['kind']} {v['min_us']:.0f} us, delegate sum of step minima "
              f"{v['delegate_sum_min_ms']:.2f} ms")


if __name__ == "__main__":
    main()
