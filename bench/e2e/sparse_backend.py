"""End-to-end: MobileNetV2-1.0 @224, batch 1, dense .pte on XNNPACK vs the edgekit-backend .pte.

    .venv/bin/python bench/e2e/sparse_backend.py [--sparsity 0.7 0.9] [--threads 1 2] [--rounds 5]
        [--precision fp32 int8]

1x1 convolutions pruned to 70% / 90% in 4x1 groups (edgekit.sparsity, random weights, seed 0).
All programs run in `edgekit-run` (C++, no Python), interleaved round by round, so machine noise
hits them alike: the dense XNNPACK .pte, the edgekit .pte, and the same edgekit .pte op by op
(EDGEKIT_NO_FUSION: no fused blocks, for the fusion's share). Each cell gives the median over rounds
of the per-call median and the minimum over all calls (the quieter number on a shared host); 1-thread
cells also give CPU milliseconds per call (the runner's CPU time for R+100 calls minus R calls, per
round; median over rounds), which a host whose cores are shared with nice-0 jobs distorts least. Also
prints the edgekit backend's per-step profile (EDGEKIT_PROFILE, per-step minimum over the runs) and
checks outputs against eager PyTorch.
int8: PT2E with XNNPACKQuantizer (per-channel symmetric weights) calibrated on 8 random inputs, the
same quantized module lowered twice (dense XNNPACK vs edgekit's int8 chains + XNNPACK); parity is the
max difference between the two in output quantization steps.
Lowered programs are cached in build/bench/e2e/ (delete to re-export).
JSON: build/bench/e2e_sparse_backend.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
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
# EDGEKIT_RUN: a private copy of the runner (the shared build dir may be relinked mid-run by `make backend`).
RUNNER = Path(os.environ.get("EDGEKIT_RUN", REPO / "build" / "native-executorch" / "edgekit-run"))
TARGETS = {0.7: 1.6, 0.9: 2.5}


def build_model(sparsity: float) -> torch.nn.Module:
    import edgekit.models as models
    from edgekit.sparsity.pruner import prune, uniform_plan

    torch.manual_seed(0)
    model = models.create("mobilenet_v2")
    if sparsity > 0:
        prune(model, uniform_plan(model, sparsity, "4x1"))
    return model.eval()


def export(sparsity: float, x: torch.Tensor, precision: str = "fp32") -> dict:
    from edgekit.backends.executorch.lowering import lower

    CACHE.mkdir(parents=True, exist_ok=True)
    model = build_model(sparsity)
    files = {"dense": CACHE / f"mbv2_s{int(sparsity * 100)}_dense_{precision}.pte",
             "edgekit": CACHE / f"mbv2_s{int(sparsity * 100)}_edgekit_{precision}.pte"}
    if precision == "int8":
        from edgekit.quant.pt2e import quantize_pt2e, xnnpack_quantizer

        calib = np.random.RandomState(0).randn(8, *x.shape[1:]).astype(np.float32)
        model = quantize_pt2e(model, x, calib, xnnpack_quantizer())
    for kind, path in files.items():
        if not path.exists():
            t0 = time.time()
            ep = torch.export.export(model, (x,))
            path.write_bytes(lower(ep, model.state_dict(), sparse_backend=kind == "edgekit",
                                   claim_int8=True).buffer)
            print(f"  lowered {path.name} in {time.time() - t0:.0f} s", flush=True)
    with torch.no_grad():
        ref = model(x).numpy()
    step = None
    if precision == "int8":  # the logits' quantization step: scale of the last quantize in the graph
        quants = [n for n in torch.export.export(model, (x,)).graph.nodes
                  if n.op == "call_function" and "quantize_per_tensor" in str(n.target)
                  and "dequantize" not in str(n.target)]
        step = float(quants[-1].args[1])
    return {"model": model, "files": files, "ref": ref, "step": step}


def run(pte: Path, threads: int, runs: int, inp: Path, out: Path | None = None,
        profile: bool = False, fused: bool = True) -> dict:
    args = [str(RUNNER), str(pte), "--runs", str(runs), "--threads", str(threads), "--input", str(inp)]
    if out:
        args += ["--output", str(out)]
    env = {k: v for k, v in os.environ.items() if k not in ("EDGEKIT_PROFILE", "EDGEKIT_NO_FUSION")}
    env.update({"EDGEKIT_PROFILE": "1"} if profile else {})
    env.update({} if fused else {"EDGEKIT_NO_FUSION": "1"})
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=True, timeout=600)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if profile:
        lines = proc.stderr.splitlines()
        result["ops"] = [json.loads(line) for line in lines if line.startswith('{"edgekit_op')]
    return result


def cpu_ms_per_call(pte: Path, inp: Path, fused: bool) -> float:
    """The runner's CPU milliseconds per call at 1 thread: (105 calls - 5 calls) / 100 (load cancels)."""
    spent = []
    for runs in (5, 105):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run(pte, 1, runs, inp, fused=fused)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return (spent[1] - spent[0]) * 1000 / 100


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sparsity", type=float, nargs="+", default=[0.7, 0.9])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--precision", nargs="+", choices=["fp32", "int8"], default=["fp32", "int8"])
    args = ap.parse_args()
    if not RUNNER.exists():
        sys.exit("edgekit-run is not built: run `make backend`")

    torch.manual_seed(1)
    x = torch.randn(1, 3, 224, 224)
    inp = CACHE / "input.f32"
    CACHE.mkdir(parents=True, exist_ok=True)
    x.numpy().astype("<f4").tofile(inp)
    results = {"model": "mobilenet_v2 1.0 @224 batch 1, random weights, 1x1 convs pruned 4x1",
               "precision": args.precision, "load_average": os.getloadavg(), "cells": [], "profiles": {},
               "parity": {}}
    for precision in args.precision:
        for s in args.sparsity:
            bench_one(results, precision, s, x, inp, args)
    results["load_average_end"] = os.getloadavg()
    print_table(results)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "e2e_sparse_backend.json").write_text(json.dumps(results, indent=1))
    print(f"wrote {OUT / 'e2e_sparse_backend.json'}")


