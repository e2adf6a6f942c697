"""Export trained models, score every exported file in its runtime, render the accuracy table.

    python -m edgekit.train.accuracy_table run fmnist_mobilenet_v2 --formats onnx,executorch,tflite
    python -m edgekit.train.accuracy_table table fmnist_mobilenet_v2 fmnist_mobilenet_v2_s70 ...

`run` writes build/accuracy/<model>-<format>/ (one bundle per format) and <model>-<format>.json
(results); an existing bundle is reused when it was exported from the same weights (a fingerprint of
the state dict), so steps can run in parallel processes and be resumed, and a retrained checkpoint
is never scored through a stale export.
`table` prints the Markdown table docs/ACCURACY.md holds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

OUT = Path("build/accuracy")
RUNTIMES = ("executorch", "tflite", "onnx")
EXPORT_KEYS = ("calib_n", "calib_seed", "sparse_backend", "tflite_sparse", "onnx_reduce_range")


def weights_fingerprint(net: Any) -> str:
    """sha256 over the state dict's names and bytes: which weights a bundle was exported from."""
    h = hashlib.sha256()
    for name, t in sorted(net.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def run(model: str, formats: list[str], data: str, calib_n: int, out: Path = OUT,
        sparse_storage: bool = True) -> list[dict[str, Any]]:
    from edgekit import models
    from edgekit.atomic import write_text
    from edgekit.config import ExportConfig
    from edgekit.eval import evaluate_bundle
    from edgekit.export import export
    from edgekit.sparsity import describe, select_layers
    from edgekit.train import evaluate
    from edgekit.train.modelref import resolve

    net, ref = resolve(model)
    eager = evaluate(net, ref.load_data(data, "test"))
    print(f"{model}: eager fp32 top-1 {eager:.4f}", flush=True)
    info = describe(net)
    target = models.MODELS.meta(model).get("sparsity") if model in models.MODELS else None
    # over every selected layer, so a sensitivity plan's dense layers count (the definition)
    selected = [m.weight.detach() for m in select_layers(net).values()]
    zeros = sum(int((w == 0).sum()) for w in selected) / sum(w.numel() for w in selected)
    sparsity = {"target": target, "pattern": info["pattern"], "selected_layers": zeros,
                "all_weights": info["overall"]["sparsity"]}
    fingerprint = weights_fingerprint(net)
    records = []
    for fmt in formats:  # one bundle and one result file per format: parallel processes, resumable
        t0 = time.time()
        bundle = out / f"{model}-{fmt}"
        stamp = out / f"{model}-{fmt}.weights"
        cfg = ExportConfig(model=model, formats=[fmt], precisions=["fp32", "int8"], calib=data,
                           calib_n=calib_n, eval_data=data, out=str(bundle),
                           sparse_backend=sparse_storage, tflite_sparse=sparse_storage)
        # the weights and the settings that change the files (a bundle from an older default is stale)
        key = fingerprint + " " + json.dumps({k: getattr(cfg, k) for k in EXPORT_KEYS})
        fresh = stamp.is_file() and stamp.read_text().strip() == key
        if not fresh or not (bundle / "edgekit.json").is_file():
            shutil.rmtree(bundle, ignore_errors=True)   # exported from other weights, or half done
            export(cfg, progress=lambda s: print(f"{model}: {s}", flush=True), quiet_stdout=True)
            write_text(stamp, key + "\n")
        results = []
        for r in evaluate_bundle(bundle, data):
            results.append(r.to_json())
            print(f"{model}: {r.runtime} {r.precision} top-1 {r.top1:.4f} ({r.n} images)", flush=True)
        record = {"model": model, "format": fmt, "data": data, "eager_fp32": eager, "calib_n": calib_n,
                  "weights": fingerprint, "sparse_storage": sparse_storage,
                  "sparsity": sparsity, "results": results, "seconds": time.time() - t0}
        write_text(out / f"{model}-{fmt}.json", json.dumps(record, indent=1))
        records.append(record)
    return records


def _merged(model: str, out: Path) -> dict[str, Any] | None:
    parts = [json.loads(p.read_text()) for p in sorted(out.glob(f"{model}-*.json"))
             if json.loads(p.read_text()).get("model") == model]
    if not parts:
        return None
    return parts[0] | {"results": [r for p in parts for r in p["results"]]}


def table(models: list[str], out: Path = OUT) -> str:
    """Markdown: one row per model x precision, one column per runtime, drop vs the dense fp32 eager."""
    records = [r for r in (_merged(m, out) for m in models) if r]
    if not records:
        return "(no results yet)"
    dense = next((r for r in records if not r["sparsity"]["target"]), records[0])
    base = dense["eager_fp32"]
    lines = ["| model | sparsity (selected layers / all weights) | precision | eager PyTorch | "
             + " | ".join(RUNTIMES) + " | drop vs dense fp32 eager (worst runtime) |",
             "|---|---|---|---|" + "---|" * len(RUNTIMES) + "---|"]
    for r in records:
        s = r["sparsity"]
        sp = f"{s['selected_layers']:.1%} / {s['all_weights']:.1%} {s['pattern'] or ''}".strip() \
            if s["pattern"] else "dense"
        for precision in ("fp32", "int8"):
            cells, accs = [], []
            for rt in RUNTIMES:
                hit = [x for x in r["results"] if x["runtime"] == rt and x["precision"] == precision]
                cells.append(f"{hit[0]['top1']:.2%}" if hit else "-")
                accs += [hit[0]["top1"]] if hit else []
            eager = f"{r['eager_fp32']:.2%}" if precision == "fp32" else ""
            worst = f"{(base - min(accs)) * 100:+.2f} pt" if accs else "-"
            lines.append(f"| {r['model']} | {sp} | {precision} | {eager} | " + " | ".join(cells)
                         + f" | {worst} |")
    return "\n".join(lines)


TARGETS = [("fmnist_mobilenet_v2", "int8 PTQ, dense", 0.5),
           ("fmnist_mobilenet_v2_s70", "70% 4x1 + int8", 1.0),
           ("fmnist_mobilenet_v2_s90", "90% 4x1 + int8", 2.5)]


def targets(dense: str = "fmnist_mobilenet_v2", out: Path = OUT) -> str:
    """The issue's targets: int8 (sparse) file vs the same runtime's fp32 dense file, in points."""
    base = _merged(dense, out)
    if base is None:
        return "(no dense results yet)"
    ref = {r["runtime"]: r["top1"] for r in base["results"] if r["precision"] == "fp32"}
    lines = ["| target | runtime | fp32 dense | int8 | drop | limit | met |", "|---|---|---|---|---|---|---|"]
    for model, what, limit in TARGETS:
        rec = _merged(model, out)
        for rt in RUNTIMES:
            hit = [r for r in (rec or {}).get("results", [])
                   if r["runtime"] == rt and r["precision"] == "int8"]
            if not hit or rt not in ref:
                lines.append(f"| {what} | {rt} | - | - | - | {limit:.1f} pt | not measured |")
                continue
            drop = (ref[rt] - hit[0]["top1"]) * 100
            lines.append(f"| {what} | {rt} | {ref[rt]:.2%} | {hit[0]['top1']:.2%} | {drop:+.2f} pt | "
                         f"{limit:.1f} pt | {'yes' if drop <= limit else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m edgekit.train.accuracy_table")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("models", nargs="+")
    r.add_argument("--formats", default="onnx,executorch,tflite")
    r.add_argument("--data", default="fashion-mnist")
    r.add_argument("--calib-n", type=int, default=256)
    r.add_argument("--dense-storage", action="store_true",
                   help="export sparse models without edgekit's ExecuTorch backend / TFLite sparse tensors")
    t = sub.add_parser("table")
    t.add_argument("models", nargs="+")
    for q in (r, t):
        q.add_argument("--out", type=Path, default=OUT, help=f"bundles and results (default {OUT})")
    args = p.parse_args(argv)
    if args.cmd == "run":
        for m in args.models:
            run(m, args.formats.split(","), args.data, args.calib_n, args.out,
                sparse_storage=not args.dense_storage)
    else:
        print(table(args.models, args.out))
        print()
        print(targets(args.models[0], args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
