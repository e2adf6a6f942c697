"""Group masks: score each block of a weight by its L2 norm, keep the strongest, expand back to elements.

A conv weight (O, I, kh, kw) is viewed as W[O x I*kh*kw]: a 1x1 conv is exactly the M x K matrix the
native kernels multiply. Blocks that run past M or K (partial groups) are scored on their real
elements only, normalized by their size so partial blocks compete fairly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from edgekit.errors import InvalidInputError
from edgekit.sparsity.patterns import Pattern


def as_matrix(weight: torch.Tensor) -> torch.Tensor:
    """View a Linear (M, K) or conv (M, C, kh, kw) weight as M x K (a view, no copy)."""
    if weight.ndim < 2:
        raise InvalidInputError(f"cannot prune a {weight.ndim}-D tensor", hint="prune conv or linear weights")
    return weight.reshape(weight.shape[0], -1)


def group_scores(weight: torch.Tensor, pattern: Pattern) -> torch.Tensor:
    """Per-block RMS (L2 norm / sqrt(real elements)) of a weight: shape (ceil(M/rows), ceil(K/cols))."""
    w = as_matrix(weight.detach()).float()
    m, k = w.shape
    gm, gk = pattern.grid(m, k)
    pad = (0, gk * pattern.cols - k, 0, gm * pattern.rows - m)
    sq = F.pad(w * w, pad).reshape(gm, pattern.rows, gk, pattern.cols).sum(dim=(1, 3))
    ones = F.pad(torch.ones_like(w), pad).reshape(gm, pattern.rows, gk, pattern.cols).sum(dim=(1, 3))
    return (sq / ones).sqrt()


def expand_groups(keep: torch.Tensor, pattern: Pattern, shape: torch.Size) -> torch.Tensor:
    """Block-level keep map (gm, gk) -> element mask with the weight's own shape (bool)."""
    m = shape[0]
    k = math.prod(shape[1:])
    full = keep.repeat_interleave(pattern.rows, 0).repeat_interleave(pattern.cols, 1)
    return full[:m, :k].reshape(shape).contiguous()


def n_pruned_groups(total: int, sparsity: float, rows: int = 1) -> int:
    """Groups to remove for a target sparsity: round to nearest, never a block-row's last group."""
    check_sparsity(sparsity)
    return min(total - rows, round(sparsity * total)) if total > 0 else 0


def check_sparsity(sparsity: float, what: str = "sparsity") -> float:
    if not isinstance(sparsity, (int, float)) or math.isnan(sparsity) or not 0.0 <= sparsity < 1.0:
        raise InvalidInputError(f"{what} {sparsity} is outside [0, 1)",
                                hint="pass a fraction of weights to remove, e.g. 0.7")
    return float(sparsity)


def _row_best(scores: torch.Tensor) -> torch.Tensor:
    """Bool map of each block-row's strongest block (the first one on ties)."""
    best = torch.zeros(scores.shape, dtype=torch.bool)
    if scores.numel():
        best[torch.arange(scores.shape[0]), scores.argmax(dim=1)] = True
    return best


def keep_from_scores(scores: torch.Tensor, n_prune: int) -> torch.Tensor:
    """Keep map that drops the `n_prune` lowest-scoring blocks (ties broken by position).

    Each block-row (a group of output channels) keeps its strongest block: an all-zero group of
    output channels is dead capacity, and its all-zero per-channel weight scales break int8 PTQ
    (the 90% model of the first session lost 736 channels this way and collapsed in int8). So at
    most numel - rows blocks are dropped.
    """
    protected = _row_best(scores).flatten()
    keep = torch.ones(scores.numel(), dtype=torch.bool)
    n_prune = min(n_prune, scores.numel() - int(protected.sum()))
    if n_prune > 0:
        # stable sort: among equal scores the earlier block goes first, so results are deterministic
        order = torch.sort(scores.flatten(), stable=True).indices
        order = order[~protected[order]]
        keep[order[:n_prune]] = False
    return keep.reshape(scores.shape)


def group_mask(weight: torch.Tensor, pattern: Pattern, sparsity: float) -> torch.Tensor:
    """Bool mask (weight's shape) removing round(sparsity * blocks) blocks with the smallest L2 norm
    (fewer when that would empty a block-row: see keep_from_scores)."""
    check_sparsity(sparsity)
    scores = group_scores(weight, pattern)
    n = n_pruned_groups(scores.numel(), sparsity, rows=scores.shape[0])
    return expand_groups(keep_from_scores(scores, n), pattern, weight.shape)


def mask_from_threshold(weight: torch.Tensor, pattern: Pattern, threshold: float) -> torch.Tensor:
    """Bool mask keeping blocks whose RMS is strictly above `threshold` (for a global threshold),
    and each block-row's strongest block."""
    scores = group_scores(weight, pattern)
    return expand_groups((scores > threshold) | _row_best(scores), pattern, weight.shape)


def sparsity_of(tensor: torch.Tensor) -> float:
    """Fraction of exactly-zero elements."""
    return float((tensor == 0).sum()) / max(1, tensor.numel())


def fits_pattern(weight: torch.Tensor, pattern: Pattern) -> bool:
    """True if every zero of the weight lies in an all-zero block of the pattern (and some block is zero)."""
    w = as_matrix(weight.detach())
    m, k = w.shape
    if not pattern.partial_ok and (m % pattern.rows or k % pattern.cols):
        return False
    zero = w == 0
    gm, gk = pattern.grid(m, k)
    pad = (0, gk * pattern.cols - k, 0, gm * pattern.rows - m)
    # padding counts as zero so partial blocks are judged on their real elements
    blocks = F.pad(zero, pad, value=True).reshape(gm, pattern.rows, gk, pattern.cols).all(dim=3).all(dim=1)
    if not bool(blocks.any()):
        return False
    return bool((expand_groups(blocks, pattern, w.shape) == zero).all())
