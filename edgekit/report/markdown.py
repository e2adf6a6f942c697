"""The Markdown report: the same tables, charts as PNG files beside it (charts/*.png)."""

from __future__ import annotations

from edgekit.profile.summary import human_bytes
from edgekit.report.content import ReportContent


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def render(c: ReportContent, chart_files: dict[str, str], op_chart_files: dict[int, str]) -> str:
    out = [f"# {c.title}", "", f"Baseline: **{_cell(c.baseline)}**", "",
           f"![latency]({chart_files['latency']})", "", "## Results", ""]
    acc_head = " top-1 |" if c.has_accuracy else ""
    out.append(f"| variant | runtime | p50 ms | p90 ms | p99 ms | speedup | size | peak RSS |{acc_head}")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if c.has_accuracy else ""))
    for r in c.rows:
        acc = ""
        if c.has_accuracy:
            acc = f" {100 * r.accuracy:.1f}% |" if r.accuracy is not None else " — |"
        name = f"{r.model} {r.variant}".strip() + (" (baseline)" if r.is_baseline else "")
        out.append(f"| {_cell(name)} | {r.runtime} | {r.latency['p50']:.3f} | {r.latency['p90']:.3f} | "
                   f"{r.latency['p99']:.3f} | {r.speedup:.2f}x | {human_bytes(r.size_bytes)} | "
                   f"{human_bytes(r.peak_rss_bytes)} |{acc}")
    out += ["", f"![size and latency]({chart_files['size_latency']})", "", "## Where the time goes", ""]
    for i, t in enumerate(c.op_tables):
        out += [f"### {_cell(t.label)}", "", f"source: {t.source}, {t.op_count} ops per inference", ""]
        out += [f"> {note}" for note in t.notes] + [""]
        if i in op_chart_files:
            out += [f"![per-op]({op_chart_files[i]})", "", "| operator | layer | p50 ms | share |",
                    "|---|---|---:|---:|"]
            out += [f"| {_cell(op['name'])} | {_cell(op.get('layer') or '—')} | {op['p50_ms']:.4f} | "
                    f"{100 * op.get('share', 0):.1f}% |" for op in t.ops]
            out.append("")
    out += ["## Environment", "", "| device | CPU | ISA | threads | versions |", "|---|---|---|---:|---|"]
    for env in c.environments:
        versions = ", ".join(f"{k} {v}" for k, v in sorted(env.get("versions", {}).items()))
        out.append(f"| {_cell(env.get('device'))} | {_cell(env.get('cpu_model'))} | "
                   f"{_cell(', '.join(env.get('isa', [])))} | {env.get('threads')} | {_cell(versions)} |")
    return "\n".join(out) + "\n"
