"""LSNet: params/MACs vs the paper, delegated-op shares and latency per format, against MobileNetV2.

    .venv/bin/python bench/lsnet_bench.py [--models lsnet_t,mobilenet_v2] [--size 224] [--formats ...]
        [--precisions fp32,int8] [--runs 20]

Prints a table and writes build/bench/lsnet.json. Latency: median over --runs single-image calls,
2 threads, measured in one run for every model so ratios are comparable on a shared machine.

    .venv/bin/python bench/lsnet_bench.py --bundles [build/export/lsnet_*-*]

summarises the bundles converters/lsnet_full.sh wrote (edgekit export's parity per file, file sizes)
and measures each file's delegated share: .pte instructions inside vs outside delegates, .tflite ops
LiteRT's XNNPACK delegate took (targets.tflite_xnnpack_delegation), .onnx standard-domain ops.
Writes build/bench/lsnet_bundles.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from edgekit import models
from edgekit.models.lsnet import PUBLISHED
from edgekit.models.lsnet.targets import EXPORTERS, parity, sample_images

OUT = Path("build/bench")


def macs(model: torch.nn.Module, size: int) -> float:
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    return counter.get_total_flops() / 2


def latency_ms(run, path: Path, x: torch.Tensor, runs: int) -> float:
    run(path, x)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run(path, x)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _runner(fmt: str):
    """A callable that keeps the loaded program/session across calls (loading is not inference)."""
    cache: dict = {}

    def run(path: Path, x: torch.Tensor):
        if fmt == "executorch":
            from executorch.runtime import Runtime
            m = cache.setdefault(path, Runtime.get().load_program(str(path)).load_method("forward"))
            return m.execute([x])[0]
        if fmt == "tflite":
            from ai_edge_litert.interpreter import Interpreter
            if path not in cache:
                it = Interpreter(model_path=str(path), num_threads=2)
                it.allocate_tensors()
                cache[path] = it
            it = cache[path]
            inp, out = it.get_input_details()[0], it.get_output_details()[0]
            data = x.numpy()
            if inp["dtype"] != data.dtype:
                scale, zero = inp["quantization"]
                data = (data / scale + zero).round().clip(-128, 127).astype(inp["dtype"])
            it.set_tensor(inp["index"], data)
            it.invoke()
            return it.get_tensor(out["index"])
        import onnxruntime as ort
        if path not in cache:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 2
            cache[path] = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        return cache[path].run(None, {"input": x.numpy()})[0]

    return run


def pte_delegation(path: Path) -> dict:
    """Instructions of a .pte's plan: calls into delegates vs portable kernels left outside them."""
    from executorch.exir._serialize._program import deserialize_pte_binary

    program = deserialize_pte_binary(path.read_bytes())
    plan = getattr(program, "program", program).execution_plan[0]
    kinds = collections.Counter(type(i.instr_args).__name__ for c in plan.chains for i in c.instructions)
    return {"delegate_calls": kinds.get("DelegateCall", 0), "kernel_calls": kinds.get("KernelCall", 0),
            "delegates": sorted({d.id for d in plan.delegates}),
            "outside_ops": sorted({o.name for o in plan.operators})}


