"""Which nodes of a PT2E int8 edge graph the backend runs, as int8 CHW chains.

XNNPACKQuantizer + to_edge give every quantized op the shape
    dequantize_per_tensor(x_q) [, dequantize_per_tensor(b_q)] -> op [-> relu/hardtanh/clamp]
    -> quantize_per_tensor
with the conv weight as dequantize_per_channel(int8 constant, scales, zero points = 0, axis 0) and
an fp32 bias. The backend claims such groups for 1x1 convolutions, depthwise 3x3/5x5 s1/s2
convolutions, adds and standalone dq -> ReLU6 -> q groups (how the quantizer leaves ReLU6 after a conv;
run as a 256-entry lookup table), and the dense stem convolution (few input channels: it reads the
quantized NCHW image directly) (batch 1, int8 activations): the whole group goes into the delegate, so
values cross the delegate boundary as int8 and stay int8 CHW inside it. Anything else in a
quantized graph (the input quantize, the fp32 tail mean, hardswish) is left to XNNPACK.
"""

from __future__ import annotations

import torch
from executorch.backends.transforms.utils import is_param_node
from executorch.exir.dialects._ops import ops as exir_ops
from torch.export import ExportedProgram
from torch.fx import Node

from edgekit.backends.executorch import support

_qd = exir_ops.edge.quantized_decomposed
QUANT = _qd.quantize_per_tensor.default
DEQUANT = _qd.dequantize_per_tensor.default
DEQUANT_CHANNEL = _qd.dequantize_per_channel.default
ACTIVATIONS = support.CLAMPS  # relu, hardtanh (ReLU6), clamp
STEM_MAX_OUT_CHANNELS = 256  # EK_QS8_CONV_CHW_MAX_M (native/src/qs8-conv-chw)


def _val(node: object) -> torch.Tensor | None:
    return node.meta.get("val") if isinstance(node, Node) else None


def _is_int8_chw(node: object) -> bool:
    v = _val(node)
    return isinstance(v, torch.Tensor) and v.dim() == 4 and v.shape[0] == 1 and v.dtype == torch.int8


def _is_int8_dequant(node: object) -> bool:
    """dequantize_per_tensor of a batch-1 int8 4D tensor with constant (python) qparams."""
    return (isinstance(node, Node) and node.op == "call_function" and node.target == DEQUANT
            and _is_int8_chw(node.args[0]) and isinstance(node.args[1], float)
            and isinstance(node.args[2], int) and node.args[5] == torch.int8)


def in_quantized_region(node: Node) -> bool:
    """True for q/dq nodes and ops that read a dequantized value or feed a quantize: such nodes are
    judged by this module only (the fp32 rules would take a float add between dq and q)."""
    if node.op != "call_function":
        return False
    if node.target in (QUANT, DEQUANT, DEQUANT_CHANNEL):
        return True
    reads_dq = any(isinstance(a, Node) and a.target in (DEQUANT, DEQUANT_CHANNEL) for a in node.args)
    return reads_dq or any(u.target == QUANT for u in node.users)


def output_quantize(node: Node) -> tuple[Node | None, Node | None]:
    """(activation or None, the quantize_per_tensor node) that close an op's group, or (None, None)."""
    if len(node.users) != 1:
        return None, None
    (user,) = node.users
    act = None
    if user.target in ACTIVATIONS:
        if len(user.users) != 1:
            return None, None
        act, (user,) = user, user.users
    if user.target == QUANT and user.args[5] == torch.int8 and isinstance(user.args[1], float):
        return act, user
    return None, None


def weight_dequant(conv: Node, ep: ExportedProgram) -> Node | None:
    """The conv's dequantize_per_channel node when its weight is a symmetric per-channel int8 constant."""
    w = conv.args[1]
    if not (isinstance(w, Node) and w.target == DEQUANT_CHANNEL and len(w.users) == 1):
        return None
    src, scales, zps, axis = w.args[:4]
    ok = (isinstance(src, Node) and is_param_node(ep, src) and _val(src) is not None
          and _val(src).dtype == torch.int8 and axis == 0
          and isinstance(scales, Node) and is_param_node(ep, scales)
          and (zps is None or (isinstance(zps, Node) and is_param_node(ep, zps))))
    return w if ok else None


