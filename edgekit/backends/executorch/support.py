"""Which edge-dialect nodes the backend can run, and how sparse a 1x1 convolution's weights are.

The backend runs MobileNet chains in CHW: 1x1 convolutions (on the group-sparse kernels),
depthwise 3x3/5x5 with stride 1 or 2, the dense stem convolution (few input channels, so it reads
the NCHW image directly), batch norm folded into the conv before it, add, ReLU/ReLU6/hardtanh/clamp,
hardswish and global average pooling. Everything fp32, batch 1.
"""

from __future__ import annotations

import operator

import numpy as np
import torch
from executorch.backends.transforms.utils import is_param_node
from executorch.exir.dialects._ops import ops as exir_ops
from torch.export import ExportedProgram
from torch.fx import Node

aten = exir_ops.edge.aten
CONV = aten.convolution.default
BATCH_NORM = aten._native_batch_norm_legit_no_training.default
CLAMPS = {aten.relu.default, aten.hardtanh.default, aten.clamp.default}
HARDSWISH = aten.hardswish.default
ADD = aten.add.Tensor
MEAN = aten.mean.dim
ADAPTIVE_POOL = aten._adaptive_avg_pool2d.default
GROUP_M_FOR_SPARSITY = 4  # the group shape the sparsity test counts in (4 output channels x 1 input)
# Dense convolutions the CHW stem kernel runs (native/src/f32-conv-chw): an image stem has 1-4 input
# channels; the kernel does one vector FMA per tap and output channel, so wide inputs would be slow.
STEM_MAX_IN_CHANNELS = 4
STEM_MAX_KERNEL = 7
STEM_MAX_TAPS = 256


def _val(node: object) -> torch.Tensor | None:
    return node.meta.get("val") if isinstance(node, Node) else None


def is_chw_tensor(node: object) -> bool:
    """A float32 batch-1 4D tensor (NCHW contiguous = CHW)."""
    v = _val(node)
    return isinstance(v, torch.Tensor) and v.dim() == 4 and v.shape[0] == 1 and v.dtype == torch.float32


def conv_kind(node: Node, ep: ExportedProgram) -> str | None:
    """"pointwise", "depthwise", "dense" (a stem) or None for a convolution node the backend cannot run.
    A dense stem is claimed only inside a partition whose 1x1 convolutions are sparse (partitioner.py)."""
    if node.target != CONV or len(node.args) < 9:
        return None
    x, w, b, stride, padding, dilation, transposed, _, groups = node.args[:9]
    if not (is_chw_tensor(x) and is_chw_tensor(node)) or transposed or any(d != 1 for d in dilation):
        return None
    if not (isinstance(w, Node) and is_param_node(ep, w)) or (b is not None and not is_param_node(ep, b)):
        return None
    kind = conv_shape_kind(tuple(_val(w).shape), _val(x).shape[1], stride, padding, groups)
    return kind or ("dense" if is_stem_shape(tuple(_val(w).shape), groups, stride, padding) else None)


def is_stem_shape(w_shape: tuple[int, ...], groups: int, stride, padding) -> bool:
    """A dense convolution the fp32 CHW stem kernel runs: groups 1, at most 4 input channels,
    kernel <= 7x7, stride 1 or 2, padding below the kernel size."""
    _, c_in, kh, kw = w_shape
    return (groups == 1 and c_in <= STEM_MAX_IN_CHANNELS and max(kh, kw) <= STEM_MAX_KERNEL
            and c_in * kh * kw <= STEM_MAX_TAPS and all(s in (1, 2) for s in stride)
            and all(0 <= p < k for p, k in zip(padding, (kh, kw), strict=True)))


