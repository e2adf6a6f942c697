"""Static matplotlib charts (Agg, PNG bytes) for the report: nothing fetched from the network."""

from __future__ import annotations

import io

from edgekit.report.content import OpTable, Row

RUNTIME_COLORS = {"executorch": "#2563eb", "tflite": "#f59e0b", "onnx": "#10b981"}
_OTHER = "#6b7280"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False, "axes.titleweight": "bold"})
    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def _short(label: str, width: int = 42) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def latency_chart(rows: list[Row]) -> bytes:
    """Horizontal p50 bars with a p50->p90 whisker and a p99 tick, one bar per result."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(rows) + 1.4))
    ys = list(range(len(rows)))[::-1]
    for y, row in zip(ys, rows, strict=True):
        lat = row.latency
        color = RUNTIME_COLORS.get(row.runtime, _OTHER)
        ax.barh(y, lat["p50"], color=color, height=0.6, alpha=0.9 if not row.is_baseline else 0.6,
                edgecolor="#111827" if row.is_baseline else color, linewidth=1.2)
        ax.errorbar(lat["p50"], y, xerr=[[0], [max(0.0, lat["p90"] - lat["p50"])]], fmt="none",
                    ecolor="#111827", capsize=4, linewidth=1.2)
        ax.plot([lat["p99"]], [y], marker="|", color="#dc2626", markersize=12, clip_on=True)
        ax.text(lat["p90"], y, f"  {lat['p50']:.3g} ms", va="center", fontsize=8)
    ax.set_yticks(ys, [_short(r.label) for r in rows])
    ax.set_xlabel("latency (ms): bar = p50, whisker = p90, red tick = p99")
    right = max(r.latency["p90"] for r in rows) * 1.45  # a p99 outlier must not squash the bars
    ax.set_xlim(0, right)
    for y, row in zip(ys, rows, strict=True):
        if row.latency["p99"] > right:
            ax.text(right, y + 0.22, f"p99 {row.latency['p99']:.3g} ms →", ha="right", fontsize=7,
                    color="#dc2626")
    ax.grid(axis="x", alpha=0.3)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for rt, c in RUNTIME_COLORS.items()
               if any(r.runtime == rt for r in rows)]
    names = [rt for rt in RUNTIME_COLORS if any(r.runtime == rt for r in rows)]
    if handles:
        ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_title("Latency per variant and runtime")
    return _png(fig)


def per_op_chart(table: OpTable) -> bytes:
    """Top operators by p50 time, labelled with the layer they belong to when known."""
    plt = _pyplot()
    ops = table.ops[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(ops) + 1.2))
    labels = []
    for op in ops:
        kind = op.get("op_type") or op["name"]
        labels.append(_short(f"{op['layer']} · {kind}" if op.get("layer") else op["name"], 52))
    colors = ["#7c3aed" if op.get("delegate") else "#0ea5e9" for op in ops]
    ax.barh(range(len(ops)), [op["p50_ms"] or 0.0 for op in ops], color=colors, height=0.65)
    for i, op in enumerate(ops):
        ax.text(op["p50_ms"] or 0.0, i, f"  {100 * op.get('share', 0):.0f}%", va="center", fontsize=7)
    ax.set_yticks(range(len(ops)), labels, fontsize=7.5)
    ax.set_xlabel("p50 time per inference (ms)  ·  purple = inside a delegate")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(_short(table.label, 70), fontsize=9)
    return _png(fig)


def size_latency_chart(rows: list[Row], with_accuracy: bool) -> bytes:
    """Model size vs p50 latency; with accuracy, colour and annotation show top-1."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    scale, unit = (1e6, "MB") if max(r.size_bytes for r in rows) >= 1e6 else (1e3, "KB")
    sizes = [r.size_bytes / scale for r in rows]
    p50 = [r.latency["p50"] for r in rows]
    if with_accuracy:
        known = [i for i, r in enumerate(rows) if r.accuracy is not None]
        unknown = [i for i, r in enumerate(rows) if r.accuracy is None]
        sc = ax.scatter([sizes[i] for i in known], [p50[i] for i in known],
                        c=[rows[i].accuracy for i in known], cmap="viridis", s=90, edgecolors="#111827",
                        linewidths=0.6)
        if unknown:  # no accuracy recorded: grey, but still on the chart
            ax.scatter([sizes[i] for i in unknown], [p50[i] for i in unknown], c="#d1d5db", s=90,
                       edgecolors="#111827", linewidths=0.6)
        fig.colorbar(sc, ax=ax, label="top-1 accuracy")
    else:
        ax.scatter(sizes, p50, c=[RUNTIME_COLORS.get(r.runtime, _OTHER) for r in rows], s=90,
                   edgecolors="#111827", linewidths=0.6)
    for r, x, y in zip(rows, sizes, p50, strict=True):
        note = f"{r.variant or r.model} · {r.runtime}"
        if r.accuracy is not None:
            note += f" ({100 * r.accuracy:.1f}%)"
        ax.annotate(note, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=7.5)
    ax.set_xlabel(f"model file size ({unit})")
    ax.set_ylabel("p50 latency (ms)")
    ax.set_xlim(left=0, right=max(sizes) * 1.35 or 1)
    ax.set_ylim(bottom=0, top=max(p50) * 1.25)
    ax.grid(alpha=0.3)
    ax.set_title("Size · latency · accuracy" if with_accuracy else "Size · latency")
    return _png(fig)