def conv_kind(node: Node, ep: ExportedProgram) -> str | None:
    """"pointwise" / "depthwise" / "dense" (the stem: few input channels) for a quantized conv the
    backend runs, else None. Like fp32, a stem is claimed only inside a partition whose 1x1 convs
    are sparse (the partitioner counts only pointwise convs)."""
    if node.target != support.CONV or len(node.args) < 9:
        return None
    x, w, b, stride, padding, dilation, transposed, _, groups = node.args[:9]
    if not _is_int8_dequant(x) or weight_dequant(node, ep) is None:
        return None
    if transposed or any(d != 1 for d in dilation):
        return None
    if b is not None and not (isinstance(b, Node) and is_param_node(ep, b)):
        return None
    out = _val(node)
    if not (isinstance(out, torch.Tensor) and out.dim() == 4 and out.shape[0] == 1):
        return None
    w_shape = tuple(_val(w).shape)
    kind = support.conv_shape_kind(w_shape, _val(x).shape[1], stride, padding, groups)
    stem = w_shape[0] <= STEM_MAX_OUT_CHANNELS and support.is_stem_shape(w_shape, groups, stride, padding)
    return kind or ("dense" if stem else None)


def is_standalone_activation(node: Node) -> bool:
    """dq -> relu/hardtanh/clamp -> q: how XNNPACKQuantizer leaves ReLU6 after a conv (its own qparams)."""
    return (node.op == "call_function" and node.target in ACTIVATIONS and _is_int8_dequant(node.args[0])
            and output_quantize(node) != (None, None) and output_quantize(node)[0] is None)


def _compute_ok(node: Node, ep: ExportedProgram) -> bool:
    """A conv, add or standalone activation whose inputs are int8 dequantizes and whose result is
    (activation ->) quantize."""
    if node.op != "call_function" or output_quantize(node)[1] is None:
        return False
    if node.target in ACTIVATIONS:
        return is_standalone_activation(node)
    if node.target == support.CONV:
        return conv_kind(node, ep) is not None
    if node.target == support.ADD:
        a, b = node.args[:2]
        return (_is_int8_dequant(a) and _is_int8_dequant(b) and _val(a).shape == _val(b).shape
                and node.kwargs.get("alpha", 1) == 1)
    return False


def _inputs_claimable(node: Node, ep: ExportedProgram) -> bool:
    """Every dequantize the op reads is read only by ops the backend runs (so it can move inside)."""
    ins = node.args[:2] if node.target == support.ADD else node.args[:1]
    return all(all(_compute_ok(u, ep) for u in dq.users) for dq in ins)


def supported(node: Node, ep: ExportedProgram) -> bool:
    if node.op != "call_function":
        return False
    t = node.target
    if t in (support.CONV, support.ADD):
        return _compute_ok(node, ep) and _inputs_claimable(node, ep)
    if t == DEQUANT:
        return _is_int8_dequant(node) and bool(node.users) and all(
            _compute_ok(u, ep) and _inputs_claimable(u, ep) for u in node.users)
    if t == DEQUANT_CHANNEL:
        (conv,) = node.users if len(node.users) == 1 else (None,)
        return conv is not None and conv.target == support.CONV and supported(conv, ep)
    if t in ACTIVATIONS:
        if is_standalone_activation(node):
            return _compute_ok(node, ep) and _inputs_claimable(node, ep)
        src = node.args[0]
        return isinstance(src, Node) and output_quantize(src)[0] is node and supported(src, ep)
    if t == QUANT:
        src = node.args[0]
        if not isinstance(src, Node):
            return False
        if src.target in ACTIVATIONS and not is_standalone_activation(src):
            src = src.args[0]  # fused into the conv/add before it
        return isinstance(src, Node) and output_quantize(src)[1] is node and supported(src, ep)
    return False


def pointwise_weight_name(node: Node, ep: ExportedProgram) -> str | None:
    """State-dict name of a claimed quantized 1x1 conv's int8 weight (for the sparsity count)."""
    if node.target != support.CONV or conv_kind(node, ep) != "pointwise":
        return None
    return support.param_name(weight_dequant(node, ep).args[0], ep)


__all__ = ["conv_kind", "in_quantized_region", "is_standalone_activation", "output_quantize",
           "pointwise_weight_name", "supported", "weight_dequant"]
