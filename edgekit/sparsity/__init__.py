"""Fine-grained group sparsity: patterns the kernels run, masks, schedules, sensitivity, describe.

    from edgekit import sparsity
    plan = sparsity.uniform_plan(model, 0.7, "4x1")
    sparsity.prune(model, plan)              # one-shot; or GradualPruner as a fit() hook
    sparsity.bake(model)                     # exact zeros, plain module
    sparsity.describe(model)                 # per-layer sparsity + detected pattern (manifest, writers)
"""

from edgekit.sparsity.describe import describe, detect_pattern, manifest_sparsity
from edgekit.sparsity.masks import group_mask, group_scores, sparsity_of
from edgekit.sparsity.patterns import DEFAULT_PATTERN, PATTERNS, Pattern, native_patterns
from edgekit.sparsity.pruner import GradualPruner, Plan, apply_masks, bake, compute_masks, prune, uniform_plan
from edgekit.sparsity.schedule import CubicSchedule
from edgekit.sparsity.selection import Selection, select_layers
from edgekit.sparsity.sensitivity import Sensitivity, analyze, plan_for_target

__all__ = [
    "DEFAULT_PATTERN", "PATTERNS", "CubicSchedule", "GradualPruner", "Pattern", "Plan", "Selection",
    "Sensitivity", "analyze", "apply_masks", "bake", "compute_masks", "describe", "detect_pattern",
    "group_mask", "group_scores", "manifest_sparsity", "native_patterns", "plan_for_target", "prune",
    "select_layers", "sparsity_of", "uniform_plan",
]
