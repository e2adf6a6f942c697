"""A compact rich table of profile results for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from edgekit.profile.schema import Result


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def summary_table(results: Sequence[Result], baseline: Result | None = None):
    from rich.table import Table

    base = baseline or (results[0] if results else None)
    remote = any(r.device != "local" for r in results)
    table = Table(title="edgekit profile (latency in ms)", title_justify="left")
    table.add_column("model", no_wrap=True)
    table.add_column("runtime", no_wrap=True)
    if remote:
        table.add_column("device")
    for col in ("p50", "p90", "speedup", "size", "RSS", "top-1"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in results:
        speed = base.latency["p50"] / r.latency["p50"] if base and r.latency["p50"] > 0 else float("nan")
        acc = f"{r.accuracy:.3f}" if r.accuracy is not None else "—"
        name = f"{r.data['model']['name']} {r.variant}".strip()
        where = [r.device] if remote else []
        table.add_row(name, r.runtime, *where,
                      f"{r.latency['p50']:.3f}", f"{r.latency['p90']:.3f}", f"{speed:.2f}x",
                      human_bytes(r.size_bytes), human_bytes(r.peak_rss_bytes), acc)
    return table


def print_summary(results: Sequence[Result], baseline: Result | None = None) -> None:
    from rich.console import Console

    Console().print(summary_table(results, baseline))
