"""ExecuTorch writer: torch.export -> partitioners (edgekit's sparse backend, then XNNPACK) -> .pte.

int8: PT2E with XNNPACKQuantizer (per-channel symmetric weights) calibrated on real data first.
Hook for the sparse backend: `partitioners()` below; what it delegated is returned for the manifest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from edgekit.formats.base import WriteJob
from edgekit.quant.pt2e import quantize_pt2e, xnnpack_quantizer


def partitioners(job: WriteJob, weights: dict | None = None) -> list:
    """edgekit's sparse partitioner (when the model is sparse and config.sparse_backend) + XNNPACK.

    weights: what the partitioner measures sparsity on (default: the model's state_dict; int8 passes
    the quantized module's, whose int8 constants are what the graph holds)."""
    try:
        from edgekit.backends.executorch.lowering import partitioners as backend_partitioners
    except ImportError:
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

        return [XnnpackPartitioner()]
    use_sparse = job.config.sparse_backend and job.sparsity is not None
    weights = job.model.state_dict() if weights is None else weights
    # int8 chains are claimed by the partitioner's measured rule; EDGEKIT_SPARSE_INT8=0 keeps them on XNNPACK
    claim_int8 = os.environ.get("EDGEKIT_SPARSE_INT8", "1") != "0"
    return backend_partitioners(weights if use_sparse else None, sparse_backend=use_sparse,
                                claim_int8=claim_int8)


def check_kernels(manager: Any) -> None:
    """Fail at export, not at load, when an op left outside the delegates has no kernel in the runtime."""
    from executorch.extension.pybindings.portable_lib import _get_operator_names

    available = set(_get_operator_names())
    for op in manager.executorch_program.execution_plan[0].operators:
        name = f"{op.name}.{op.overload}" if op.overload else op.name
        if name.startswith("aten::") and name not in available:
            raise RuntimeError(f"the ExecuTorch runtime has no kernel for {op.name} ({name}): not delegated "
                               "to XNNPACK and not in the portable kernels")


def write(job: WriteJob, precision: str, path: Path) -> dict[str, Any]:
    from executorch.exir import EdgeCompileConfig, to_edge_transform_and_lower

    weights = None
    if precision == "int8":
        quantized = quantize_pt2e(job.model, job.example, job.calib, xnnpack_quantizer(),
                                  exported=job.exported)
        program = torch.export.export(quantized, (job.example,))
        weights = quantized.state_dict()
    else:
        program = job.exported
    # The edge-IR validity check re-verifies every pass (~30% of lowering CPU on MobileNetV2, measured);
    # parity in the real runtime checks the result end to end instead.
    edge = to_edge_transform_and_lower(program, partitioner=partitioners(job, weights),
                                       compile_config=EdgeCompileConfig(_check_ir_validity=False))
    manager = edge.to_executorch()
    check_kernels(manager)
    path.write_bytes(manager.buffer)
    delegates = [d.id for d in manager.executorch_program.execution_plan[0].delegates]
    return {"delegates": delegates, "sparse_backend": "EdgekitBackend" in delegates,
            "quantization": "pt2e XNNPACKQuantizer int8, per-channel symmetric weights"
            if precision == "int8" else None}
