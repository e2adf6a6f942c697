"""XNNPACK's sparse (NCHW) inference on ARM: keep the graph in the shape it needs, and say whether
a model qualifies and, if not, which node breaks it.

XNNPACK runs a fp32 graph in sparse NCHW mode only if the whole span from the stem to the final
spatial mean converts: a 3x3 stride-2 stem on 3 channels with symmetric padding 1, then only 1x1
stride-1 convs, 3x3/5x5 depthwise convs, ADD/MUL and unary ops, ending in a spatial MEAN; the
1x1-conv weights must be at least 2/3 zero and sit behind DENSIFY (the delegate then asks XNNPACK
for sparse inference). It is never used on x86 CPUs with AVX, so only ARM devices benefit.

litert-torch writes `TRANSPOSE(NHWC->NCHW) -> MEAN(axes 2,3)` for `x.mean((2, 3))`; the TRANSPOSE
breaks the chain. `normalize_for_sparse_inference` folds it into `MEAN(axes 1,2)` on NHWC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ai_edge_litert import schema_py_generated as schema

from edgekit.formats.tflite_sparse import flatbuf

Op = flatbuf.BuiltinOp
UNARY_OPS = {Op.RELU, Op.RELU6, Op.RELU_N1_TO_1, Op.RELU_0_TO_1, Op.LEAKY_RELU, Op.HARD_SWISH,
             Op.LOGISTIC, Op.TANH, Op.ABS, Op.NEG, Op.SQUARE, Op.SQRT, Op.ELU, Op.FLOOR, Op.CEIL,
             Op.ROUND, Op.GELU}
BINARY_OPS = {Op.ADD, Op.MUL}
MIN_ZERO_FRACTION = 2 / 3


@dataclass
class Qualification:
    qualifies: bool
    reason: str  # why not, or "qualifies"
    breaking_op: str | None = None  # e.g. "TRANSPOSE (op 12)"
    conv1x1_zero_fraction: float | None = None
    chain_ops: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _const(model: schema.ModelT, sg: schema.SubGraphT, ti: int) -> np.ndarray | None:
    return flatbuf.constant_array(model, sg.tensors[ti]) if ti >= 0 else None


def _label(model: schema.ModelT, oi: int, op: schema.OperatorT) -> str:
    return f"{flatbuf.op_name(model, op)} (op {oi})"


def normalize_for_sparse_inference(model: schema.ModelT) -> list[str]:
    """Fold TRANSPOSE(0,3,1,2) -> MEAN(2,3) into MEAN(1,2); returns what was rewritten."""
    done = []
    for sg in model.subgraphs:
        users = flatbuf.consumers(sg)
        drop = set()
        for oi, op in enumerate(sg.operators):
            if flatbuf.op_builtin(model, op) != Op.TRANSPOSE:
                continue
            perm = _const(model, sg, op.inputs[1])
            if perm is None or perm.tolist() != [0, 3, 1, 2]:
                continue
            out = op.outputs[0]
            readers = users.get(out, [])
            if not readers or out in (sg.outputs or []):
                continue
            means = [sg.operators[r] for r, _ in readers]
            if not all(flatbuf.op_builtin(model, m) == Op.MEAN and _mean_over_chw_spatial(model, sg, m)
                       for m in means):
                continue
            for m in means:
                m.inputs[0] = op.inputs[0]
                m.inputs[1] = _int32_const(model, sg, [1, 2], "nhwc_spatial_axes")
            drop.add(oi)
            done.append(f"folded TRANSPOSE (op {oi}) into {len(means)} MEAN over NHWC axes 1,2")
        sg.operators = [op for i, op in enumerate(sg.operators) if i not in drop]
    return done


def _mean_over_chw_spatial(model: schema.ModelT, sg: schema.SubGraphT, mean: schema.OperatorT) -> bool:
    axes = _const(model, sg, mean.inputs[1])
    keep = bool(getattr(mean.builtinOptions, "keepDims", False))
    return axes is not None and sorted(int(a) % 4 for a in axes.reshape(-1)) == [2, 3] and not keep


def _int32_const(model: schema.ModelT, sg: schema.SubGraphT, values: list[int], name: str) -> int:
    t = schema.TensorT()
    t.name = name.encode()
    t.shape = [len(values)]
    t.type = schema.TensorType.INT32
    t.buffer = flatbuf.new_buffer(model, np.asarray(values, dtype=np.int32).tobytes())
    sg.tensors.append(t)
    return len(sg.tensors) - 1


def _pad_amounts(model: schema.ModelT, sg: schema.SubGraphT, op: schema.OperatorT) -> np.ndarray | None:
    pads = _const(model, sg, op.inputs[1])
    return None if pads is None else pads.reshape(-1, 2)


def qualify(model: schema.ModelT) -> Qualification:
    """Whether subgraph 0 meets XNNPACK's sparse-inference conditions; if not, the first breaker."""
    sg = model.subgraphs[0]
    ops = sg.operators or []
    producer = flatbuf.producers(sg)
    users = flatbuf.consumers(sg)

    def weight(op: schema.OperatorT) -> tuple[schema.TensorT, np.ndarray | None]:
        ti = op.inputs[1]
        src = producer.get(ti)
        if src is not None and flatbuf.op_builtin(model, ops[src]) == Op.DENSIFY:
            t = sg.tensors[ops[src].inputs[0]]
            from edgekit.formats.tflite_sparse.encoding import decode  # local: avoids a cycle
            return t, decode(flatbuf.read_sparsity(t, model))
        return sg.tensors[ti], _const(model, sg, ti)

    def densified(op: schema.OperatorT) -> bool:
        src = producer.get(op.inputs[1])
        return src is not None and flatbuf.op_builtin(model, ops[src]) == Op.DENSIFY

    # 1. the stem: first CONV_2D, 3x3 stride 2 on 3 input channels, symmetric padding 1
    stem_i = next((i for i, op in enumerate(ops) if flatbuf.op_builtin(model, op) == Op.CONV_2D), None)
    if stem_i is None:
        return Qualification(False, "no CONV_2D: XNNPACK's sparse path starts at a 3x3 stride-2 stem conv")
    stem = ops[stem_i]
    w_t, w = weight(stem)
    if w_t.type != schema.TensorType.FLOAT32:
        return Qualification(False, "XNNPACK's sparse inference is fp32/fp16 only",
                             _label(model, stem_i, stem))
    opts = stem.builtinOptions
    if w is None or w.shape[1:3] != (3, 3) or w.shape[3] != 3 or (opts.strideH, opts.strideW) != (2, 2):
        shape = None if w is None else list(w.shape)
        return Qualification(False, f"stem conv must be 3x3 stride 2 on 3 channels (weights OHWI {shape}, "
                                    f"stride {opts.strideH}x{opts.strideW})", _label(model, stem_i, stem))
    src = producer.get(stem.inputs[0])
    sym_pad = False
    if opts.padding == schema.Padding.VALID and src is not None and \
            flatbuf.op_builtin(model, ops[src]) == Op.PAD:
        pads = _pad_amounts(model, sg, ops[src])
        sym_pad = pads is not None and pads.tolist() == [[0, 0], [1, 1], [1, 1], [0, 0]]
    if not sym_pad:
        return Qualification(False, "stem conv needs explicit symmetric padding 1 (PAD + VALID); "
                                    "TF SAME padding at stride 2 is asymmetric", _label(model, stem_i, stem))

    # 2. walk every op fed (transitively) by the stem output up to the spatial MEAN
    frontier = [stem.outputs[0]]
    seen_ops: set[int] = set()
    total = zeros = 0
    all_densified = True
    means = 0
    while frontier:
        ti = frontier.pop()
        readers = users.get(ti, [])
        if ti in (sg.outputs or []):
            return Qualification(False, "the graph output is inside the NCHW span (no final spatial MEAN)",
                                 None)
        for oi, _slot in readers:
            if oi in seen_ops:
                continue
            seen_ops.add(oi)
            op = ops[oi]
            b = flatbuf.op_builtin(model, op)
            label = _label(model, oi, op)
            if b == Op.MEAN:
                axes = _const(model, sg, op.inputs[1])
                if axes is None or sorted(int(a) % 4 for a in axes.reshape(-1)) != [1, 2]:
                    return Qualification(False, "MEAN must reduce the spatial axes of NHWC (1, 2)", label)
                means += 1
                continue  # the span ends here
            if b == Op.CONV_2D:
                _, cw = weight(op)
                o = op.builtinOptions
                if cw is None or cw.shape[1:3] != (1, 1) or (o.strideH, o.strideW) != (1, 1):
                    return Qualification(False, "only 1x1 stride-1 convolutions may follow the stem", label)
                total += cw.size
                zeros += int(np.count_nonzero(cw == 0))
                all_densified &= densified(op)
            elif b == Op.DEPTHWISE_CONV_2D:
                _, dw = weight(op)
                o = op.builtinOptions
                ks = None if dw is None else dw.shape[1:3]
                if ks not in ((3, 3), (5, 5)) or (o.strideH, o.strideW) not in ((1, 1), (2, 2)):
                    return Qualification(False, "depthwise convs must be 3x3 or 5x5, stride 1 or 2", label)
                if o.padding == schema.Padding.SAME and o.strideH == 2:
                    return Qualification(False, "stride-2 depthwise conv with SAME (asymmetric) padding; "
                                                "use explicit symmetric PAD", label)
            elif b == Op.PAD:
                pads = _pad_amounts(model, sg, op)
                nxt = [ops[r] for r, _ in users.get(op.outputs[0], [])]
                if pads is None or pads[0].any() or pads[3].any() or pads[1, 0] != pads[1, 1] \
                        or pads[2, 0] != pads[2, 1] or not all(
                        flatbuf.op_builtin(model, n) in (Op.CONV_2D, Op.DEPTHWISE_CONV_2D) for n in nxt):
                    return Qualification(False, "PAD inside the span must be symmetric spatial padding "
                                                "feeding a convolution", label)
            elif b in BINARY_OPS:
                for other in op.inputs:
                    if other >= 0 and sg.tensors[other].buffer > 0:
                        shape = list(sg.tensors[other].shape)
                        if int(np.prod(shape)) != 1:
                            return Qualification(False, "ADD/MUL with a non-scalar constant", label)
            elif b not in UNARY_OPS:
                return Qualification(False, f"{flatbuf.op_name(model, op)} is not NCHW-compatible in "
                                            "XNNPACK's sparse path", label)
            frontier.extend(op.outputs)
    if means == 0:
        return Qualification(False, "no final spatial MEAN after the stem", None)
    frac = zeros / total if total else 0.0
    q = Qualification(False, "", None, conv1x1_zero_fraction=frac, chain_ops=len(seen_ops))
    if total == 0:
        q.reason = "no 1x1 convolutions in the span"
    elif frac < MIN_ZERO_FRACTION:
        q.reason = f"only {frac:.0%} of 1x1-conv weights are zero (XNNPACK needs >= 67%)"
    elif not all_densified:
        q.reason = "1x1-conv weights are dense in the file; they must sit behind DENSIFY"
    else:
        q.qualifies, q.reason = True, "qualifies"
    if means > 1:
        q.notes.append(f"{means} spatial MEANs reached (squeeze-excite blocks): their branches were "
                       "not walked; verify on ARM (make tflite-arm64-insns) before relying on it")
    return q
