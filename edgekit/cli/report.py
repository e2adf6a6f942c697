"""`edgekit report RESULTS... --out DIR`: HTML + Markdown + JSON comparing profiled variants and runtimes."""

from __future__ import annotations

import argparse
from pathlib import Path

from edgekit.cli.commands import Command, command


@command("report", help="write an HTML/Markdown/JSON report from `edgekit profile --json` results")
class Report(Command):
    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("results", nargs="+", type=Path,
                       help="result JSON files, or directories holding them (from profile --all)")
        p.add_argument("--out", type=Path, required=True, help="output directory")
        p.add_argument("--baseline",
                       help="index, label or unique label part (e.g. 'fp32/dense') to compare against")
        p.add_argument("--title", help="report title")

    def run(self, args: argparse.Namespace) -> int:
        from edgekit.profile import load_result, print_summary
        from edgekit.report import write_report

        files: list[Path] = []
        for item in args.results:
            files.extend(sorted(item.glob("*.json")) if item.is_dir() else [item])
        results = [load_result(f) for f in files]
        paths = write_report(results, args.out, baseline=args.baseline, title=args.title)
        from edgekit.report.content import pick_baseline

        print_summary(results, results[pick_baseline(results, args.baseline)])
        print(f"report: {paths['html']}  (also {paths['markdown'].name}, {paths['json'].name})")
        return 0
