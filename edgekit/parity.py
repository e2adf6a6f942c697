"""Parity: the same real inputs through eager PyTorch and through each exported file in its runtime.

Per file: max/mean abs diff, cosine (mean and worst sample), top-1 agreement, and top-1 accuracy when
the inputs carry labels. fp32 beyond tolerance is an export failure; int8 reports its drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from edgekit.errors import EdgekitError


class ParityError(EdgekitError):
    """An fp32 export whose outputs differ from eager PyTorch beyond tolerance."""


def compare(ref: np.ndarray, out: np.ndarray, labels: np.ndarray | None = None) -> dict[str, Any]:
    """Metrics of `out` against the eager reference `ref`, both (M, K) logits for the same M inputs."""
    ref = np.asarray(ref, np.float64).reshape(len(ref), -1)
    out = np.asarray(out, np.float64).reshape(len(out), -1)
    if ref.shape != out.shape:
        raise EdgekitError(f"output shape {out.shape} differs from eager {ref.shape}",
                           hint="the exported file does not compute the model: re-export it")
    diff = np.abs(out - ref)
    norms = np.linalg.norm(ref, axis=1) * np.linalg.norm(out, axis=1)
    cos = np.where(norms > 0, (ref * out).sum(1) / np.maximum(norms, 1e-300),
                   np.where(np.linalg.norm(ref - out, axis=1) == 0, 1.0, 0.0))
    result: dict[str, Any] = {
        "n": len(ref),
        "max_abs_diff": float(diff.max()) if diff.size else 0.0,
        "mean_abs_diff": float(diff.mean()) if diff.size else 0.0,
        "ref_max_abs": float(np.abs(ref).max()) if ref.size else 0.0,
        "cosine": float(cos.mean()) if len(cos) else 1.0,
        "cosine_min": float(cos.min()) if len(cos) else 1.0,
        "top1_agreement": float((ref.argmax(1) == out.argmax(1)).mean()) if len(ref) else 1.0,
        "top1_accuracy": None,
    }
    if labels is not None and len(labels) == len(out) and out.shape[1] > int(np.max(labels, initial=0)):
        result["top1_accuracy"] = float((out.argmax(1) == labels).mean())
    return result


def within_tolerance(metrics: dict[str, Any], atol: float, rtol: float) -> bool:
    return metrics["max_abs_diff"] <= atol + rtol * metrics["ref_max_abs"]


def eager_accuracy(ref: np.ndarray, labels: np.ndarray | None) -> float | None:
    if labels is None or len(labels) != len(ref):
        return None
    ref = ref.reshape(len(ref), -1)
    return float((ref.argmax(1) == labels).mean()) if ref.shape[1] > int(np.max(labels, initial=0)) else None


def table_rows(artifacts: Sequence[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for a in artifacts:
        p = a["parity"]
        acc = "-" if p.get("top1_accuracy") is None else f"{100 * p['top1_accuracy']:.1f}%"
        rows.append([a["file"], a["runtime"], a["precision"], f"{a['size_bytes'] / 1e6:.2f} MB",
                     f"{a.get('export_seconds', 0):.1f}s", f"{p['max_abs_diff']:.2e}", f"{p['cosine']:.6f}",
                     f"{100 * p['top1_agreement']:.1f}%", acc, "ok" if a.get("parity_ok", True) else "FAIL"])
    return rows


HEADERS = ["file", "runtime", "precision", "size", "export", "max|diff|", "cosine", "top-1 agree",
           "accuracy", "parity"]


def render(artifacts: Sequence[dict[str, Any]], title: str = "parity vs eager PyTorch") -> Any:
    """A rich Table of the parity results (print it with rich.console.Console().print)."""
    from rich.table import Table

    table = Table(title=title)
    for h in HEADERS:
        table.add_column(h, justify="left" if h in ("file", "runtime", "precision") else "right")
    for row in table_rows(artifacts):
        table.add_row(*row)
    return table


def markdown(artifacts: Sequence[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows(artifacts)]
    return "\n".join(lines)
