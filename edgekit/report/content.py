"""What a report says, independent of how it is drawn: rows, speedups, top ops, environments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from edgekit.errors import InvalidInputError
from edgekit.profile.schema import Result

TOP_OPS = 10


@dataclass
class Row:
    label: str
    model: str
    variant: str
    runtime: str
    device: str
    latency: dict[str, float]
    load_ms: float
    first_ms: float
    size_bytes: int
    peak_rss_bytes: int
    rss_growth_bytes: int  # peak minus the RSS before the model was loaded (runtime already imported)
    accuracy: float | None
    speedup: float
    size_ratio: float
    is_baseline: bool


@dataclass
class OpTable:
    label: str
    source: str
    timed: bool
    op_count: int
    ops: list[dict[str, Any]]  # top ops, each with a `share` of the summed op time
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportContent:
    title: str
    rows: list[Row]
    baseline: str
    op_tables: list[OpTable]
    environments: list[dict[str, Any]]
    has_accuracy: bool


def pick_baseline(results: Sequence[Result], baseline: str | int | None) -> int:
    """Index of the baseline: an index, an exact label, or a unique label substring ('fp32/dense')."""
    if baseline is None:
        return 0
    if isinstance(baseline, int) or (isinstance(baseline, str) and baseline.isdigit()):
        idx = int(baseline)
        if 0 <= idx < len(results):
            return idx
        raise InvalidInputError(f"--baseline {idx} is out of range", hint=f"use 0..{len(results) - 1}")
    labels = [r.label for r in results]
    if baseline in labels:
        return labels.index(baseline)
    hits = [i for i, lab in enumerate(labels) if baseline.lower() in lab.lower()]
    if len(hits) == 1:
        return hits[0]
    what = "matches several results" if hits else "matches no result"
    raise InvalidInputError(f"--baseline {baseline!r} {what}",
                            hint=f"use an index or one of: {'; '.join(labels)}")


def _op_table(r: Result) -> OpTable:
    per_op = r.per_op
    ops = [dict(op) for op in per_op.get("ops", [])]
    timed = bool(per_op.get("timed")) and any(op.get("p50_ms") is not None for op in ops)
    if timed:
        total = sum(op["p50_ms"] or 0.0 for op in ops) or 1.0
        for op in ops:
            op["share"] = (op["p50_ms"] or 0.0) / total
        ops.sort(key=lambda op: op["p50_ms"] or 0.0, reverse=True)
    return OpTable(label=r.label, source=per_op.get("source", "none"), timed=timed,
                   op_count=int(per_op.get("op_count", len(ops))), ops=ops[:TOP_OPS],
                   notes=list(per_op.get("notes", [])))


def _environments(results: Sequence[Result]) -> list[dict[str, Any]]:
    seen: dict[tuple, dict[str, Any]] = {}
    for r in results:
        env = r.data["environment"]
        key = (env.get("hostname"), env.get("cpu_model"), env.get("threads"), r.device)
        entry = seen.setdefault(key, {**env, "device": r.device, "labels": []})
        entry["labels"].append(r.label)
    return list(seen.values())


def build(results: Sequence[Result], baseline: str | int | None = None,
          title: str | None = None) -> ReportContent:
    if not results:
        raise InvalidInputError("no results to report", hint="pass JSON files from `edgekit profile --json`")
    b = results[pick_baseline(results, baseline)]
    rows = []
    for r in results:
        p50 = r.latency["p50"]
        rows.append(Row(label=r.label, model=r.data["model"]["name"], variant=r.variant, runtime=r.runtime,
                        device=r.device, latency=r.latency, load_ms=r.data["load_ms"],
                        first_ms=r.data["first_inference_ms"], size_bytes=r.size_bytes,
                        peak_rss_bytes=r.peak_rss_bytes,
                        rss_growth_bytes=r.peak_rss_bytes - int(r.data["memory"]["rss_before_load_bytes"]),
                        accuracy=r.accuracy,
                        speedup=b.latency["p50"] / p50 if p50 > 0 else float("inf"),
                        size_ratio=r.size_bytes / b.size_bytes if b.size_bytes else float("nan"),
                        is_baseline=r is b))
    models = sorted({row.model for row in rows})
    return ReportContent(title=title or f"edgekit profile report — {', '.join(models)}", rows=rows,
                         baseline=b.label, op_tables=[_op_table(r) for r in results],
                         environments=_environments(results),
                         has_accuracy=any(row.accuracy is not None for row in rows))
