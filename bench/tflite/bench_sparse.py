"""Sparse TFLite vs dense TFLite: file sizes and latency in LiteRT on this host (edgekit profile).

    .venv/bin/python bench/tflite/bench_sparse.py [--runs 200] [--quick]

Baseline in the same run: the same weights written dense, run by the default interpreter
(XNNPACK, the strongest LiteRT CPU path). Models:
- fc_stack: linear layers 1024-1024-1024-1000 (batch 1), fp32 pruned in 1x4 blocks at 70% / 90%
  and int8 (ai-edge-quantizer static int8 of the fp32 file) pruned in 1x16 blocks at 90%;
  the sparse file reads them directly with FULLY_CONNECTED v8.
- mobilenet_v2 @224: 90% group-sparse (1x1 convs 4x1 behind DENSIFY, classifier direct), fp32 and int8.
Writes build/bench/tflite_sparse.json and prints a Markdown table (docs/BENCHMARKS.md section).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.tflite.models import convert_fp32, fc_stack, pruned_mobilenet_v2  # noqa: E402
from edgekit import atomic  # noqa: E402
from edgekit.formats.tflite_sparse import sparsify_bytes  # noqa: E402


def int8_of(fp32: bytes, shape: tuple[int, ...]) -> bytes:
    from ai_edge_litert.interpreter import Interpreter
    from ai_edge_quantizer import quantizer, recipe

    q = quantizer.Quantizer(fp32)
    q.load_quantization_recipe(recipe.static_wi8_ai8())
    sigs = Interpreter(model_content=fp32).get_signature_list()
    sig = next(iter(sigs))
    name = sigs[sig]["inputs"][0]
    rng = np.random.default_rng(0)
    calib = [{name: rng.standard_normal(shape).astype(np.float32)} for _ in range(4)]
    return bytes(q.quantize(q.calibrate({sig: calib}, num_threads=1)).quantized_model)


def p50_ms(path: Path, threads: int, runs: int) -> float:
    import edgekit.profile as ekp

    result = ekp.profile(str(path), runtime="tflite", runs=runs, warmup=max(5, runs // 10),
                         threads=threads, per_op_runs=0)
    return float(result.latency["p50"])


def interleaved_ms(dense: Path, sparse: Path, threads: int, iters: int) -> tuple[float, float, float, float]:
    """Medians of dense and sparse invokes alternated one by one in one process (load drift hits both):
    wall ms (dense, sparse) and this thread's CPU ms (dense, sparse). With 1 thread the interpreter
    runs on the calling thread, so CPU time is immune to other processes taking the core."""
    import time

    from ai_edge_litert.interpreter import Interpreter

    its = []
    for path in (dense, sparse):
        it = Interpreter(model_path=str(path), num_threads=threads)
        it.allocate_tensors()
        d = it.get_input_details()[0]
        x = np.random.default_rng(0).standard_normal(d["shape"]).astype(np.float32)
        if d["dtype"] == np.int8:
            x = np.clip(np.round(x * 20), -128, 127).astype(np.int8)
        it.set_tensor(d["index"], x)
        for _ in range(10):
            it.invoke()
        its.append(it)
    wall: list[list[float]] = [[], []]
    cpu: list[list[float]] = [[], []]
    for _ in range(iters):
        for k, it in enumerate(its):
            t0, c0 = time.perf_counter(), time.thread_time()
            it.invoke()
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.thread_time() - c0)
    med = [float(np.median(v) * 1e3) for v in (*wall, *cpu)]
    return med[0], med[1], med[2], med[3]


def cases(quick: bool) -> list[tuple[str, str, bytes, tuple[int, ...]]]:
    """(name, precision, dense bytes, input shape)."""
    out = []
    fc_shape = (1, 1024)
    for s in (0.7, 0.9):
        fp32 = convert_fp32(fc_stack(sparsity=s, pattern="1x4"), fc_shape)
        out.append((f"fc_stack 1x4 {s:.0%}", "fp32", fp32, fc_shape))
    fp32_16 = convert_fp32(fc_stack(sparsity=0.9, pattern="1x16"), fc_shape)
    out.append(("fc_stack 1x16 90%", "int8", int8_of(fp32_16, fc_shape), fc_shape))
    if not quick:
        shape = (1, 3, 224, 224)
        mbv2 = convert_fp32(pruned_mobilenet_v2(0.9), shape)
        out.append(("mobilenet_v2 90%", "fp32", mbv2, shape))
        out.append(("mobilenet_v2 90%", "int8", int8_of(mbv2, shape), shape))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="FC models only")
    ap.add_argument("--json", type=Path, default=REPO / "build" / "bench" / "tflite_sparse.json")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, precision, dense, _shape in cases(args.quick):
            result = sparsify_bytes(dense)
            d_path, s_path = Path(tmp) / "dense.tflite", Path(tmp) / "sparse.tflite"
            d_path.write_bytes(dense)
            s_path.write_bytes(result.data)
            storage = sorted({f"{layer.op}:{layer.storage}" for layer in result.layers
                              if layer.storage != "dense"})
            row = {"model": name, "precision": precision, "dense_bytes": len(dense),
                   "sparse_bytes": len(result.data), "size_ratio": len(result.data) / len(dense),
                   "storage": storage, "xnnpack_sparse_qualifies": result.xnnpack.qualifies}
            for t in args.threads:
                # alternate dense/sparse rounds and keep each one's best p50: the host is shared
                dense_ms = sparse_ms = float("inf")
                for _ in range(args.rounds):
                    dense_ms = min(dense_ms, p50_ms(d_path, t, args.runs))
                    sparse_ms = min(sparse_ms, p50_ms(s_path, t, args.runs))
                row[f"dense_ms_{t}t"], row[f"sparse_ms_{t}t"] = dense_ms, sparse_ms
                row[f"speedup_{t}t"] = dense_ms / sparse_ms
                d_ms, s_ms, d_cpu, s_cpu = interleaved_ms(d_path, s_path, t, args.runs * 3)
                row[f"interleaved_speedup_{t}t"] = d_ms / s_ms
                if t == 1:
                    row["dense_cpu_ms_1t"], row["sparse_cpu_ms_1t"] = d_cpu, s_cpu
                    row["cpu_time_speedup_1t"] = d_cpu / s_cpu
            rows.append(row)
            print(json.dumps(row), flush=True)
    head = "| model | prec | dense KB | sparse KB | size | CPU-time speedup 1t | " + " | ".join(
        f"dense ms {t}t | sparse ms {t}t | speedup {t}t (interleaved)" for t in args.threads) + " |"
    print("\n" + head)
    print("|" + "---|" * (6 + 3 * len(args.threads)))
    for r in rows:
        cells = [r["model"], r["precision"], f"{r['dense_bytes'] / 1024:.0f}",
                 f"{r['sparse_bytes'] / 1024:.0f}", f"{r['size_ratio']:.2f}x",
                 f"{r.get('cpu_time_speedup_1t', float('nan')):.2f}x"]
        for t in args.threads:
            cells += [f"{r[f'dense_ms_{t}t']:.3f}", f"{r[f'sparse_ms_{t}t']:.3f}",
                      f"{r[f'speedup_{t}t']:.2f}x ({r[f'interleaved_speedup_{t}t']:.2f}x)"]
        print("| " + " | ".join(cells) + " |")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(args.json, json.dumps({"baseline": "same weights dense, default interpreter (XNNPACK)",
                                             "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