def summarise_bundles(paths: list[str]) -> None:
    from edgekit.models.lsnet.targets import tflite_xnnpack_delegation

    rows = []
    for bundle in sorted(Path(p) for p in paths):
        manifest_path = bundle / "edgekit.json"
        if not manifest_path.is_file():
            continue
        manifest = json.loads(manifest_path.read_text())
        for a in manifest["artifacts"]:
            path, p = bundle / a["file"], a["parity"]
            row = {"model": manifest["model"]["name"], "format": a["format"], "precision": a["precision"],
                   "file": str(path), "MB": round(a["size_bytes"] / 1e6, 2),
                   "export_s": a.get("export_seconds"),
                   "max_abs": p["max_abs_diff"], "ref_max_abs": p["ref_max_abs"], "cosine": p["cosine"],
                   "top1_agreement": p["top1_agreement"], "n": p["n"]}
            if a["format"] == "executorch":
                d = pte_delegation(path)
                row |= d | {"delegated": "100%" if d["kernel_calls"] == 0 else f"{d['kernel_calls']} outside"}
            elif a["format"] == "tflite":
                d = tflite_xnnpack_delegation(path)
                row |= {"ops": d.total, "xnnpack_ops": d.delegated, "left_out": d.left_out,
                        "delegated": f"{100 * d.share:.1f}% of {d.total}"}
            else:
                import onnx

                nodes = onnx.load(str(path)).graph.node
                std = sum(n.domain in ("", "ai.onnx") for n in nodes)
                row |= {"ops": len(nodes), "delegated": f"{100 * std / len(nodes):.1f}% std of {len(nodes)}"}
            rows.append(row)
            print(f"{row['model']:8} {row['format']:10} {row['precision']:5} {row['MB']:7.2f} MB "
                  f"max|d| {row['max_abs']:.2e} (ref {row['ref_max_abs']:.1e}) cos {row['cosine']:.5f} "
                  f"top1 {row['top1_agreement']:.2f}  {row['delegated']}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "lsnet_bundles.json").write_text(json.dumps(rows, indent=1))


def main() -> None:
    if "--bundles" in sys.argv:
        rest = [a for a in sys.argv[1:] if a != "--bundles"]
        summarise_bundles(rest or [str(p) for p in Path("build/export").glob("lsnet_*-*")])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="lsnet_t,mobilenet_v2")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--formats", default="onnx,tflite,executorch")
    ap.add_argument("--precisions", default="fp32,int8")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--calib-n", type=int, default=8)
    args = ap.parse_args()
    torch.set_num_threads(2)
    OUT.mkdir(parents=True, exist_ok=True)
    images = sample_images(args.calib_n + 1, args.size)
    x, calib = images[0], images[1:]
    rows = []
    for name in args.models.split(","):
        torch.manual_seed(0)
        kw = {"fused": True} if name.startswith("lsnet") else {}
        model = models.create(name, input_size=args.size, **kw).eval()
        params = sum(p.numel() for p in model.parameters())
        row_base = {"model": name, "size": args.size, "params_M": params / 1e6,
                    "GMACs": macs(model, args.size) / 1e9, "published": PUBLISHED.get(name)}
        with torch.no_grad():
            ref = model(x).numpy()
            start = time.perf_counter()
            for _ in range(3):
                model(x)
            eager = (time.perf_counter() - start) / 3 * 1e3
        rows.append({**row_base, "format": "eager", "precision": "fp32", "latency_ms": eager})
        print(rows[-1], flush=True)
        for fmt in args.formats.split(","):
            export, _, suffix = EXPORTERS[fmt]
            for precision in args.precisions.split(","):
                path = OUT / f"{name}_{args.size}_{precision}{suffix}"
                start = time.perf_counter()
                deleg = export(model, x, path, calib if precision == "int8" else None)
                seconds = time.perf_counter() - start
                run = _runner(fmt)
                y = run(path, x)
                y = y.numpy() if hasattr(y, "numpy") else y
                if fmt == "tflite" and y.dtype != ref.dtype:
                    y = _runner_dequant(path, y)
                row = {**row_base, "format": fmt, "precision": precision, "export_s": round(seconds, 1),
                       "ops": deleg.total, "delegated": deleg.delegated, "share": round(deleg.share, 4),
                       "left_out": deleg.left_out, **parity(ref, y),
                       "latency_ms": latency_ms(run, path, x, args.runs)}
                rows.append(row)
                print(row, flush=True)
                (OUT / "lsnet.json").write_text(json.dumps(rows, indent=1))
    print(f"\n{'model':14} {'format':11} {'prec':5} {'ops':>5} {'deleg%':>7} {'cos':>8} {'ms':>8}")
    for r in rows:
        print(f"{r['model']:14} {r['format']:11} {r['precision']:5} {r.get('ops', ''):>5} "
              f"{100 * r['share'] if 'share' in r else '':>7} {r.get('cosine', ''):>8} "
              f"{r['latency_ms']:8.2f}")


def _runner_dequant(path: Path, y):
    from ai_edge_litert.interpreter import Interpreter

    scale, zero = Interpreter(model_path=str(path)).get_output_details()[0]["quantization"]
    return (y.astype("float32") - zero) * scale


if __name__ == "__main__":
    main()
