"""End-to-end: MobileNetV2-1.0 @224, batch 1, dense .pte on XNNPACK vs the edgekit-backend .pte.

    .venv/bin/python bench/e2e/sparse_backend.py [--sparsity 0.7 0.9] [--threads 1 2] [--rounds 5]

1x1 convolutions pruned to 70% / 90% in 4x1 groups (edgekit.sparsity, random weights, seed 0).
Both programs run in `edgekit-run` (C++, no Python), interleaved round by round, so machine noise
hits both alike; each cell is the median over rounds of the per-call median. Also prints the
edgekit backend's per-op profile (EDGEKIT_PROFILE) and checks outputs against eager PyTorch.
Lowered programs are cached in build/bench/e2e/ (delete to re-export).
JSON: build/bench/e2e_sparse_backend.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "build" / "bench"
CACHE = OUT / "e2e"
RUNNER = REPO / "build" / "native-executorch" / "edgekit-run"
TARGETS = {0.7: 1.6, 0.9: 2.5}


def build_model(sparsity: float) -> torch.nn.Module:
    import edgekit.models as models
    from edgekit.sparsity.pruner import prune, uniform_plan

    torch.manual_seed(0)
    model = models.create("mobilenet_v2")
    if sparsity > 0:
        prune(model, uniform_plan(model, sparsity, "4x1"))
    return model.eval()


def export(sparsity: float, x: torch.Tensor) -> dict:
    from edgekit.backends.executorch.lowering import lower

    CACHE.mkdir(parents=True, exist_ok=True)
    model = build_model(sparsity)
    files = {"dense": CACHE / f"mbv2_s{int(sparsity * 100)}_dense_fp32.pte",
             "edgekit": CACHE / f"mbv2_s{int(sparsity * 100)}_edgekit_fp32.pte"}
    for kind, path in files.items():
        if not path.exists():
            t0 = time.time()
            ep = torch.export.export(model, (x,))
            path.write_bytes(lower(ep, model.state_dict(), sparse_backend=kind == "edgekit").buffer)
            print(f"  lowered {path.name} in {time.time() - t0:.0f} s", flush=True)
    with torch.no_grad():
        ref = model(x).numpy()
    return {"model": model, "files": files, "ref": ref}


def run(pte: Path, threads: int, runs: int, inp: Path, out: Path | None = None,
        profile: bool = False) -> dict:
    args = [str(RUNNER), str(pte), "--runs", str(runs), "--threads", str(threads), "--input", str(inp)]
    if out:
        args += ["--output", str(out)]
    env = {**os.environ, **({"EDGEKIT_PROFILE": "1"} if profile else {})}
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=True, timeout=600)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if profile:
        lines = proc.stderr.splitlines()
        result["ops"] = [json.loads(line) for line in lines if line.startswith('{"edgekit_op')]
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sparsity", type=float, nargs="+", default=[0.7, 0.9])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    if not RUNNER.exists():
        sys.exit("edgekit-run is not built: run `make backend`")

    torch.manual_seed(1)
    x = torch.randn(1, 3, 224, 224)
    inp = CACHE / "input.f32"
    CACHE.mkdir(parents=True, exist_ok=True)
    x.numpy().astype("<f4").tofile(inp)
    results = {"model": "mobilenet_v2 1.0 @224 batch 1, random weights, 1x1 convs pruned 4x1",
               "precision": "fp32", "cells": [], "profiles": {}, "parity": {}}
    for s in args.sparsity:
        print(f"sparsity {s:.0%}: exporting (cached in {CACHE})", flush=True)
        exp = export(s, x)
        for kind, pte in exp["files"].items():
            out = CACHE / f"out_{kind}_{int(s * 100)}.f32"
            run(pte, 1, 1, inp, out)
            y = np.fromfile(out, dtype="<f4").reshape(exp["ref"].shape)
            results["parity"][f"{kind}@{s}"] = float(np.abs(y - exp["ref"]).max() / np.abs(exp["ref"]).max())
        prof = run(exp["files"]["edgekit"], 1, args.runs, inp, profile=True)["ops"]
        by_kind = collections.defaultdict(float)
        for op in prof:
            by_kind[op["kind"]] += op["us"]
        results["profiles"][str(s)] = {"by_kind_us": dict(by_kind), "ops": prof}
        for t in args.threads:
            times = {"dense": [], "edgekit": []}
            for _ in range(args.rounds):
                for kind in ("dense", "edgekit"):
                    times[kind].append(run(exp["files"][kind], t, args.runs, inp)["median_ms"])
            dense, sparse = statistics.median(times["dense"]), statistics.median(times["edgekit"])
            results["cells"].append({"sparsity": s, "threads": t, "dense_xnnpack_ms": dense,
                                     "edgekit_ms": sparse, "speedup": dense / sparse,
                                     "target": TARGETS.get(s), "rounds": times})
    print_table(results)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "e2e_sparse_backend.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {OUT / 'e2e_sparse_backend.json'}")


def print_table(results: dict) -> None:
    print("\n| sparsity | threads | dense XNNPACK ms | edgekit ms | speedup | target |")
    print("|---:|---:|---:|---:|---:|---:|")
    for c in results["cells"]:
        print(f"| {c['sparsity']:.0%} | {c['threads']} | {c['dense_xnnpack_ms']:.2f} | {c['edgekit_ms']:.2f} "
              f"| {c['speedup']:.2f}x | {c['target'] or '-'}x |")
    print("\nparity (max abs error / max |eager|):", {k: f"{v:.1e}" for k, v in results["parity"].items()})
    for s, p in results["profiles"].items():
        total = sum(p["by_kind_us"].values())
        split = ", ".join(f"{k} {v / 1000:.2f} ms ({v / total:.0%})" for k, v in
                          sorted(p["by_kind_us"].items(), key=lambda kv: -kv[1]))
        print(f"edgekit per-op profile @ {float(s):.0%} (1 thread): {split}")


if __name__ == "__main__":
    main()
