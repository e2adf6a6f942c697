"""Reports from profile results: self-contained HTML, Markdown (+ chart PNGs) and JSON.

    from edgekit.report import write_report
    paths = write_report(results, "build/demo", baseline="fp32/dense")   # Results or JSON paths
    paths["html"]  # build/demo/report.html

Everything is rendered in memory first; files are then written atomically, so a failure leaves no
half-written report. Other files already in out_dir are left alone.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from pathlib import Path

from edgekit import atomic
from edgekit.profile.schema import Result, load_result
from edgekit.report import charts, content, html, markdown

REPORT_KIND = "edgekit.report"
REPORT_SCHEMA_VERSION = 1


def _as_results(items: Sequence[Result | str | Path]) -> list[Result]:
    return [item if isinstance(item, Result) else load_result(item) for item in items]


def _report_json(c: content.ReportContent, results: list[Result], created: str) -> str:
    rows = [{"label": r.label, "variant": r.variant, "runtime": r.runtime, "device": r.device,
             "p50_ms": r.latency["p50"], "p90_ms": r.latency["p90"], "p99_ms": r.latency["p99"],
             "speedup": r.speedup, "size_bytes": r.size_bytes, "peak_rss_bytes": r.peak_rss_bytes,
             "accuracy": r.accuracy, "baseline": r.is_baseline} for r in c.rows]
    doc = {"kind": REPORT_KIND, "schema_version": REPORT_SCHEMA_VERSION, "created": created,
           "title": c.title, "baseline": c.baseline, "rows": rows, "results": [r.data for r in results]}
    return json.dumps(doc, indent=1) + "\n"


def write_report(results: Sequence[Result | str | Path], out_dir: str | Path, *,
                 baseline: str | int | None = None, title: str | None = None) -> dict[str, Path]:
    """Write report.html, report.md, report.json and charts/*.png into out_dir; return their paths."""
    loaded = _as_results(results)
    c = content.build(loaded, baseline, title)
    created = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    pngs = {"latency": charts.latency_chart(c.rows),
            "size_latency": charts.size_latency_chart(c.rows, c.has_accuracy)}
    op_pngs = {i: charts.per_op_chart(t) for i, t in enumerate(c.op_tables) if t.timed and t.ops}
    chart_files = {k: f"charts/{k}.png" for k in pngs}
    op_files = {i: f"charts/per_op_{i}.png" for i in op_pngs}
    page = html.render(c, pngs, op_pngs, created)
    md = markdown.render(c, chart_files, op_files)
    doc = _report_json(c, loaded, created)

    out = Path(out_dir)
    for key, png in pngs.items():
        atomic.write_bytes(out / chart_files[key], png)
    for i, png in op_pngs.items():
        atomic.write_bytes(out / op_files[i], png)
    paths = {"html": out / "report.html", "markdown": out / "report.md", "json": out / "report.json"}
    atomic.write_text(paths["json"], doc)
    atomic.write_text(paths["markdown"], md)
    atomic.write_text(paths["html"], page)
    for path in [*paths.values(), *(out / f for f in [*chart_files.values(), *op_files.values()])]:
        path.chmod(0o644)  # temp files are created 0600; a report is meant to be shared
    return paths


__all__ = ["write_report"]