def bench_one(results: dict, precision: str, s: float, x: torch.Tensor, inp: Path, args) -> None:
    print(f"{precision}, sparsity {s:.0%}: exporting (cached in {CACHE})", flush=True)
    exp = export(s, x, precision)
    outs = {}
    for kind, pte in exp["files"].items():
        out = CACHE / f"out_{kind}_{precision}_{int(s * 100)}.f32"
        run(pte, 1, 1, inp, out)
        outs[kind] = y = np.fromfile(out, dtype="<f4").reshape(exp["ref"].shape)
        err = float(np.abs(y - exp["ref"]).max() / np.abs(exp["ref"]).max())
        results["parity"][f"{precision} {kind}@{s}"] = err
    if exp["step"]:
        results["parity"][f"int8 edgekit vs dense steps@{s}"] = float(
            np.abs(outs["edgekit"] - outs["dense"]).max() / exp["step"])
    # the edgekit .pte also runs op by op (EDGEKIT_NO_FUSION): what the fused blocks win.
    variants = {"dense": (exp["files"]["dense"], True), "edgekit": (exp["files"]["edgekit"], True)}
    variants["op_by_op"] = (exp["files"]["edgekit"], False)
    for name, (pte, fused) in variants.items():
        if name == "dense":
            continue
        prof = run(pte, 1, args.runs, inp, profile=True, fused=fused)["ops"]
        by_kind = collections.defaultdict(float)
        for op in prof:  # per-step minimum over the runs: the step's own cost on a shared host
            by_kind[op["kind"].split(":")[0]] += op.get("min_us", op["us"])
        key = f"{precision}@{s}" + ("" if name == "edgekit" else f" {name}")
        results["profiles"][key] = {"by_kind_us": dict(by_kind), "ops": prof}
    for t in args.threads:
        times = {k: [] for k in variants}
        mins = {k: [] for k in variants}
        for _ in range(args.rounds):
            for kind, (pte, fused) in variants.items():
                r = run(pte, t, args.runs, inp, fused=fused)
                times[kind].append(r["median_ms"])
                mins[kind].append(r["min_ms"])
        if t == 1:  # CPU time per call: one extra pass of 5 and 105 calls per variant and round
            cpu = {k: [] for k in variants}
            for _ in range(args.rounds):
                for kind, (pte, fused) in variants.items():
                    cpu[kind].append(cpu_ms_per_call(pte, inp, fused))
        med = {k: statistics.median(v) for k, v in times.items()}
        lo = {k: min(v) for k, v in mins.items()}
        cell = {"precision": precision, "sparsity": s, "threads": t,
                "dense_xnnpack_ms": med["dense"], "edgekit_ms": med["edgekit"],
                "speedup": med["dense"] / med["edgekit"], "target": TARGETS.get(s), "rounds": times,
                "min_ms": lo, "speedup_min": lo["dense"] / lo["edgekit"], "load_average": os.getloadavg()[0]}
        if "op_by_op" in med:
            cell.update(op_by_op_ms=med["op_by_op"], speedup_op_by_op=med["dense"] / med["op_by_op"])
        if t == 1:
            c = {k: statistics.median(v) for k, v in cpu.items()}
            cell.update(cpu_ms=c, speedup_cpu=c["dense"] / c["edgekit"])
        results["cells"].append(cell)


def print_table(results: dict) -> None:
    print("\n| precision | sparsity | threads | dense XNNPACK ms | edgekit ms | speedup | target "
          "| min ms dense / edgekit (speedup) | op by op ms (speedup) | CPU ms dense / edgekit (speedup) "
          "| load avg |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in results["cells"]:
        lo = c.get("min_ms", {})
        by_op = (f"{c['op_by_op_ms']:.2f} ({c['speedup_op_by_op']:.2f}x)" if "op_by_op_ms" in c else "-")
        cpu = (f"{c['cpu_ms']['dense']:.2f} / {c['cpu_ms']['edgekit']:.2f} ({c['speedup_cpu']:.2f}x)"
               if "cpu_ms" in c else "-")
        print(f"| {c.get('precision', 'fp32')} | {c['sparsity']:.0%} | {c['threads']} "
              f"| {c['dense_xnnpack_ms']:.2f} | {c['edgekit_ms']:.2f} | {c['speedup']:.2f}x "
              f"| {c['target'] or '-'}x | {lo.get('dense', 0):.2f} / {lo.get('edgekit', 0):.2f} "
              f"({c.get('speedup_min', 0):.2f}x) | {by_op} | {cpu} | {c.get('load_average', 0):.1f} |")
    print(f"load average (1, 5, 15 min): start {results.get('load_average')}, "
          f"end {results.get('load_average_end')}")
    print("\nparity (max abs error / max |eager|):", {k: f"{v:.1e}" for k, v in results["parity"].items()})
    for s, p in results["profiles"].items():
        total = sum(p["by_kind_us"].values())
        split = ", ".join(f"{k} {v / 1000:.2f} ms ({v / total:.0%})" for k, v in
                          sorted(p["by_kind_us"].items(), key=lambda kv: -kv[1]))
        print(f"edgekit profile @ {s} (1 thread, sum of per-step minima {total / 1000:.2f} ms): {split}")


if __name__ == "__main__":
    main()