def conv_shape_kind(w_shape: tuple[int, ...], c_in: int, stride, padding, groups: int) -> str | None:
    """"pointwise" (1x1, stride 1, no padding), "depthwise" (3x3/5x5, stride 1 or 2) or None, from
    the weight shape and conv arguments alone (shared by the fp32 and int8 support checks)."""
    c_out, c_in_per_group, kh, kw = w_shape
    if (kh, kw) == (1, 1) and groups == 1 and list(stride) == [1, 1] and list(padding) == [0, 0]:
        return "pointwise"
    depthwise = groups == c_in == c_out and c_in_per_group == 1
    if depthwise and kh == kw and kh in (3, 5) and all(s in (1, 2) for s in stride) and all(
        0 <= p < k for p, k in zip(padding, (kh, kw), strict=True)
    ):
        return "depthwise"
    return None


def supported(node: Node, ep: ExportedProgram) -> bool:
    if node.op != "call_function":
        return False
    t = node.target
    if t == CONV:
        return conv_kind(node, ep) is not None
    if t == BATCH_NORM:
        src = node.args[0]
        params_ok = all(isinstance(a, Node) and is_param_node(ep, a) for a in node.args[1:5])
        only_value_used = all(u.target == operator.getitem and u.args[1] == 0 for u in node.users)
        return (params_ok and only_value_used and isinstance(src, Node) and len(src.users) == 1
                and src.op == "call_function" and conv_kind(src, ep) is not None)
    if t == operator.getitem:
        src = node.args[0]
        return isinstance(src, Node) and src.target == BATCH_NORM and node.args[1] == 0 and supported(src, ep)
    if t in CLAMPS or t == HARDSWISH:
        # Only after one of our ops: a clamp right after a foreign op (the stem conv) is fused
        # there by XNNPACK for free, while taking it would cost a separate pass here.
        src = node.args[0]
        return (is_chw_tensor(src) and is_chw_tensor(node) and isinstance(src, Node)
                and src.op == "call_function" and supported(src, ep))
    if t == ADD:
        a, b = node.args[:2]
        return (is_chw_tensor(a) and is_chw_tensor(b) and _val(a).shape == _val(b).shape
                and node.kwargs.get("alpha", 1) == 1)
    if t == MEAN:
        x = node.args[0]
        dims = sorted(d % 4 for d in node.args[1]) if len(node.args) > 1 and node.args[1] else []
        return is_chw_tensor(x) and dims == [2, 3] and node.kwargs.get("dtype") in (None, torch.float32)
    if t == ADAPTIVE_POOL:
        return is_chw_tensor(node.args[0]) and list(node.args[1]) == [1, 1]
    return False


def clamp_bounds(node: Node) -> tuple[float, float]:
    if node.target == aten.relu.default:
        return 0.0, float("inf")
    lo = node.args[1] if len(node.args) > 1 else node.kwargs.get("min")
    hi = node.args[2] if len(node.args) > 2 else node.kwargs.get("max")
    if node.target == aten.hardtanh.default:
        lo = -1.0 if lo is None else lo
        hi = 1.0 if hi is None else hi
    return (float("-inf") if lo is None else float(lo)), (float("inf") if hi is None else float(hi))


def param_name(node: Node, ep: ExportedProgram) -> str | None:
    """The state-dict name of a parameter/buffer/constant placeholder (stable across fake copies)."""
    sig = ep.graph_signature
    for table in (sig.inputs_to_parameters, sig.inputs_to_buffers, sig.inputs_to_lifted_tensor_constants):
        if node.name in table:
            return table[node.name]
    return None


def zero_group_fraction(weight: np.ndarray, group_m: int = GROUP_M_FOR_SPARSITY) -> tuple[int, int]:
    """(zero groups, total groups) of an M x K matrix in groups of group_m output channels x 1."""
    m, k = weight.shape
    padded = np.zeros((-(-m // group_m) * group_m, k), dtype=bool)
    padded[:m] = weight != 0
    kept = padded.reshape(-1, group_m, k).any(axis=1)
    return int(kept.size - kept.sum()), int(kept.size)
