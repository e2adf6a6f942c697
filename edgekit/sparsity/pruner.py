"""Plans, one-shot pruning, gradual pruning during fine-tuning, and baking masks into the weights.

    plan = uniform_plan(model, 0.7, "4x1")               # or sensitivity.plan_for_target(...)
    masks = prune(model, plan)                           # one-shot: zero the weakest groups now
    pruner = GradualPruner(model, plan, CubicSchedule(0.7, 0, 2000))   # or: prune while fine-tuning
    fit(model, data, cfg, hook=pruner)                   # masks frozen after the schedule ends
    bake(model, pruner.masks)                            # plain nn.Module with exact zeros

Masks are kept outside the model and re-applied after every optimizer step, so pruned weights are
exactly zero at every forward pass and the exported graph is an ordinary one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from edgekit.errors import InvalidInputError
from edgekit.sparsity import masks as M
from edgekit.sparsity.patterns import DEFAULT_PATTERN, Pattern, get
from edgekit.sparsity.schedule import CubicSchedule
from edgekit.sparsity.selection import Selection, select_layers


@dataclass
class Plan:
    """Per-layer target sparsity for one pattern. `criterion` 'layer' prunes each layer to its own
    target; 'global' ranks all groups of the listed layers together against `target`."""

    pattern: str = DEFAULT_PATTERN
    layers: dict[str, float] = field(default_factory=dict)
    target: float = 0.0
    criterion: str = "layer"
    method: str = "uniform"

    def __post_init__(self) -> None:
        get(self.pattern)  # unknown pattern -> UnknownNameError listing the valid ones
        M.check_sparsity(self.target, "target sparsity")
        for name, s in self.layers.items():
            M.check_sparsity(s, f"sparsity of layer {name}")
        if self.criterion not in ("layer", "global"):
            raise InvalidInputError(f"unknown criterion {self.criterion!r}", hint="use 'layer' or 'global'")

    def to_json(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "target": self.target, "criterion": self.criterion,
                "method": self.method, "layers": dict(self.layers)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Plan:
        return cls(d["pattern"], dict(d["layers"]), d["target"], d.get("criterion", "layer"),
                   d.get("method", "uniform"))


def _weights(model: nn.Module, names: list[str]) -> dict[str, torch.Tensor]:
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules or not hasattr(modules[n], "weight")]
    if missing:
        raise InvalidInputError(f"plan names layers the model does not have: {', '.join(missing[:3])}",
                                hint="make the plan for this model (edgekit sensitivity MODEL)")
    return {n: modules[n].weight for n in names}


def uniform_plan(model: nn.Module, target: float, pattern: str | Pattern = DEFAULT_PATTERN,
                 selection: Selection | None = None, criterion: str = "layer") -> Plan:
    pat = get(pattern)
    layers = select_layers(model, selection)
    for name, module in layers.items():
        w = M.as_matrix(module.weight)
        pat.check_fits(w.shape[0], w.shape[1], name)
    return Plan(pat.name, dict.fromkeys(layers, M.check_sparsity(target, "target sparsity")), target,
                criterion, "uniform" if criterion == "layer" else "global")


def compute_masks(model: nn.Module, plan: Plan, scale: float = 1.0) -> dict[str, torch.Tensor]:
    """Masks for `plan` with every layer's sparsity multiplied by `scale` (the schedule's progress)."""
    pat = get(plan.pattern)
    weights = _weights(model, list(plan.layers))
    if plan.criterion == "global":
        return _global_masks(weights, pat, plan.target * scale)
    return {n: M.group_mask(w, pat, plan.layers[n] * scale) for n, w in weights.items()}


def _global_masks(weights: dict[str, torch.Tensor], pat: Pattern, target: float) -> dict[str, torch.Tensor]:
    """One RMS threshold for all layers: drop the weakest groups until `target` of the elements are gone."""
    scores = {n: M.group_scores(w, pat) for n, w in weights.items()}
    flat = torch.cat([s.flatten() for s in scores.values()])
    sizes = torch.cat([_block_sizes(w, pat).flatten() for w in weights.values()])
    order = torch.sort(flat, stable=True).indices
    cum = torch.cumsum(sizes[order].double(), 0)
    n_prune = int(torch.searchsorted(cum, target * float(sizes.sum()), right=False)) if target > 0 else 0
    drop = torch.zeros_like(flat, dtype=torch.bool)
    drop[order[:n_prune]] = True
    out, offset = {}, 0
    for n, s in scores.items():
        keep = ~drop[offset:offset + s.numel()].reshape(s.shape)
        if not keep.any():  # never remove a whole layer
            keep.view(-1)[int(s.flatten().argmax())] = True
        out[n] = M.expand_groups(keep, pat, weights[n].shape)
        offset += s.numel()
    return out


def _block_sizes(weight: torch.Tensor, pat: Pattern) -> torch.Tensor:
    m, k = M.as_matrix(weight).shape
    gm, gk = pat.grid(m, k)
    rows = torch.full((gm,), pat.rows)
    rows[-1] = m - (gm - 1) * pat.rows
    cols = torch.full((gk,), pat.cols)
    cols[-1] = k - (gk - 1) * pat.cols
    return rows[:, None] * cols[None, :]


@torch.no_grad()
def apply_masks(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    for name, w in _weights(model, list(masks)).items():
        w.mul_(masks[name].to(w.dtype))


def prune(model: nn.Module, plan: Plan) -> dict[str, torch.Tensor]:
    """One-shot pruning: zero the weakest groups of every planned layer now; returns the masks."""
    masks = compute_masks(model, plan)
    apply_masks(model, masks)
    model.edgekit_sparsity_plan = plan.to_json()  # describe() reports the target from it
    return masks


def bake(model: nn.Module, masks: dict[str, torch.Tensor] | None = None) -> nn.Module:
    """Make the masks permanent: zeros in the weights, no pruning state left. Returns the model."""
    if masks:
        apply_masks(model, masks)
    for p in model.parameters():
        p.requires_grad_(True)
    return model


class GradualPruner:
    """Step hook for edgekit.train.fit: masks follow the cubic schedule, then stay fixed."""

    def __init__(self, model: nn.Module, plan: Plan, schedule: CubicSchedule) -> None:
        if abs(schedule.final - plan.target) > 1e-9 and plan.criterion == "global":
            raise InvalidInputError("the schedule's final sparsity must equal the global plan's target",
                                    hint="build both from the same --sparsity")
        self.model, self.plan, self.schedule = model, plan, schedule
        self.masks: dict[str, torch.Tensor] = {}
        self.last_update: int | None = None
        model.edgekit_sparsity_plan = plan.to_json()
        if schedule.updates_at(0):
            self.after_step(0)

    def progress(self, step: int) -> float:
        """Fraction of each layer's planned sparsity reached at `step`."""
        final = self.schedule.final or 1.0
        return self.schedule.sparsity(step) / final if self.schedule.final else 0.0

    @torch.no_grad()
    def after_step(self, step: int) -> None:
        if self.schedule.updates_at(step) and self.last_update != step:
            self.masks = compute_masks(self.model, self.plan, self.progress(step))
            self.last_update = step
        if self.masks:
            apply_masks(self.model, self.masks)

    def state_dict(self) -> dict[str, Any]:
        return {"masks": self.masks, "last_update": self.last_update, "plan": self.plan.to_json(),
                "schedule": self.schedule.to_json()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.masks = state["masks"]
        self.last_update = state["last_update"]
