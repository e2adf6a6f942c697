"""The profiler's worker: one fresh process that loads a model, warms up, times it and writes JSON.

Locally: `python -m edgekit.profile.worker ...`. On a remote board the parent copies this file with
stats.py, environment.py, runners.py and perop.py into a temp dir and runs `python3 worker.py ...` with
the board's own Python and runtimes: nothing here imports edgekit.

Talks to the parent through stderr lines:
    EKPROGRESS <phase> <done> <total>
    EKERROR <kind> <one-line message>      (kind: missing_runtime | bad_model | bad_args)
and writes the raw result JSON to --out (temp file + rename, so never half written).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

if __package__:
    from . import environment, runners, stats
else:  # pragma: no cover - remote layout
    import environment  # type: ignore[no-redef]
    import runners  # type: ignore[no-redef]
    import stats  # type: ignore[no-redef]

EXIT_CODES = {"bad_args": 2, "missing_runtime": 3, "bad_model": 4}
WORKER_FILES = ("worker.py", "stats.py", "environment.py", "runners.py", "perop.py")


def _fail(kind: str, message: str) -> int:
    print(f"EKERROR {kind} {' '.join(message.split())}", file=sys.stderr, flush=True)
    return EXIT_CODES[kind]


def _progress(phase: str, done: int, total: int) -> None:
    print(f"EKPROGRESS {phase} {done} {total}", file=sys.stderr, flush=True)


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _numpy_or_missing() -> None:
    try:
        import numpy  # noqa: F401
    except ImportError as exc:
        raise runners.RuntimeMissing(f"numpy is not installed ({exc})") from None


def _peak_rss_bytes() -> int:
    """High-water RSS of this process image. VmHWM belongs to the address space execve() created;
    ru_maxrss would also count a big parent (Linux keeps it across fork + exec), so it is the fallback."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _timed_loop(run, count: int, phase: str) -> list[float]:
    samples = []
    step = max(1, count // 50)
    for i in range(count):
        t0 = time.perf_counter_ns()
        run()
        samples.append((time.perf_counter_ns() - t0) / 1e6)
        if (i + 1) % step == 0 or i + 1 == count:
            _progress(phase, i + 1, count)
    return samples


def profile_file(args: argparse.Namespace) -> dict:
    runner_cls = runners.RUNNERS[args.runtime]
    _numpy_or_missing()
    runner_cls.preload()
    rss_before = _rss_bytes()
    t0 = time.perf_counter_ns()
    runner = runner_cls(args.model, args.threads)
    load_ms = (time.perf_counter_ns() - t0) / 1e6
    t0 = time.perf_counter_ns()
    runner.run()
    first_ms = (time.perf_counter_ns() - t0) / 1e6
    _timed_loop(runner.run, args.warmup, "warmup")
    samples = _timed_loop(runner.run, args.runs, "timed")
    peak_rss = _peak_rss_bytes()  # before the per-op pass, which imports more
    result = {
        "runtime": {"name": args.runtime,
                    "version": environment.package_version(runner_cls.package)},
        "model": {"file": os.path.basename(args.model), "size_bytes": os.path.getsize(args.model),
                  "input_shapes": runner.input_shapes},
        "settings": {"runs": args.runs, "warmup": args.warmup, "threads": args.threads},
        "load_ms": load_ms,
        "first_inference_ms": first_ms,
        "latency_ms": {**stats.latency_stats(samples), "samples": samples},
        "memory": {"peak_rss_bytes": peak_rss, "rss_before_load_bytes": rss_before,
                   "model_file_bytes": os.path.getsize(args.model)},
        "environment": environment.describe(args.threads),
    }
    if args.per_op_runs > 0:
        _progress("per-op", 0, 1)
        with tempfile.TemporaryDirectory(prefix="ekprof-") as workdir:
            result["per_op"] = runner.per_op(args.per_op_runs, workdir, {"etrecord": args.etrecord})
        _progress("per-op", 1, 1)
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="edgekit profiler worker (one model, one runtime)")
    p.add_argument("--model", required=True)
    p.add_argument("--runtime", required=True, choices=sorted(runners.RUNNERS))
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--per-op-runs", type=int, default=10)
    p.add_argument("--etrecord", default=None)
    p.add_argument("--out", required=True)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.runs < 1 or args.warmup < 0 or args.threads < 0 or args.per_op_runs < 0:
        return _fail("bad_args", "runs must be >= 1; warmup, threads and per-op runs >= 0")
    if args.threads == 0:  # default: every core this process may use
        args.threads = environment.describe()["cores_usable"]
    if not os.path.isfile(args.model):
        return _fail("bad_model", f"model file {args.model} does not exist")
    try:
        result = profile_file(args)
    except runners.RuntimeMissing as exc:
        return _fail("missing_runtime", f"{args.runtime}: {exc}")
    except runners.BadModel as exc:
        return _fail("bad_model", str(exc))
    tmp = f"{args.out}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f)
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
