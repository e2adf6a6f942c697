"""Self-contained HTML: inline CSS, charts as base64 PNG, no scripts, no network assets."""

from __future__ import annotations

import base64
from html import escape

from edgekit.profile.summary import human_bytes
from edgekit.report.content import ReportContent, Row

_CSS = """
:root { --fg:#111827; --muted:#6b7280; --line:#e5e7eb; --accent:#2563eb; --bg:#f8fafc; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 "DejaVu Sans", system-ui, sans-serif; color:var(--fg);
       background:var(--bg); }
header { background:#0f172a; color:#f8fafc; padding:28px 40px 22px; }
header h1 { margin:0 0 6px; font-size:24px; }
header p { margin:0; color:#cbd5e1; }
main { max-width:1180px; margin:0 auto; padding:24px 32px 60px; }
section { background:#fff; border:1px solid var(--line); border-radius:10px; padding:18px 22px;
          margin:18px 0; overflow-x:auto; }
h2 { font-size:17px; margin:0 0 12px; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(200px,1fr)); gap:14px; }
.card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
.card .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .v { font-size:22px; font-weight:bold; margin-top:4px; }
.card .s { color:var(--muted); font-size:12px; }
table { border-collapse:collapse; width:100%; font-size:12.5px; }
th, td { padding:5px 6px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
td.w { white-space:normal; text-align:left; }
th:first-child, td:first-child, td.l, th.l { text-align:left; }
th { color:var(--muted); font-weight:600; }
tr.base td { background:#eff6ff; }
table#matrix { width:auto; min-width:50%; margin-bottom:16px; }
.tag { display:inline-block; padding:1px 7px; border-radius:9px; font-size:11px; color:#fff; }
.executorch { background:#2563eb; } .tflite { background:#f59e0b; } .onnx { background:#10b981; }
img.chart { max-width:100%; display:block; margin:6px auto; }
details { margin:10px 0; } summary { cursor:pointer; font-weight:600; }
.note { color:var(--muted); font-size:12px; margin:4px 0; }
.fast { color:#059669; font-weight:bold; } .slow { color:#dc2626; }
footer { color:var(--muted); font-size:12px; text-align:center; margin-top:30px; }
"""


def _img(png: bytes, name: str, alt: str) -> str:
    data = base64.b64encode(png).decode()
    return (f'<img class="chart" data-chart="{escape(name)}" alt="{escape(alt)}" '
            f'src="data:image/png;base64,{data}">')


def _tag(runtime: str) -> str:
    return f'<span class="tag {escape(runtime)}">{escape(runtime)}</span>'


def _cards(c: ReportContent) -> str:
    fastest = min(c.rows, key=lambda r: r.latency["p50"])
    smallest = min(c.rows, key=lambda r: r.size_bytes)
    cards = [("fastest p50", f"{fastest.latency['p50']:.3f} ms", fastest.label),
             ("smallest file", human_bytes(smallest.size_bytes), smallest.label),
             ("best speedup", f"{max(r.speedup for r in c.rows):.2f}x", f"vs {c.baseline}")]
    if c.has_accuracy:
        best = max((r for r in c.rows if r.accuracy is not None), key=lambda r: r.accuracy or 0)
        cards.append(("best top-1", f"{100 * (best.accuracy or 0):.1f}%", best.label))
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="k">{escape(k)}</div><div class="v">{escape(v)}</div>'
        f'<div class="s">{escape(s)}</div></div>' for k, v, s in cards) + "</div>"


def _speed_cell(r: Row) -> str:
    cls = "fast" if r.speedup > 1.05 else "slow" if r.speedup < 0.95 else ""
    return f'<td class="{cls}">{r.speedup:.2f}x</td>'


def _results_table(c: ReportContent) -> str:
    head = ("<tr><th>variant</th><th class=l>runtime</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th>"
            "<th>mean ± std</th><th>speedup</th><th>size</th><th>size ×</th><th>peak RSS</th>"
            "<th>+ by model</th>"
            "<th>load ms</th><th>1st run ms</th>" + ("<th>top-1</th>" if c.has_accuracy else "") + "</tr>")
    body = []
    for r in c.rows:
        lat = r.latency
        acc = ""
        if c.has_accuracy:
            acc = f"<td>{100 * r.accuracy:.1f}%</td>" if r.accuracy is not None else "<td>—</td>"
        body.append(
            f'<tr class="{"base" if r.is_baseline else ""}"><td class=w>{escape(r.model)} {escape(r.variant)}'
            f'{" <b>(baseline)</b>" if r.is_baseline else ""}</td><td class=l>{_tag(r.runtime)}</td>'
            f"<td>{lat['p50']:.3f}</td><td>{lat['p90']:.3f}</td><td>{lat['p99']:.3f}</td>"
            f"<td>{lat['mean']:.3f} ± {lat['std']:.3f}</td>{_speed_cell(r)}"
            f"<td>{human_bytes(r.size_bytes)}</td><td>{r.size_ratio:.3g}</td>"
            f"<td>{human_bytes(r.peak_rss_bytes)}</td><td>{human_bytes(r.rss_growth_bytes)}</td>"
            f"<td>{r.load_ms:.1f}</td><td>{r.first_ms:.2f}</td>"
            f"{acc}</tr>")
    return f'<table id="speedup-table">{head}{"".join(body)}</table>'


