"""BackendDetails.preprocess: turn one claimed partition into the delegate blob.

The partition's graph is lowered node by node to program.Op records (batch norm folded into the
conv before it), then passes fuse clamps into their producers and assign scratch slots, 1x1 conv
weights are packed into edgekit's native group-sparse format, and the program is serialized.
"""

from __future__ import annotations

import operator

import numpy as np
from executorch.backends.transforms.utils import get_param_tensor, is_param_node
from executorch.exir.backend.backend_details import BackendDetails, PreprocessResult
from executorch.exir.backend.compile_spec_schema import CompileSpec
from torch.export import ExportedProgram
from torch.fx import Node

from edgekit.backends.executorch import support
from edgekit.backends.executorch.packing import pack_f32
from edgekit.backends.executorch.passes import assign_slots, fuse_activations
from edgekit.backends.executorch.program import Op, OpKind, Program, f32_bytes


class EdgekitBackend(BackendDetails):
    """The class name is the backend id written into the .pte (runtime.BACKEND_ID)."""

    @staticmethod
    def preprocess(edge_program: ExportedProgram, compile_specs: list[CompileSpec]) -> PreprocessResult:
        from edgekit.backends.executorch.passes.fold_qs8_clamp import fold_qs8_clamps
        from edgekit.backends.executorch.preprocess_qs8 import is_quantized, lower_qs8

        if is_quantized(edge_program):  # a PT2E int8 chain: its own lowering and clamp folding
            program = assign_slots(fold_qs8_clamps(lower_qs8(edge_program)))
            return PreprocessResult(processed_bytes=program.to_bytes())
        program = lower(edge_program)
        fuse_activations(program)
        finalize_weights(program)
        assign_slots(program)
        return PreprocessResult(processed_bytes=program.to_bytes())


def _chw(node: Node) -> tuple[int, int, int]:
    shape = tuple(node.meta["val"].shape)
    if len(shape) == 4:
        return shape[1], shape[2], shape[3]
    if len(shape) == 2:  # pooled [1, C]
        return shape[1], 1, 1
    raise ValueError(f"edgekit backend: unexpected shape {shape} for {node}")


def lower(ep: ExportedProgram) -> Program:
    program = Program()
    value_of: dict[Node, int] = {}
    producer: dict[int, Op] = {}
    for node in ep.graph.nodes:
        if node.op == "placeholder":
            if not is_param_node(ep, node):
                value_of[node] = program.add_value(_chw(node))
                program.inputs.append(value_of[node])
            continue
        if node.op == "output":
            outs = node.args[0] if isinstance(node.args[0], (list, tuple)) else [node.args[0]]
            program.outputs = [value_of[n] for n in outs]
            continue
        if node.op != "call_function":
            continue
        t = node.target
        if t == operator.getitem:  # batch norm's value: same tensor as the (folded) conv
            value_of[node] = value_of[node.args[0]]
            continue
        if t == support.BATCH_NORM:
            _fold_batch_norm(producer[value_of[node.args[0]]], node, ep)
            value_of[node] = value_of[node.args[0]]
            continue
        out = program.add_value(_chw(node))
        value_of[node] = out
        x = value_of[node.args[0]]
        if t == support.CONV:
            op = _conv_op(node, ep, x, out)
        elif t in support.CLAMPS:
            lo, hi = support.clamp_bounds(node)
            op = Op(OpKind.CLAMP, [x], out, out_min=lo, out_max=hi)
        elif t == support.HARDSWISH:
            op = Op(OpKind.HARDSWISH, [x], out)
        elif t == support.ADD:
            op = Op(OpKind.ADD, [x, value_of[node.args[1]]], out)
        elif t in (support.MEAN, support.ADAPTIVE_POOL):
            op = Op(OpKind.GAVGPOOL, [x], out)
        else:
            raise ValueError(f"edgekit backend: node {node.format_node()} was claimed but cannot be lowered")
        program.ops.append(op)
        producer[out] = op
    return program


def _conv_op(node: Node, ep: ExportedProgram, x: int, out: int) -> Op:
    w = get_param_tensor(ep, node.args[1]).detach().float().numpy().copy()
    b_node = node.args[2]
    b = (get_param_tensor(ep, b_node).detach().float().numpy().copy() if b_node is not None
         else np.zeros(w.shape[0], np.float32))
    kind = support.conv_kind(node, ep)
    if kind == "pointwise":
        return Op(OpKind.CONV1X1, [x], out, attrs={"weight": w.reshape(w.shape[0], w.shape[1]), "bias": b})
    kh, kw = w.shape[2:]
    (sh, sw), (ph, pw) = node.args[3], node.args[4]
    # Weights as M x (taps) rows so batch norm folds per output channel; finalize_weights transposes.
    op_kind = OpKind.CONV if kind == "dense" else OpKind.DWCONV
    return Op(op_kind, [x], out, ints=[kh, kw, sh, sw, ph, pw, ph, pw],
              attrs={"weight": w.reshape(w.shape[0], -1), "bias": b})


def _fold_batch_norm(conv: Op, bn: Node, ep: ExportedProgram) -> None:
    """y = (conv(x) - mean) * gamma / sqrt(var + eps) + beta, folded into the conv's weights."""
    gamma, beta, mean, var = (get_param_tensor(ep, a).detach().double().numpy() for a in bn.args[1:5])
    eps = float(bn.args[6])
    scale = gamma / np.sqrt(var + eps)
    w, b = conv.attrs["weight"].astype(np.float64), conv.attrs["bias"].astype(np.float64)
    conv.attrs["weight"] = (w * scale[:, None]).astype(np.float32)
    conv.attrs["bias"] = ((b - mean) * scale + beta).astype(np.float32)


def finalize_weights(program: Program) -> None:
    """Serialize each op's weights: native packed blob for 1x1 convs, raw f32 for depthwise, raw
    tap-major f32 (taps x C_out: one tap's output channels contiguous) for the dense stem."""
    for op in program.ops:
        if op.kind == OpKind.CONV1X1:
            op.data = pack_f32(op.attrs["weight"], op.attrs["bias"])
        elif op.kind == OpKind.DWCONV:
            op.data = f32_bytes(op.attrs["weight"], op.attrs["bias"])
        elif op.kind == OpKind.CONV:
            op.data = f32_bytes(op.attrs["weight"].T, op.attrs["bias"])
