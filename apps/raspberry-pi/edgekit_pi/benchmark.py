"""`edgekit-pi --benchmark`: profile the bundle on this board with edgekit's profiler, write its report."""

from __future__ import annotations

import argparse
from pathlib import Path

from edgekit_pi.classify import choose_runtime, read_manifest


def benchmark(args: argparse.Namespace) -> int:
    import edgekit.profile as ekp

    bundle = Path(args.bundle)
    runtime = choose_runtime(bundle, read_manifest(bundle), args.runtime)
    out = Path(args.report)
    result = ekp.profile(bundle, runtime=runtime, runs=args.runs, warmup=args.warmup, threads=args.threads,
                         device="local", progress=not args.quiet)
    results_file = result.save(out / f"profile-{runtime}.json")
    lat = result.latency
    print(f"edgekit-pi: {result.label}: p50 {lat['p50']:.2f} ms, p90 {lat['p90']:.2f} ms, "
          f"peak RSS {result.peak_rss_bytes / 2**20:.0f} MiB over {args.runs} runs")
    print(f"edgekit-pi: profile written to {results_file}")
    from edgekit.report import write_report  # the same HTML + Markdown + JSON as `edgekit report`

    paths = write_report([result], out, title=f"edgekit-pi benchmark: {bundle.name} on {runtime}")
    print(f"edgekit-pi: report written to {paths['html']}")
    return 0