def _matrix(c: ReportContent) -> str:
    """Variants down, runtimes across: p50 and speedup, the comparison people ask for first."""
    runtimes = list(dict.fromkeys(r.runtime for r in c.rows))
    variants = list(dict.fromkeys(f"{r.model} {r.variant}".strip() for r in c.rows))
    if len(runtimes) < 2 and len(variants) < 2:
        return ""
    cells = {(f"{r.model} {r.variant}".strip(), r.runtime): r for r in c.rows if r.device == c.rows[0].device}
    head = "<tr><th>p50 ms (speedup)</th>" + "".join(f"<th>{_tag(rt)}</th>" for rt in runtimes) + "</tr>"
    body = []
    for v in variants:
        tds = []
        for rt in runtimes:
            r = cells.get((v, rt))
            tds.append(f"<td>{r.latency['p50']:.3f} <span class=note>({r.speedup:.2f}x)</span></td>"
                       if r else "<td>—</td>")
        body.append(f"<tr><td>{escape(v)}</td>{''.join(tds)}</tr>")
    return f'<table id="matrix">{head}{"".join(body)}</table>'


def _op_section(c: ReportContent, op_charts: dict[int, bytes]) -> str:
    parts = []
    for i, t in enumerate(c.op_tables):
        notes = "".join(f'<p class="note">{escape(n)}</p>' for n in t.notes)
        inner = f'<p class="note">source: {escape(t.source)} · {t.op_count} ops per inference</p>{notes}'
        if i in op_charts:
            inner += _img(op_charts[i], f"per-op-{i}", f"top operators of {t.label}")
            rows = "".join(
                f"<tr><td>{escape(op['name'])}</td><td class=l>{escape(op.get('layer') or '—')}</td>"
                f"<td class=l>{escape(op.get('delegate') or 'CPU')}</td><td>{op['p50_ms']:.4f}</td>"
                f"<td>{100 * op.get('share', 0):.1f}%</td></tr>" for op in t.ops)
            inner += ("<table><tr><th>operator</th><th class=l>layer</th><th class=l>where</th>"
                      f"<th>p50 ms</th><th>share</th></tr>{rows}</table>")
        elif t.ops:
            kinds: dict[str, int] = {}
            for op in t.ops:
                kinds[op.get("op_type") or op["name"]] = kinds.get(op.get("op_type") or op["name"], 0) + 1
            inner += '<p class="note">operators (no timings): ' + escape(
                ", ".join(f"{k} ×{n}" for k, n in kinds.items())) + "</p>"
        is_open = " open" if i < 2 else ""
        parts.append(f"<details{is_open}><summary>{escape(t.label)}</summary>{inner}</details>")
    return "".join(parts)


def _env_section(c: ReportContent) -> str:
    rows = []
    for env in c.environments:
        versions = ", ".join(f"{k} {v}" for k, v in sorted(env.get("versions", {}).items()))
        rows.append(
            f"<tr><td>{escape(str(env.get('device')))} ({escape(str(env.get('hostname')))})</td>"
            f"<td class=w>{escape(str(env.get('cpu_model')))}</td>"
            f"<td class=l>{escape(str(env.get('arch')))}</td>"
            f"<td class=w>{escape(', '.join(env.get('isa', [])) or '—')}</td>"
            f"<td>{env.get('threads')} / {env.get('cores_usable')}</td>"
            f"<td class=w>{escape(str(env.get('os')))} · Python {escape(str(env.get('python')))}</td></tr>"
            f"<tr><td colspan=6 class=l><span class=note>edgekit {escape(str(env.get('edgekit_version')))}"
            f" · {escape(versions)}</span></td></tr>")
    return ("<table><tr><th>device</th><th class=l>CPU</th><th class=l>arch</th><th class=l>ISA</th>"
            f"<th>threads / cores</th><th class=l>OS</th></tr>{''.join(rows)}</table>")


def render(c: ReportContent, charts: dict[str, bytes], op_charts: dict[int, bytes], created: str) -> str:
    scatter_title = "Size, latency and accuracy" if c.has_accuracy else "Size and latency"
    top = max((len(t.ops) for t in c.op_tables), default=0)
    latency_img = _img(charts["latency"], "latency", "latency bars with p50 and p90")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(c.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body><header><h1>{escape(c.title)}</h1>
<p>{len(c.rows)} profile(s) · baseline: {escape(c.baseline)} · generated {escape(created)}</p></header>
<main>
{_cards(c)}
<section id="latency"><h2>Latency</h2>{latency_img}</section>
<section id="speedup"><h2>Speedup against {escape(c.baseline)}</h2>{_matrix(c)}{_results_table(c)}
<p class="note">speedup = baseline p50 / p50; size × = file size / baseline file size;
peak RSS is the whole inference process (Python and runtime included); "+ by model" is
how much it grew from loading and running the model.</p></section>
<section id="size-latency"><h2>{scatter_title}</h2>
{_img(charts["size_latency"], "size-latency", scatter_title)}</section>
<section id="per-op"><h2>Where the time goes (top {top} operators per profile)</h2>
{_op_section(c, op_charts)}</section>
<section id="environment"><h2>Environment</h2>{_env_section(c)}</section>
<footer>edgekit report · static page, no scripts, no network assets</footer>
</main></body></html>
"""
