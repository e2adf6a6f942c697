"""Where the second thread pays and where it does not: per-step profile of an edgekit .pte at 1 and 2 threads.

    .venv/bin/python bench/e2e/thread_scaling.py [PTE ...] [--runs 60] [--rounds 3]

Default programs: the edgekit .pte files bench/e2e/sparse_backend.py caches in build/bench/e2e/
(run it first). Each program runs in `edgekit-run` with EDGEKIT_PROFILE=1, 1 and 2 threads interleaved
round by round; a step's time is its minimum over all runs (the step's own cost on a shared host).
Prints, per program, every step (op or fused block) with its 1-thread and 2-thread minima and the
scaling (1-thread / 2-thread; 2.0 is perfect), then the totals and the time outside the delegate
(whole-call minimum minus the sum of the steps). JSON: build/bench/e2e_thread_scaling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "build" / "bench" / "e2e"
RUNNER = Path(os.environ.get("EDGEKIT_RUN", REPO / "build" / "native-executorch" / "edgekit-run"))


def profile(pte: Path, threads: int, runs: int, inp: Path | None) -> tuple[float, list[dict]]:
    args = [str(RUNNER), str(pte), "--runs", str(runs), "--threads", str(threads)]
    if inp:
        args += ["--input", str(inp)]
    env = dict(os.environ, EDGEKIT_PROFILE="1")
    proc = subprocess.run(args, capture_output=True, text=True, env=env, check=True, timeout=600)
    total = json.loads(proc.stdout.strip().splitlines()[-1])["min_ms"]
    ops = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith('{"edgekit_op')]
    return total, ops


def measure(pte: Path, runs: int, rounds: int, inp: Path | None) -> dict:
    best: dict[int, dict] = {}
    for _ in range(rounds):
        for t in (1, 2):
            total, ops = profile(pte, t, runs, inp)
            cur = best.setdefault(t, {"total_ms": total, "steps": {op["edgekit_op"]: op for op in ops}})
            cur["total_ms"] = min(cur["total_ms"], total)
            for op in ops:
                prev = cur["steps"][op["edgekit_op"]]
                prev["min_us"] = min(prev["min_us"], op["min_us"])
    steps = []
    for key, one in best[1]["steps"].items():
        two = best[2]["steps"][key]
        steps.append({"op": key, "kind": one["kind"], "in": one["in"], "out": one["out"],
                      "us_1": one["min_us"], "us_2": two["min_us"], "scaling": one["min_us"] / two["min_us"]})
    return {"pte": str(pte), "total_ms": {t: best[t]["total_ms"] for t in (1, 2)}, "steps": steps}


def print_program(r: dict) -> None:
    print(f"\n{Path(r['pte']).name}")
    print("| step | kind | in (C, H, W) | out | 1 thread us | 2 threads us | scaling |")
    print("|---:|---|---|---|---:|---:|---:|")
    for s in r["steps"]:
        print(f"| {s['op']} | {s['kind']} | {s['in']} | {s['out']} | {s['us_1']:.1f} | {s['us_2']:.1f} "
              f"| {s['scaling']:.2f} |")
    sums = {t: sum(s[f"us_{t}"] for s in r["steps"]) / 1000 for t in (1, 2)}
    total = r["total_ms"]
    print(f"delegate steps: {sums[1]:.3f} ms -> {sums[2]:.3f} ms ({sums[1] / sums[2]:.2f}x); whole call "
          f"(min): {total[1]:.3f} -> {total[2]:.3f} ms ({total[1] / total[2]:.2f}x); outside the delegate "
          f"{total[1] - sums[1]:.3f} -> {total[2] - sums[2]:.3f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pte", nargs="*", type=Path)
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not RUNNER.exists():
        sys.exit("edgekit-run is not built: run `make backend`")
    ptes = args.pte or sorted(CACHE.glob("mbv2_s*_edgekit_*.pte"))
    if not ptes:
        sys.exit(f"no programs: pass .pte files or run bench/e2e/sparse_backend.py first ({CACHE})")
    inp = CACHE / "input.f32"
    results = {"load_average": os.getloadavg(), "programs": []}
    for pte in ptes:
        r = measure(pte, args.runs, args.rounds, inp if inp.exists() else None)
        results["programs"].append(r)
        print_program(r)
    results["load_average_end"] = os.getloadavg()
    out = REPO / "build" / "bench" / "e2e_thread_scaling.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"\nload average: start {results['load_average']}, end {results['load_average_end']}; wrote {out}")


if __name__ == "__main__":
    main()
