"""What sparsity a model carries, read from its weights: for the bundle manifest and the sparse writers.

    info = describe(model)
    info["layers"]["features.2.conv.0.0"] == {"shape": [96, 16], "sparsity": 0.7, "pattern": "4x1",
                                              "native_group_m": 4, "kind": "conv1x1", ...}
    info["pattern"], info["target"], info["overall"]

Only layers with zero weights are listed. A dense model gives layers == {} and pattern None;
`manifest_sparsity(model)` gives the manifest's `sparsity` field (None for a dense model).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from edgekit.sparsity import masks as M
from edgekit.sparsity.patterns import PATTERNS, Pattern
from edgekit.sparsity.selection import prunable_layers

# Largest blocks first: a weight pruned in 8x1 groups also fits 4x1; report the most specific one.
_DETECT_ORDER = ("8x1", "4x1", "1x16", "1x4")


def detect_pattern(weight: Any) -> str | None:
    """Largest block shape whose blocks hold all zeros of `weight`; '1x1' if none fits; None if dense."""
    if not bool((weight == 0).any()):
        return None
    for name in _DETECT_ORDER:
        if M.fits_pattern(weight, PATTERNS.get(name)):
            return name
    return "1x1"


def _kind(module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return "linear"
    if module.groups > 1 and module.groups == module.in_channels:
        return "depthwise"
    return "conv1x1" if module.kernel_size == (1, 1) else "conv"


def describe(model: nn.Module, min_sparsity: float = 0.0) -> dict[str, Any]:
    """Per-layer sparsity and detected pattern of every conv/linear layer with zeros, plus totals."""
    layers: dict[str, dict[str, Any]] = {}
    total = zeros = total_sparse_layers = 0
    for name, module in prunable_layers(model).items():
        w = module.weight.detach()
        n, z = w.numel(), int((w == 0).sum())
        total += n
        zeros += z
        sparsity = z / max(1, n)
        pattern = detect_pattern(w) if z else None
        if pattern is None or sparsity <= min_sparsity:
            continue
        total_sparse_layers += n
        mat = M.as_matrix(w)
        pat: Pattern = PATTERNS.get(pattern)
        layers[name] = {"kind": _kind(module), "shape": list(mat.shape), "sparsity": round(sparsity, 6),
                        "pattern": pattern, "native_group_m": pat.native_group_m,
                        "nnz": n - z, "weights": n}
    patterns = sorted({v["pattern"] for v in layers.values()})
    plan = getattr(model, "edgekit_sparsity_plan", None) or {}
    sparse_zeros = sum(v["weights"] - v["nnz"] for v in layers.values())
    return {
        "pattern": patterns[0] if len(patterns) == 1 else ("mixed" if patterns else None),
        "target": plan.get("target"),
        "method": plan.get("method"),
        "overall": {"weights": total, "zeros": zeros, "sparsity": round(zeros / max(1, total), 6),
                    "sparse_layers_sparsity": round(sparse_zeros / max(1, total_sparse_layers), 6)},
        "layers": layers,
    }


MANIFEST_MIN_SPARSITY = 0.1


def manifest_sparsity(model: nn.Module) -> dict[str, Any] | None:
    """The bundle manifest's `sparsity` field: describe() for a sparse model, None for a dense one."""
    # Trained dense weights hold a few exact zeros (EfficientNet-Lite0: 0.2%); that is not sparsity a
    # backend or the TFLite writer should act on, so a layer counts from 10% of its weights up.
    info = describe(model, min_sparsity=MANIFEST_MIN_SPARSITY)
    return info if info["layers"] else None
