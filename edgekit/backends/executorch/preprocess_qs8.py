"""Lower one claimed PT2E int8 partition (support_qs8.py) to the delegate program, all values int8.

Each dq -> op [-> activation] -> q group becomes one op whose output value carries the quantize
node's scale and zero point and whose fused clamp is the activation's bounds in the output's int8
domain. Arithmetic follows XNNPACK's qs8 operators so the two agree: per-channel symmetric int8
weights, the fp32 bias quantized to int32 with scale input_scale * w_scale (as ExecuTorch's XNNPACK
lowering does), fp32 requantization by input_scale * w_scale / output_scale.
"""

from __future__ import annotations

import numpy as np
import torch
from executorch.backends.transforms.utils import get_param_tensor, is_param_node
from torch.export import ExportedProgram
from torch.fx import Node

from edgekit.backends.executorch import support, support_qs8
from edgekit.backends.executorch.packing import pack_qs8
from edgekit.backends.executorch.program import DType, Op, OpKind, Program, Value

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def is_quantized(ep: ExportedProgram) -> bool:
    return any(n.op == "call_function" and n.target in (support_qs8.QUANT, support_qs8.DEQUANT)
               for n in ep.graph.nodes)


def _chw(node: Node) -> tuple[int, int, int]:
    _, c, h, w = node.meta["val"].shape
    return int(c), int(h), int(w)


def _add_qvalue(program: Program, node: Node, scale: float, zero_point: int) -> int:
    vid = program.add_value(_chw(node), DType.QS8)
    program.values[vid].scale = float(scale)
    program.values[vid].zero_point = int(zero_point)
    return vid


def quantize_bound(value: float, scale: float, zero_point: int) -> int:
    """A float clamp bound in the int8 domain, as XNNPACK's xnn_qs8_quantize computes it."""
    v = np.float32(value) / np.float32(scale) + np.float32(zero_point)
    return int(np.rint(np.clip(v, -128.0, 127.0)))


def _clamp(act: Node | None, q: Node) -> tuple[float, float]:
    scale, zp, qmin, qmax = q.args[1], q.args[2], q.args[3], q.args[4]
    lo, hi = float(max(qmin, -128)), float(min(qmax, 127))
    if act is not None:
        a_lo, a_hi = support.clamp_bounds(act)
        lo = max(lo, quantize_bound(a_lo, scale, zp))
        hi = min(hi, quantize_bound(a_hi, scale, zp))
    return lo, hi


def lower_qs8(ep: ExportedProgram) -> Program:
    program = Program()
    value_of: dict[Node, int] = {}
    done: set[Node] = set()  # activation and quantize nodes already folded into their op
    for node in ep.graph.nodes:
        if node.op == "placeholder":
            if not is_param_node(ep, node):
                dq = next(u for u in node.users if u.target == support_qs8.DEQUANT)
                value_of[node] = _add_qvalue(program, node, dq.args[1], dq.args[2])
                program.inputs.append(value_of[node])
            continue
        if node.op == "output":
            outs = node.args[0] if isinstance(node.args[0], (list, tuple)) else [node.args[0]]
            program.outputs = [value_of[n] for n in outs]
            continue
        if node.op != "call_function" or node in done:
            continue
        t = node.target
        if t == support_qs8.DEQUANT:
            src = value_of[node.args[0]]
            v = program.values[src]
            if abs(v.scale - node.args[1]) > 1e-12 * abs(v.scale) or v.zero_point != node.args[2]:
                raise ValueError(f"edgekit backend: {node.name} dequantizes with qparams unlike its source")
            value_of[node] = src
            continue
        if t == support_qs8.DEQUANT_CHANNEL:
            continue  # read by its conv
        act, q = support_qs8.output_quantize(node)
        if q is None:
            raise ValueError(f"edgekit backend: int8 node {node.name} was claimed but cannot be lowered")
        out = _add_qvalue(program, node, q.args[1], q.args[2])
        value_of[q] = out
        done.update(n for n in (act, q) if n is not None)
        lo, hi = _clamp(act, q)
        if t == support.CONV:
            op = _conv_op(node, ep, value_of[node.args[0]], out, program)
        elif t == support.ADD:
            op = Op(OpKind.ADD, [value_of[node.args[0]], value_of[node.args[1]]], out)
        elif t in support_qs8.ACTIVATIONS:
            x = value_of[node.args[0]]
            op = Op(OpKind.CLAMP, [x], out, data=clamp_table(node, program.values[x], program.values[out]),
                    attrs={"bounds": support.clamp_bounds(node)})
        else:
            raise ValueError(f"edgekit backend: int8 node {node.name} was claimed but cannot be lowered")
        op.out_min, op.out_max = lo, hi
        program.ops.append(op)
    return program


def clamp_table(act: Node, x: Value, y: Value) -> bytes:
    """y_q for each of the 256 x_q: quantize(activation(dequantize(x_q))) in fp32, as XNNPACK's int8
    unary operators build their lookup table. Indexed by the input byte (x_q & 0xFF)."""
    lo, hi = support.clamp_bounds(act)
    xq = np.arange(256, dtype=np.int32).astype(np.uint8).view(np.int8).astype(np.int32)
    xf = np.float32(x.scale) * (xq - x.zero_point).astype(np.float32)
    yf = np.clip(xf, np.float32(lo), np.float32(hi)) / np.float32(y.scale) + np.float32(y.zero_point)
    return np.clip(np.rint(yf), -128, 127).astype(np.int8).tobytes()


def _conv_op(node: Node, ep: ExportedProgram, x: int, out: int, program: Program) -> Op:
    wdq = support_qs8.weight_dequant(node, ep)
    w = get_param_tensor(ep, wdq.args[0]).detach()
    w_scale = get_param_tensor(ep, wdq.args[1]).detach().to(torch.float32)
    zps = wdq.args[2]
    if zps is not None and bool(get_param_tensor(ep, zps).ne(0).any()):
        raise ValueError(f"edgekit backend: {node.name} has asymmetric int8 weights (zero points must be 0)")
    in_scale = program.values[x].scale
    bias_node = node.args[2]
    if bias_node is None:
        bias = np.zeros(w.shape[0], np.int32)
    else:
        b = get_param_tensor(ep, bias_node).detach().to(torch.float32)
        # As ExecuTorch's XNNPACK lowering: quantize_per_channel(bias, w_scale * input_scale, 0) to int32.
        bias = torch.clamp(torch.round(b * (1.0 / (w_scale * in_scale))).double(), INT32_MIN, INT32_MAX)
        bias = bias.to(torch.int32).numpy()
    w8 = w.to(torch.int8).numpy()
    scales = w_scale.numpy().astype("<f4")
    if support_qs8.conv_kind(node, ep) == "pointwise":
        return Op(OpKind.CONV1X1, [x], out, data=pack_qs8(w8.reshape(w8.shape[0], w8.shape[1]), scales, bias))
    # Depthwise (C x kh*kw) and dense stem (OIHW) weights: per output channel its taps, then the
    # int32 bias and f32 weight scale per output channel (program_format.h).
    kh, kw = w8.shape[2:]
    (sh, sw), (ph, pw) = node.args[3], node.args[4]
    data = np.ascontiguousarray(w8).tobytes() + bias.astype("<i4").tobytes() + scales.tobytes()
    kind = OpKind.CONV if support_qs8.conv_kind(node, ep) == "dense" else OpKind.DWCONV
    return Op(kind, [x], out, ints=[kh, kw, sh, sw, ph, pw, ph, pw], data=data)
