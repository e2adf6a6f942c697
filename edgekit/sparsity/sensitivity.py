"""Sensitivity analysis: prune each layer alone, measure the accuracy drop, plan per-layer sparsity.

    sens = analyze(model, lambda m: evaluate(m, val), pattern="4x1", levels=(0.5, 0.7, 0.9))
    plan = plan_for_target(sens, target=0.7)   # least predicted loss meeting 70% of the selected weights

The planner predicts a layer's drop at any sparsity by piecewise-linear interpolation through
(0, 0) and the measured points (made non-decreasing), then raises, one 5% step at a time, the layer
whose next step costs the least predicted accuracy per removed weight until the global target is met.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from edgekit.errors import InvalidInputError
from edgekit.sparsity import masks as M
from edgekit.sparsity.patterns import DEFAULT_PATTERN, get
from edgekit.sparsity.pruner import Plan
from edgekit.sparsity.selection import Selection, select_layers

DEFAULT_LEVELS = (0.5, 0.7, 0.9)
STEP = 0.05


@dataclass
class Sensitivity:
    pattern: str
    baseline: float
    levels: tuple[float, ...]
    accuracy: dict[str, dict[float, float]] = field(default_factory=dict)  # layer -> level -> accuracy
    weights: dict[str, int] = field(default_factory=dict)                   # layer -> element count

    def drop(self, layer: str, level: float) -> float:
        return self.baseline - self.accuracy[layer][level]

    def predicted_drop(self, layer: str, sparsity: float) -> float:
        """Interpolated drop (non-decreasing in sparsity, >= 0); beyond the last level: its value."""
        xs = [0.0, *self.levels]
        ys, running = [0.0], 0.0
        for lv in self.levels:
            running = max(running, self.drop(layer, lv), 0.0)
            ys.append(running)
        if sparsity >= xs[-1]:
            return ys[-1]
        for i in range(1, len(xs)):
            if sparsity <= xs[i]:
                t = (sparsity - xs[i - 1]) / (xs[i] - xs[i - 1])
                return ys[i - 1] + t * (ys[i] - ys[i - 1])
        return ys[-1]

    def to_json(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "baseline": self.baseline, "levels": list(self.levels),
                "weights": self.weights,
                "accuracy": {n: {str(k): v for k, v in a.items()} for n, a in self.accuracy.items()}}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Sensitivity:
        return cls(d["pattern"], d["baseline"], tuple(d["levels"]),
                   {n: {float(k): v for k, v in a.items()} for n, a in d["accuracy"].items()},
                   dict(d["weights"]))


@torch.no_grad()
def analyze(model: nn.Module, score: Callable[[nn.Module], float], pattern: str = DEFAULT_PATTERN,
            levels: Sequence[float] = DEFAULT_LEVELS, selection: Selection | None = None,
            progress: Callable[[str], None] | None = None) -> Sensitivity:
    """Accuracy with each selected layer alone pruned one-shot to each level (weights restored after)."""
    pat = get(pattern)
    levels = tuple(sorted(M.check_sparsity(float(lv), "sensitivity level") for lv in levels))
    if not levels:
        raise InvalidInputError("no sensitivity levels given", hint="pass e.g. --levels 0.5,0.7,0.9")
    model.eval()
    sens = Sensitivity(pat.name, score(model), levels)
    layers = select_layers(model, selection)
    for i, (name, module) in enumerate(layers.items()):
        w = module.weight
        pat.check_fits(w.shape[0], M.as_matrix(w).shape[1], name)
        original = w.detach().clone()
        sens.weights[name] = w.numel()
        sens.accuracy[name] = {}
        for lv in levels:
            w.mul_(M.group_mask(original, pat, lv).to(w.dtype))
            sens.accuracy[name][lv] = score(model)
            w.copy_(original)
        if progress:
            drops = " ".join(f"{lv:.0%}:{sens.drop(name, lv):+.4f}" for lv in levels)
            progress(f"[{i + 1}/{len(layers)}] {name} drop {drops}")
    return sens


def plan_for_target(sens: Sensitivity, target: float, max_sparsity: float | None = None) -> Plan:
    """Per-layer sparsities (multiples of 5%) reaching `target` of the analysed weights, least loss."""
    M.check_sparsity(target, "target sparsity")
    cap = max(sens.levels) if max_sparsity is None else max_sparsity
    if not sens.weights:
        raise InvalidInputError("the sensitivity analysis covers no layers", hint="check the layer selection")
    total = sum(sens.weights.values())
    if target > cap + 1e-9:
        raise InvalidInputError(f"target {target} is above the highest analysed level {cap}",
                                hint=f"re-run the analysis with a level >= {target}")
    level = dict.fromkeys(sens.weights, 0.0)
    removed = 0.0
    need = target * total - 1e-6
    while removed < need:
        best, best_cost = None, float("inf")
        for name, s in level.items():
            nxt = min(cap, round(s + STEP, 4))
            if nxt <= s:
                continue
            gain = (nxt - s) * sens.weights[name]
            cost = (sens.predicted_drop(name, nxt) - sens.predicted_drop(name, s)) / gain
            if cost < best_cost - 1e-15:
                best, best_cost = name, cost
        if best is None:
            break
        nxt = min(cap, round(level[best] + STEP, 4))
        removed += (nxt - level[best]) * sens.weights[best]
        level[best] = nxt
    return Plan(sens.pattern, level, target, "layer", "sensitivity")
