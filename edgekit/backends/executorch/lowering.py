"""One call from an exported program to an ExecuTorch program, with or without edgekit's backend.

    prog = lower(exported_program, weights=model.state_dict(), sparse_backend=True)
    prog.buffer  # .pte bytes

With sparse_backend, EdgekitPartitioner runs first and XNNPACK takes everything it leaves.
The format writer (edgekit/formats/executorch.py) gets its partitioners from `partitioners()`.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch.export import ExportedProgram

from edgekit.backends.executorch.partitioner import (
    DEFAULT_CLAIM_INT8,
    DEFAULT_MIN_SPARSITY,
    EdgekitPartitioner,
)


def partitioners(weights: Mapping[str, torch.Tensor] | None, sparse_backend: bool = True,
                 min_sparsity: float = DEFAULT_MIN_SPARSITY, min_plane: float | None = None,
                 claim_int8: bool = DEFAULT_CLAIM_INT8) -> list:
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

    import edgekit.backends.executorch.preprocess  # noqa: F401  (registers the BackendDetails class)

    extra = ([EdgekitPartitioner(weights, min_sparsity, min_plane, claim_int8)]
             if sparse_backend and weights is not None else [])
    return [*extra, XnnpackPartitioner()]


def lower(ep: ExportedProgram, weights: Mapping[str, torch.Tensor] | None, sparse_backend: bool = True,
          min_sparsity: float = DEFAULT_MIN_SPARSITY, min_plane: float | None = None,
          claim_int8: bool = DEFAULT_CLAIM_INT8):
    from executorch.exir import to_edge_transform_and_lower

    parts = partitioners(weights, sparse_backend, min_sparsity, min_plane, claim_int8)
    edge = to_edge_transform_and_lower(ep, partitioner=parts)
    return edge.to_executorch()


def delegated_backends(program) -> list[str]:
    """Backend ids of the delegates in a lowered program, in execution-plan order."""
    plan = program.executorch_program.execution_plan[0]
    return [d.id for d in plan.delegates]
