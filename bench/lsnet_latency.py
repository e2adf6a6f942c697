"""Latency of the full-size LSNet bundles (T/S/B @224) per format and precision, against MobileNetV2-1.0.

    .venv/bin/python bench/lsnet_latency.py [--runs 20] [--threads 1] [--rounds 2]
        [--formats executorch,tflite,onnx] [--precisions fp32,int8] [--models lsnet_t,lsnet_s,lsnet_b]

For every (format, precision) the files are profiled with `edgekit profile FILE --threads T` (one fresh
worker process per profile, 5 warm-up runs, per-op profiler off), MobileNetV2 first and the LSNet files
right after it, `--rounds` times in alternating order, so every ratio compares files measured minutes
apart under the same load. The minimum over all rounds is the statistic to compare on a shared machine
(waiting for a core only ever adds time); p50 is reported beside it, and the 1-minute load average at
each profile is recorded. LSNet files: the bundles of converters/lsnet_full.sh (build/export/lsnet_*-*);
MobileNetV2 files: bench/lsnet_bench.py's (build/bench/mobilenet_v2_224_*).
Writes build/bench/lsnet_latency.json and build/bench/lsnet_latency/*.json (`edgekit report` reads them).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

OUT = Path("build/bench/lsnet_latency")
SUFFIX = {"executorch": ".pte", "tflite": ".tflite", "onnx": ".onnx"}
BASELINE = "mobilenet_v2"


def files_for(fmt: str, precision: str, models: list[str]) -> dict[str, Path]:
    """model -> file, the baseline first; models whose file does not exist are left out."""
    suffix = SUFFIX[fmt]
    found = {BASELINE: Path(f"build/bench/{BASELINE}_224_{precision}{suffix}")}
    for m in models:
        found[m] = Path(f"build/export/{m}-{fmt}/{m}_{precision}{suffix}")
    return {m: p for m, p in found.items() if p.is_file()}


def profile(file: Path, threads: int, runs: int, out: Path) -> dict | None:
    cmd = [sys.executable, "-m", "edgekit", "profile", str(file), "--threads", str(threads),
           "--runs", str(runs), "--warmup", "5", "--per-op-runs", "0", "--json", str(out), "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"profile failed: {' '.join(cmd)}\n{done.stderr.strip()[-400:]}", flush=True)
        return None
    return json.loads(out.read_text())


def measure(fmt: str, precision: str, files: dict[str, Path], args: argparse.Namespace) -> list[dict]:
    samples: dict[str, list[float]] = {m: [] for m in files}
    loads: dict[str, list[float]] = {m: [] for m in files}
    order = list(files)
    for r in range(args.rounds):
        for model in (order if r % 2 == 0 else [order[0], *reversed(order[1:])]):
            loads[model].append(os.getloadavg()[0])
            out = OUT / f"{model}_{fmt}_{precision}_t{args.threads}_r{r}.json"
            result = profile(files[model], args.threads, args.runs, out)
            if result is not None:
                lat = result["latency_ms"]
                samples[model] += lat["samples"]
                print(f"  {model:13} {fmt:10} {precision:5} round {r}: min {lat['min']:8.2f} "
                      f"p50 {lat['p50']:8.2f} ms (load {loads[model][-1]:.1f})", flush=True)
    rows = []
    base = samples.get(BASELINE) or []
    for model, times in samples.items():
        if not times:
            continue
        times = sorted(times)
        row = {"model": model, "format": fmt, "precision": precision, "threads": args.threads,
               "file": str(files[model]), "size_bytes": files[model].stat().st_size, "n": len(times),
               "min_ms": times[0], "p50_ms": times[len(times) // 2], "load_1min": loads[model]}
        if base and model != BASELINE:
            b = sorted(base)
            row["ratio_min"] = row["min_ms"] / b[0]
            row["ratio_p50"] = row["p50_ms"] / b[len(b) // 2]
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--formats", default="executorch,tflite,onnx")
    ap.add_argument("--precisions", default="fp32,int8")
    ap.add_argument("--models", default="lsnet_t,lsnet_s,lsnet_b")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    models = args.models.split(",")
    rows: list[dict] = []
    summary = Path("build/bench/lsnet_latency.json")
    # rows of other formats/precisions from an earlier invocation are kept; re-measured ones replaced
    kept = json.loads(summary.read_text()) if summary.is_file() else []
    for fmt in args.formats.split(","):
        for precision in args.precisions.split(","):
            files = files_for(fmt, precision, models)
            if BASELINE not in files or len(files) < 2:
                print(f"skip {fmt} {precision}: files found for {sorted(files)}", flush=True)
                continue
            rows += measure(fmt, precision, files, args)
            done = {(r["format"], r["precision"], r["threads"]) for r in rows}
            kept = [r for r in kept if (r["format"], r["precision"], r["threads"]) not in done]
            summary.write_text(json.dumps(kept + rows, indent=1))
    print(f"\n{'model':13} {'format':10} {'prec':5} {'min ms':>8} {'p50 ms':>8} {'min/MNv2':>9} "
          f"{'p50/MNv2':>9} {'load':>9}")
    for r in rows:
        ratio = (f"{r['ratio_min']:8.2f}x {r['ratio_p50']:8.2f}x" if "ratio_min" in r
                 else f"{'1':>8}x {'1':>8}x")
        print(f"{r['model']:13} {r['format']:10} {r['precision']:5} {r['min_ms']:8.2f} {r['p50_ms']:8.2f} "
              f"{ratio} {min(r['load_1min']):4.1f}-{max(r['load_1min']):4.1f}")


if __name__ == "__main__":
    main()
