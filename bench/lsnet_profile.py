"""lsnet_t vs MobileNetV2 through edgekit's profiler, interleaved, 1 thread then 2, plus a per-op breakdown.

    .venv/bin/python bench/lsnet_profile.py [--runs 30] [--threads 1,2] [--skip-profile]
        [--pair lsnet_t=build/export/lsnet_t-onnx/lsnet_t_fp32.onnx,mobilenet_v2=build/bench/...] ...

Each (format, precision) pair of files is profiled with `edgekit profile FILE --threads T --json ...`
(one fresh worker process per profile), lsnet_t and MobileNetV2 back to back so both see the same load.
Results: build/bench/lsnet_profile/*.json (profile schema 1, readable by `edgekit report`),
build/bench/lsnet_profile.json (the tables). Per-op: LSNet's time grouped by what it is for (ONNX Runtime
node names carry the module path; ExecuTorch without an ETRecord only has XNNPACK op types).
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
from pathlib import Path

OUT = Path("build/bench/lsnet_profile")
DEFAULT_FILES = {  # (format, precision) -> {model: file}; first existing candidate wins
    ("executorch", "fp32"): {"lsnet_t": ["build/export/lsnet_t-executorch/lsnet_t_fp32.pte",
                                         "build/bench/lsnet_t_224_fp32.pte"],
                             "mobilenet_v2": ["build/bench/mobilenet_v2_224_fp32.pte"]},
    ("executorch", "int8"): {"lsnet_t": ["build/export/lsnet_t-executorch/lsnet_t_int8.pte",
                                         "build/bench/lsnet_t_224_int8.pte"],
                             "mobilenet_v2": ["build/bench/mobilenet_v2_224_int8.pte"]},
    ("tflite", "fp32"): {"lsnet_t": ["build/export/lsnet_t-tflite/lsnet_t_fp32.tflite",
                                     "build/bench/lsnet_t_224_fp32.tflite"],
                         "mobilenet_v2": ["build/bench/mobilenet_v2_224_fp32.tflite"]},
    ("tflite", "int8"): {"lsnet_t": ["build/export/lsnet_t-tflite/lsnet_t_int8.tflite"],
                         "mobilenet_v2": ["build/bench/mobilenet_v2_224_int8.tflite"]},
    ("onnx", "fp32"): {"lsnet_t": ["build/export/lsnet_t-onnx/lsnet_t_fp32.onnx",
                                   "build/bench/lsnet_t_224_fp32.onnx"],
                       "mobilenet_v2": ["build/bench/mobilenet_v2_224_fp32.onnx"]},
    ("onnx", "int8"): {"lsnet_t": ["build/export/lsnet_t-onnx/lsnet_t_int8.onnx",
                                   "build/bench/lsnet_t_224_int8.onnx"],
                       "mobilenet_v2": ["build/bench/mobilenet_v2_224_int8.onnx"]},
}
LAYOUT_OPS = ("Transpose", "Reshape", "Slice", "Split", "Concat", "ReorderInput", "ReorderOutput", "Copy",
              "Flatten", "Squeeze", "Unsqueeze", "Gather", "Static Reshape", "Static Transpose")
# ONNX Runtime node name fragments -> the LSNet part they belong to (first match wins)
ORT_PARTS = (("/ska/", "SKA (one-hot shift convs x per-pixel weights, sum)"),
             ("/lkp/norm/", "GroupNorm (decomposed: mean, sub, square, mean, rsqrt, affine)"),
             ("/lkp/", "LKP (1x1, 7x7 dw, 1x1, 1x1 -> SKA weights)"),
             ("/mixer/m/", "attention (qkv, dw q, bmm, softmax, proj)"),
             ("/mixer/", "RepVGG dw conv / LS conv BN"),
             ("/se/", "squeeze-excite"),
             ("/ffn/", "FFN (1x1 2x, ReLU, 1x1)"),
             ("/downsample/", "downsample (dw s2 + 1x1)"),
             ("/stem/", "stem (3 convs)"))


def pick(candidates: list[str]) -> str | None:
    return next((c for c in candidates if Path(c).is_file()), None)


def profile(file: str, threads: int, runs: int, per_op_runs: int, out: Path) -> dict | None:
    cmd = [sys.executable, "-m", "edgekit", "profile", file, "--threads", str(threads), "--runs", str(runs),
           "--warmup", "5", "--per-op-runs", str(per_op_runs), "--json", str(out), "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"profile failed: {' '.join(cmd)}\n{done.stderr.strip()[-400:]}", flush=True)
        return None
    return json.loads(out.read_text())


def ort_part(op: dict) -> str:
    name = op["name"]
    return next((part for key, part in ORT_PARTS if key in name), "head / other")


def breakdown(result: dict, runtime: str) -> dict:
    """Per-op p50 summed by LSNet part (ONNX Runtime) or XNNPACK op type (ExecuTorch); layout share."""
    ops = result["per_op"].get("ops") or []
    total = sum(o["p50_ms"] for o in ops) or 1.0
    groups: dict[str, dict] = collections.defaultdict(lambda: {"ms": 0.0, "ops": 0, "layout_ms": 0.0})
    for o in ops:
        key = ort_part(o) if runtime == "onnx" else o["op_type"]
        g = groups[key]
        g["ms"] += o["p50_ms"]
        g["ops"] += 1
        if str(o["op_type"]).startswith(LAYOUT_OPS):
            g["layout_ms"] += o["p50_ms"]
    layout = sum(g["layout_ms"] for g in groups.values())
    rows = sorted(({"part": k, **v, "share": v["ms"] / total} for k, v in groups.items()),
                  key=lambda r: -r["ms"])
    return {"sum_op_p50_ms": total, "layout_ms": layout, "layout_share": layout / total, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--per-op-runs", type=int, default=10)
    ap.add_argument("--formats", default="executorch,tflite,onnx")
    ap.add_argument("--skip-profile", action="store_true", help="only re-read the JSON files")
    ap.add_argument("--fresh", action="store_true", help="re-profile files that already have results")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows, per_op = [], {}
    for threads in (int(t) for t in args.threads.split(",")):
        for (fmt, precision), files in DEFAULT_FILES.items():
            if fmt not in args.formats.split(","):
                continue
            pair = {m: pick(c) for m, c in files.items()}
            if None in pair.values():
                print(f"skip {fmt} {precision}: missing {[m for m, f in pair.items() if f is None]}")
                continue
            times = {}
            for model, file in pair.items():  # back to back: same machine load for both
                out = OUT / f"{model}_{fmt}_{precision}_t{threads}.json"
                per_op_runs = args.per_op_runs if threads == 1 and model == "lsnet_t" else 0
                if args.skip_profile or (out.is_file() and not args.fresh):
                    result = json.loads(out.read_text()) if out.is_file() else None
                else:
                    result = profile(file, threads, args.runs, per_op_runs, out)
                if result is None:
                    continue
                times[model] = result["latency_ms"]["p50"]
                rows.append({"model": model, "format": fmt, "precision": precision, "threads": threads,
                             "file": file, "size_bytes": Path(file).stat().st_size,
                             "p50_ms": result["latency_ms"]["p50"], "p90_ms": result["latency_ms"]["p90"],
                             "load_ms": result.get("load_ms")})
                if (result.get("per_op") or {}).get("ops"):
                    per_op[f"{model} {fmt} {precision} t{threads}"] = breakdown(result, fmt)
                print(f"{model:13} {fmt:10} {precision:5} t{threads} p50 {times[model]:8.2f} ms", flush=True)
            if len(times) == 2:
                print(f"{'':13} lsnet_t / mobilenet_v2 = {times['lsnet_t'] / times['mobilenet_v2']:.2f}x")
    Path("build/bench/lsnet_profile.json").write_text(json.dumps({"rows": rows, "per_op": per_op}, indent=1))
    for key, b in per_op.items():
        print(f"\n{key}: per-op p50 sum {b['sum_op_p50_ms']:.2f} ms, "
              f"layout ops {100 * b['layout_share']:.1f}%")
        for r in b["rows"][:14]:
            print(f"  {r['ms']:7.2f} ms {100 * r['share']:5.1f}% {r['ops']:4} ops  "
                  f"layout {r['layout_ms']:6.2f}  {r['part']}")


if __name__ == "__main__":
    main()
