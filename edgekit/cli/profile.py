"""`edgekit profile TARGET`: latency, memory, per-op breakdown and environment, locally or on a device."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from edgekit.cli.commands import Command, command


def result_filename(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", label).strip("_") + ".json"


@command("profile", help="profile a bundle or model file (ExecuTorch, TFLite, ONNX) locally or over ssh")
class Profile(Command):
    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("target", help="bundle directory (edgekit.json) or a .pte / .tflite / .onnx file")
        p.add_argument("--runtime", choices=("executorch", "tflite", "onnx"),
                       help="which runtime's model to profile (default: the bundle's first)")
        p.add_argument("--precision", help="pick the bundle artifact with this precision (fp32, int8)")
        p.add_argument("--all", action="store_true", help="profile every model in the bundle")
        p.add_argument("--runs", type=int, default=50, help="timed runs (default 50)")
        p.add_argument("--warmup", type=int, default=5, help="untimed warm-up runs (default 5)")
        p.add_argument("--threads", type=int, default=None, help="runtime threads (default: all cores)")
        p.add_argument("--per-op-runs", type=int, default=10,
                       help="runs under the runtime's op profiler (0 turns it off)")
        p.add_argument("--device", default="local",
                       help="local | ssh://user@host[:port][?identity=KEY&python=PY] | adb:SERIAL")
        p.add_argument("--json", type=Path, help="write results here (a directory with --all)")
        p.add_argument("--timeout", type=float, default=1800, help="seconds per profile (default 1800)")
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    def run(self, args: argparse.Namespace) -> int:
        import sys

        from edgekit.profile import print_summary, profile, profile_all

        kwargs = dict(runtime=args.runtime, runs=args.runs, warmup=args.warmup, threads=args.threads,
                      device=args.device, precision=args.precision, per_op_runs=args.per_op_runs,
                      progress=not args.no_progress and sys.stderr.isatty(), timeout=args.timeout)
        results = profile_all(args.target, **kwargs) if args.all else [profile(args.target, **kwargs)]
        if args.json:  # only after every profile succeeded; each file is written atomically
            if args.all:
                for r in results:
                    r.save(args.json / result_filename(r.label))
            else:
                results[0].save(args.json)
        print_summary(results)
        for r in results:
            for note in r.per_op.get("notes", []):
                print(f"note ({r.runtime}): {note}")
        return 0
