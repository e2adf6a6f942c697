"""Benchmark: edgekit group-sparse kernels vs Debian XNNPACK, same process, single thread.

Layers: every 1x1 convolution of MobileNetV2-1.0 at 224x224, plus M=K=256, N=784. Sparsity
0/50/70/80/90%, fp32 and int8. Baselines timed in the same run: XNNPACK dense NHWC 1x1 conv (f32,
qc8 = int8 with per-channel weight scales) and XNNPACK NCHW 1x1 conv (its sparse spmm path) on the
same pruned weights. Also a group-shape study (1x1, 4x1, 8x1) on the 256x256x784 layer.

    .venv/bin/python bench/native/bench_gspmm.py [--rounds 15] [--update-benchmarks]

Prints tables, writes build/bench/native_gspmm.json and .md. Times are per-layer minimum over
interleaved rounds (the machine is shared; the median is kept in the JSON too).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "bench"
SPARSITIES = (0.0, 0.5, 0.7, 0.8, 0.9)
TARGETS = {("f32", 0.7): 2.0, ("f32", 0.9): 5.0, ("int8", 0.7): 1.8, ("int8", 0.9): 4.0}


def mobilenet_v2_pointwise(resolution: int = 224) -> list[tuple[int, int, int]]:
    """(M, K, N) of every 1x1 conv of MobileNetV2-1.0: M out channels, K in channels, N pixels."""
    layers = []
    size = resolution // 2  # after the stride-2 stem
    cin = 32
    # expansion t, out channels c, repeats n, stride s (Sandler et al. 2018, table 2)
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            if t != 1:
                layers.append((hidden, cin, size * size))  # expand, at the input resolution
            size //= stride
            layers.append((c, hidden, size * size))  # project, after the depthwise stride
            cin = c
    layers.append((1280, cin, size * size))
    return layers


def build_binary() -> Path:
    lib = ROOT / "build" / "native" / "libedgekit.a"
    if not lib.exists():
        sys.exit("native library not built: run `make native`")
    exe = OUT / "gspmm_bench"
    OUT.mkdir(parents=True, exist_ok=True)
    src = ROOT / "bench" / "native" / "gspmm_bench.c"
    subprocess.run(["cc", "-O2", "-o", str(exe), str(src), f"-I{ROOT / 'native' / 'include'}", str(lib),
                    "-lXNNPACK", "-lpthreadpool", "-lm", "-lpthread"], check=True)
    return exe


def run(exe: Path, layers, rounds: int, gm_f32: int, gm_qs8: int, sparsities,
        isa: str | None = None) -> list[dict]:
    stdin = "".join(f"{m} {k} {n}\n" for m, k, n in layers)
    args = [str(exe), str(rounds), str(gm_f32), str(gm_qs8), *map(str, sparsities)]
    env = {**os.environ, "EK_BENCH_ISA": isa} if isa else None
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, check=True, env=env)
    print(proc.stderr.strip(), file=sys.stderr)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def summarize(rows: list[dict]) -> list[dict]:
    """Sum per (variant, sparsity) over the layers; ratios against XNNPACK dense of the same dtype."""
    total = defaultdict(lambda: {"min_ms": 0.0, "median_ms": 0.0, "flop": 0.0, "dense_flop": 0.0})
    for r in rows:
        key = (r["variant"], r["sparsity"])
        t = total[key]
        t["min_ms"] += r["min_ms"]
        t["median_ms"] += r["median_ms"]
        t["flop"] += 2.0 * r["nnz"] * r["N"]
        t["dense_flop"] += 2.0 * r["M"] * r["K"] * r["N"]
        t["group_m"] = r["group_m"]
    base = {"f32": total[("xnn_f32_nhwc", 0.0)], "int8": total[("xnn_qc8_nhwc", 0.0)]}
    out = []
    def is_int8(variant: str) -> bool:
        return "qs8" in variant or "qc8" in variant

    for (variant, sp), t in sorted(total.items(), key=lambda kv: (is_int8(kv[0][0]), kv[0][0], kv[0][1])):
        dtype = "int8" if is_int8(variant) else "f32"
        b = base[dtype]
        out.append({
            "variant": variant, "dtype": dtype, "sparsity": sp, "group_m": t["group_m"],
            "min_ms": t["min_ms"], "median_ms": t["median_ms"],
            "gflops_real": t["flop"] / t["min_ms"] / 1e6,
            "gflops_dense_equiv": t["dense_flop"] / t["min_ms"] / 1e6,
            "ratio_vs_xnn_dense": b["min_ms"] / t["min_ms"],
            "ratio_vs_xnn_dense_median": b["median_ms"] / t["median_ms"],
        })
    return out


def table(summary: list[dict]) -> str:
    head = ("| variant | dtype | sparsity | group | ms (min) | ms (median) | GFLOPS real | GFLOPS dense-eq | "
            "speedup vs XNNPACK dense (min / median) |")
    lines = [head, "|" + "---|" * 9]
    for s in summary:
        lines.append(f"| {s['variant']} | {s['dtype']} | {s['sparsity']:.0%} | {s['group_m']}x1 | "
                     f"{s['min_ms']:.3f} | {s['median_ms']:.3f} | {s['gflops_real']:.1f} | "
                     f"{s['gflops_dense_equiv']:.1f} | {s['ratio_vs_xnn_dense']:.2f}x / "
                     f"{s['ratio_vs_xnn_dense_median']:.2f}x |")
    return "\n".join(lines)


def target_lines(summary: list[dict]) -> list[str]:
    lines = []
    for (dtype, sp), want in TARGETS.items():
        variant = "ek_f32" if dtype == "f32" else "ek_qs8"
        got = next(s["ratio_vs_xnn_dense"] for s in summary
                   if s["variant"] == variant and s["sparsity"] == sp)
        verdict = "met" if got >= want else "NOT met"
        lines.append(f"- {dtype} at {sp:.0%}: {got:.2f}x vs XNNPACK dense (target {want}x, ceiling "
                     f"{1 / (1 - sp):.1f}x): {verdict}")
    return lines


def icount_section() -> list[str]:
    """The aarch64 instruction-count table, if bench/native/icount_arm64.py has been run."""
    path = OUT / "native_icount_arm64.md"
    if not path.exists():
        return []
    return ["### aarch64 instruction counts (M=K=256, N=784, per call)", "",
            "`bench/native/icount_arm64.py`: the NEON kernels under qemu-aarch64 with a TCG counting",
            "plugin (exact, repeatable; a proxy for time, not time). Reference: Debian XNNPACK's arm64",
            "dense NHWC 1x1 conv on this shape, 16.4M instructions on cortex-a72 (../shared/PLATFORM.md).",
            "",
            path.read_text().rstrip(), ""]


def update_benchmarks_md(section: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# edgekit benchmarks\n"
    start = text.find("## Native kernels")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--gm-f32", type=int, default=4)
    ap.add_argument("--gm-qs8", type=int, default=4)
    ap.add_argument("--update-benchmarks", action="store_true", help="rewrite BENCHMARKS.md's native section")
    args = ap.parse_args()
    exe = build_binary()
    mnv2 = mobilenet_v2_pointwise()
    rows = run(exe, mnv2, args.rounds, args.gm_f32, args.gm_qs8, SPARSITIES)
    square = run(exe, [(256, 256, 784)], args.rounds * 2, args.gm_f32, args.gm_qs8, SPARSITIES)
    shapes = {gm: run(exe, [(256, 256, 784)], args.rounds * 2, gm, gm, (0.7, 0.9)) for gm in (1, 4, 8)}
    cpu = subprocess.run([str(exe), "1", "4", "4", "0"], input="", capture_output=True,
                         text=True).stderr.strip()

    avx2_rows = run(exe, mnv2, args.rounds, args.gm_f32, args.gm_qs8, (0.0, 0.7, 0.9), isa="avx2") \
        if "avx512" in cpu else []
    mnv2_summary, square_summary = summarize(rows), summarize(square)
    shape_rows = []
    for gm, rs in shapes.items():
        for s in summarize(rs):
            if s["variant"].startswith("ek_"):
                shape_rows.append(f"| {gm}x1 | {s['dtype']} | {s['sparsity']:.0%} | {s['min_ms']:.3f} | "
                                  f"{s['ratio_vs_xnn_dense']:.2f}x |")
    md = "\n".join([
        "## Native kernels",
        "",
        "`make bench-native` (bench/native/bench_gspmm.py). Single thread, same process, interleaved rounds;",
        f"x86_64 host, {cpu}. Times are sums over layers of per-layer minimum over {args.rounds} rounds",
        "(the host is shared; medians, noisier, are in the last column and the JSON).",
        "XNNPACK = Debian libxnnpack 2022 snapshot: dense NHWC 1x1 conv (f32; qc8 = int8 per-channel) and",
        "NCHW 1x1 conv (its sparse spmm path) on the same pruned f32 weights.",
        "",
        f"### MobileNetV2-1.0 @224, all {len(mnv2)} 1x1 convolutions",
        "",
        table(mnv2_summary),
        "",
        "Targets (whole-MobileNetV2 1x1 sum, vs XNNPACK dense of the same dtype):",
        "",
        *target_lines(mnv2_summary),
        "",
        "What limits the sums: the wide early expand layers (96x16 and 144x24 at 112x112 / 56x56) are bound",
        "by writing their large outputs, not by multiply-adds, so sparsity barely speeds them up (streaming",
        "stores halve the f32 96x12544 output time when it is over 1 MiB; the kernels run blocks inside",
        "L2-sized pixel chunks so each output row is written in one long run). On the compute-bound layers",
        "the f32 kernel runs at 60-70% of the 1/(1-s) ceiling; below ~10% density the per-group index and",
        "broadcast overhead and the per-tile requantization epilogue dominate. int8 beats the FLOP ceiling",
        "because edgekit's AVX-512 kernel uses VNNI (vpdpbusd) and this 2022 XNNPACK's qc8 kernels do not;",
        "a current XNNPACK with VNNI kernels would narrow that. The AVX2 int8 kernel (vpmaddwd + add, no",
        "VNNI) multiply-adds at up to twice the f32 rate; on its small-K layers the requantization epilogue",
        "(about 0.8 instructions per output) is most of the time.",
        "",
        *([
            "### Same, edgekit forced to its AVX2 kernels (x86 boxes without AVX-512 / VNNI)",
            "",
            table(summarize(avx2_rows)),
            "",
        ] if avx2_rows else []),
        "### M=K=256, N=784",
        "",
        table(square_summary),
        "",
        "### Group shape study (M=K=256, N=784)",
        "",
        "| group | dtype | sparsity | ms (min) | speedup vs XNNPACK dense |",
        "|---|---|---|---|---|",
        *shape_rows,
        "",
        *icount_section(),
    ])
    print(md)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "native_gspmm.json").write_text(json.dumps({
        "cpu": cpu, "rounds": args.rounds, "mobilenet_v2": {"layers": rows, "summary": mnv2_summary},
        "square_256": {"layers": square, "summary": square_summary},
        "mobilenet_v2_avx2": {"layers": avx2_rows, "summary": summarize(avx2_rows) if avx2_rows else []},
        "group_shapes": {str(gm): rs for gm, rs in shapes.items()}}, indent=1))
    (OUT / "native_gspmm.md").write_text(md)
    if args.update_benchmarks:
        update_benchmarks_md(md)


if __name__ == "__main__":
    main()
