"""Prune + fine-tune in one call: gradual (cubic) pruning over the first part of training, then fixed masks.

    result = prune_finetune(model, plan, train, cfg, prune_fraction=0.6, eval_data=test)
    result.masks, result.history, describe(model)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from edgekit.errors import InvalidInputError
from edgekit.sparsity import CubicSchedule, GradualPruner, Plan, bake, prune
from edgekit.train.loop import History, TrainConfig, fit


@dataclass
class PruneResult:
    masks: dict[str, torch.Tensor]
    history: History
    schedule: CubicSchedule | None


def prune_finetune(model: nn.Module, plan: Plan, train_data: tuple[torch.Tensor, torch.Tensor],
                   cfg: TrainConfig, *, prune_fraction: float = 0.6,
                   eval_data: tuple[torch.Tensor, torch.Tensor] | None = None,
                   checkpoint: str | Path | None = None, teacher: nn.Module | None = None) -> PruneResult:
    """epochs == 0: one-shot pruning. Otherwise sparsity rises from 0 to the plan over the first
    `prune_fraction` of the steps, masks are frozen for the rest, and the model is baked at the end.
    A `teacher` (typically the unpruned model) adds soft targets when cfg.distill_alpha > 0."""
    if not 0.0 < prune_fraction <= 1.0:
        raise InvalidInputError(f"prune fraction {prune_fraction} is outside (0, 1]",
                                hint="use e.g. 0.6: prune over the first 60% of the steps")
    if cfg.epochs == 0:
        masks = prune(model, plan)
        return PruneResult(masks, History(), None)
    steps = math.ceil(len(train_data[1]) / cfg.batch_size) * cfg.epochs
    end = max(1, int(steps * prune_fraction))
    final = plan.target if plan.criterion == "global" else max(plan.layers.values(), default=0.0)
    schedule = CubicSchedule(final, start=0, end=end, every=max(1, end // 20))
    pruner = GradualPruner(model, plan, schedule)
    history = fit(model, train_data, cfg, checkpoint=checkpoint, eval_data=eval_data, hook=pruner,
                  teacher=teacher)
    bake(model, pruner.masks)
    return PruneResult(pruner.masks, history, schedule)

