"""What every format writer receives, and how writer failures become one-line user errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import torch

from edgekit.config import ExportConfig
from edgekit.errors import EdgekitError


class ExportFailedError(EdgekitError):
    """A format could not take the model (an unsupported op, a failed lowering, ...)."""


class UnsupportedOpError(ExportFailedError):
    """A format has no conversion for one op of the model; the message names op, node and format."""


@dataclass
class WriteJob:
    """One model on its way out: the eager model, an example input, calibration data, the config."""

    model: torch.nn.Module                  # eager fp32, eval mode
    example: torch.Tensor                   # float32 (N, C, H, W)
    config: ExportConfig
    calib: np.ndarray | None = None         # float32 (M, C, H, W), required for int8
    sparsity: dict[str, Any] | None = None  # edgekit.sparsity.describe() of the model, or None
    _cache: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def exported(self) -> torch.export.ExportedProgram:
        """The fp32 model through torch.export (shared by writers that start from it)."""
        return torch.export.export(self.model, (self.example,))


_OP_PATTERN = re.compile(r"(aten(?:::|\.)[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)")


def explain_failure(fmt: str, precision: str, exc: BaseException, job: WriteJob) -> ExportFailedError:
    """Turn a converter's exception into a one-line error naming the op, the node and the format."""
    text = f"{type(exc).__name__}: {exc}"
    match = _OP_PATTERN.search(text)
    if match:
        op = match.group(1).replace("::", ".")
        node, module = _find_node(job, op)
        where = f" at node {node!r}" + (f" (module {module})" if module else "") if node else ""
        return UnsupportedOpError(f"{fmt} ({precision}) cannot take op {op}{where}",
                                  hint=f"replace that layer with supported ops, or drop {fmt} from --format")
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return ExportFailedError(f"{fmt} ({precision}) export failed: {type(exc).__name__}: {first[:300]}",
                             hint="run with --debug for the traceback; try another --format")


def _find_node(job: WriteJob, op: str) -> tuple[str | None, str | None]:
    """The first graph node calling `op` (aten.name[.overload]) and the module that owns it."""
    base = op.split(".")[1]
    try:
        graph = job.exported.graph
    except Exception:  # the failure may be torch.export itself
        return None, None
    for node in graph.nodes:
        if node.op != "call_function":
            continue
        target = str(node.target)
        if target == op or target.split(".")[1:2] == [base]:
            stack = node.meta.get("nn_module_stack") or {}
            module = next(reversed(stack.values()))[0] if stack else None
            return node.name, module
    return None, None
