"""Partitioner: claim MobileNet chains whose 1x1 convolutions are group-sparse enough to win.

Supported nodes (support.py) are grouped into connected partitions; a partition is claimed when
at least `min_sparsity` of the 4x1 weight groups of its 1x1 convolutions are zero (weighted by
size, like XNNPACK's sparse-inference rule) and its 1x1 convolutions work on planes large enough
for the CHW kernels to win (`min_plane`; measured thresholds below, one for fp32, one for int8).
ExecuTorch hands partitioners a program with fake weights, so the weights are given up front (the
model's state_dict) and matched by name.
Everything else is left for the next partitioner (XNNPACK): use it first in
`to_edge_transform_and_lower(..., partitioner=[EdgekitPartitioner(sd), XnnpackPartitioner()])`.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from executorch.exir.backend.partitioner import DelegationSpec, Partitioner, PartitionResult
from executorch.exir.backend.utils import tag_constant_data
from torch.export import ExportedProgram
from torch.fx import Node
from torch.fx.passes.infra.partitioner import CapabilityBasedPartitioner
from torch.fx.passes.operator_support import OperatorSupportBase

from edgekit.backends.executorch import support, support_qs8
from edgekit.backends.executorch.runtime import BACKEND_ID

# Measured on MobileNetV2 (bench/e2e): below this fraction of zero 4x1 groups, XNNPACK's dense
# NHWC path is as fast as the CHW chain, so the partition is left to it.
DEFAULT_MIN_SPARSITY = 0.5
# fp32 plane-size rule. The CHW kernels pay a fixed cost per channel and per call (the depthwise
# kernel ~50 ns per channel even on a 1x1 plane, the 1x1 kernel a weight walk per column tile),
# which XNNPACK's NHWC kernels amortize over channels: a chain wins only when its work sits in
# large planes. A partition's plane is the mean H*W of its 1x1 convolutions weighted by their MACs.
# Measured (bench/e2e/claim_threshold.py, 1 thread, interleaved, ratio of minima dense XNNPACK /
# edgekit; shared host under load 7-10, so +-10% or worse):
#   Fashion-MNIST MobileNetV2 x0.5 @28, trained weights (plane 25 px): 70% 0.50x, 90% 0.83x (slower)
#   the same @56 (99 px): 90% 1.00x (no gain)
#   MobileNetV2-1.0 @64 (150 px): 70% 1.69x, 90% 1.91x;  @224 (1,834 px, sparse_backend.py): faster
# So the threshold sits between 99 and 150 px. Tests on smaller models force the claim (min_plane=0).
DEFAULT_MIN_PLANE = 128
# int8 chains (bit-identical to XNNPACK int8) are claimed by default since the in-place AVX-512
# depthwise kernel: MobileNetV2-1.0 @224 (1,834 px; with the int8 stem in the delegate) 1.85x over the
# dense XNNPACK int8 .pte at 70% and 2.3x at 90%, 1 thread (bench/e2e/sparse_backend.py --precision
# int8, BENCHMARKS.md 2026-12-06). The small-plane numbers below predate the stem and flat kernels.
# On small planes they lose far more than fp32 does (a 1x1 conv on a 1-7 px plane runs a 64-pixel
# vector tile): measured by bench/e2e/claim_threshold_int8.py, 1 thread, ratio of CPU time per call /
# of minima: Fashion-MNIST MobileNetV2 x0.5 @28 (25 px) 70% 0.26x / 0.19x, 90% 0.31x / 0.22x;
# @56 (99 px) 90% 0.53x / 0.40x; MobileNetV2-1.0 70% @64 (150 px) 0.45x / 0.39x, @128 (599 px)
# 1.01x / 1.33x, @160 (936 px) 1.06x / 1.22x, @224 (1,834 px) 1.23x / 1.86x. The threshold sits
# between the break-even (~600 px) and the first winning point. claim_int8=False turns int8 off.
DEFAULT_CLAIM_INT8 = True
DEFAULT_MIN_PLANE_INT8 = 768


class _Support(OperatorSupportBase):
    def __init__(self, ep: ExportedProgram) -> None:
        self.ep = ep

    def is_node_supported(self, submodules, node: Node) -> bool:
        if support_qs8.in_quantized_region(node):  # PT2E int8 graph: dq -> op -> q groups only
            return support_qs8.supported(node, self.ep)
        return support.supported(node, self.ep)


class EdgekitPartitioner(Partitioner):
    def __init__(
        self, weights: Mapping[str, torch.Tensor], min_sparsity: float = DEFAULT_MIN_SPARSITY,
        min_plane: float | None = None, claim_int8: bool = DEFAULT_CLAIM_INT8,
    ) -> None:
        """min_plane: None -> DEFAULT_MIN_PLANE for fp32 chains and DEFAULT_MIN_PLANE_INT8 for int8
        ones; a number applies to both (0 forces the claim on any plane)."""
        super().__init__()
        # name -> (zero groups, groups) for every 1x1 conv weight; computed once from real values.
        self.group_counts = {
            name: support.zero_group_fraction(t.detach().float().reshape(t.shape[0], t.shape[1]).numpy())
            for name, t in weights.items()
            if isinstance(t, torch.Tensor) and t.dim() == 4 and t.shape[2:] == (1, 1)
        }
        self.min_sparsity = float(min_sparsity)
        self.min_plane = DEFAULT_MIN_PLANE if min_plane is None else float(min_plane)
        self.min_plane_int8 = DEFAULT_MIN_PLANE_INT8 if min_plane is None else float(min_plane)
        self.claim_int8 = bool(claim_int8)
        self.delegation_spec = DelegationSpec(BACKEND_ID, [])
        self.claimed: list[dict] = []  # what the last partition() call took, for reports and tests

    def ops_to_not_decompose(self, ep: ExportedProgram):
        # Keep hardswish whole: one CHW op instead of add/clamp/mul/div.
        return [torch.ops.aten.hardswish.default], None

    def partition(self, exported_program: ExportedProgram) -> PartitionResult:
        gm = exported_program.graph_module
        parts = CapabilityBasedPartitioner(
            gm, _Support(exported_program), allows_single_node_partition=True
        ).propose_partitions()
        tags: dict[str, DelegationSpec] = {}
        self.claimed = []
        for part in parts:
            nodes = list(part.nodes)
            zero, total = 0, 0
            macs, plane_macs, fp32 = 0, 0, False
            for n in nodes:
                fp32_pointwise = (n.target == support.CONV
                                  and support.conv_kind(n, exported_program) == "pointwise")
                # int8: the weight is dequantize_per_channel(int8 constant), named by that constant
                name = (support.param_name(n.args[1], exported_program) if fp32_pointwise
                        else support_qs8.pointwise_weight_name(n, exported_program))
                if fp32_pointwise or name is not None:
                    z, t = self.group_counts.get(name, (0, 1))
                    zero, total = zero + z, total + t
                    m = _pointwise_macs(n)
                    macs, plane_macs = macs + m, plane_macs + m * _plane(n)
                fp32 = fp32 or fp32_pointwise
            sparsity = zero / total if total else 0.0
            plane = plane_macs / macs if macs else 0.0
            int8 = not fp32 and any(support_qs8.in_quantized_region(n) for n in nodes)
            if total == 0 or sparsity < self.min_sparsity or (fp32 and plane < self.min_plane):
                continue
            if int8 and (not self.claim_int8 or plane < self.min_plane_int8):
                continue
            tag = f"edgekit_{len(tags)}"
            for n in nodes:
                n.meta["delegation_tag"] = tag
            tags[tag] = self.delegation_spec
            self.claimed.append({"tag": tag, "nodes": len(nodes), "group_sparsity_1x1": sparsity,
                                 "plane_1x1": plane})
        tag_constant_data(exported_program)
        return PartitionResult(tagged_exported_program=exported_program, partition_tags=tags)


def _plane(conv: Node) -> int:
    """H * W of a convolution's output."""
    shape = conv.meta["val"].shape
    return int(shape[2]) * int(shape[3])


def _pointwise_macs(conv: Node) -> int:
    """Multiply-accumulates of a (dense) 1x1 convolution: C_out * C_in * H * W."""
    w = conv.args[1].meta["val"].shape
    return int(w[0]) * int(w[1]) * _plane(conv)
