"""Decide and apply how each weight is stored: block-sparse read directly by FULLY_CONNECTED
(op version 8), compressed behind a DENSIFY op, or dense.

Why these rules (measured with ai-edge-litert 2.3.0, see docs/TFLITE_SPARSE.md):
- FULLY_CONNECTED's builtin kernel reads fp32 1x4 and int8 1x16 block-sparse weights, but only
  when the op code says version 8; at lower versions XNNPACK takes the node and reads the packed
  values as if dense (NaN/garbage, no error). So a direct-sparse FC always gets its own v8 op code.
- Everything else that is sparse enough goes behind DENSIFY (densified once at prepare time, so
  dense speed, smaller file). int8 FC behind DENSIFY fails to prepare in the default interpreter,
  so int8 FC weights are either direct 1x16 or dense.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ai_edge_litert import schema_py_generated as schema

from edgekit.formats.tflite_sparse import flatbuf
from edgekit.formats.tflite_sparse.encoding import Block, SparseTensor, block_sparsity, decode, encode

DIRECT, DENSIFY, DENSE = "block_sparse", "densify", "dense"
FC_SPARSE_VERSION = 8
FC_BLOCK = {schema.TensorType.FLOAT32: 4, schema.TensorType.INT8: 16}
WEIGHT_SLOT = {  # op -> input slot of its weight
    flatbuf.BuiltinOp.FULLY_CONNECTED: 1,
    flatbuf.BuiltinOp.CONV_2D: 1,
    flatbuf.BuiltinOp.DEPTHWISE_CONV_2D: 1,
    flatbuf.BuiltinOp.TRANSPOSE_CONV: 1,
    flatbuf.BuiltinOp.CONV_3D: 1,
}
DENSIFY_TYPES = (schema.TensorType.FLOAT32, schema.TensorType.FLOAT16, schema.TensorType.INT8)


@dataclass(frozen=True)
class Policy:
    """When a weight is worth storing sparse."""

    # fraction of all-zero FC blocks to read sparse directly: fp32 1x4 at 70% is about even with
    # dense XNNPACK on 1 thread, at 90% 3-5x faster (bench/tflite)
    min_direct_block_sparsity: float = 0.75
    max_densify_ratio: float = 0.8  # DENSIFY only if encoded bytes <= this x dense bytes
    min_weight_elements: int = 64  # tiny tensors are not worth an extra op


@dataclass
class LayerStorage:
    """One weight tensor's decision, as recorded in the manifest."""

    tensor: str
    op: str
    shape: list[int]
    dtype: str
    storage: str
    sparsity: float  # fraction of zero elements
    block: list[int] | None = None  # stored block shape, e.g. [1, 4]
    block_sparsity: float | None = None
    dense_bytes: int = 0
    stored_bytes: int = 0
    reason: str = ""

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Plan:
    layers: list[LayerStorage] = field(default_factory=list)


def _block_shape(shape: tuple[int, ...], block: Block) -> list[int]:
    out = [1] * len(shape)
    out[block.dim] = block.size
    return out


def _candidate_blocks(shape: tuple[int, ...]) -> list[Block]:
    """Blocks tried for DENSIFY storage: none, and runs of 2..16 along the first and last dims."""
    cands = [Block(0, 1)]
    for dim in {0, len(shape) - 1}:
        for k in (2, 4, 8, 16):
            if shape[dim] % k == 0 and shape[dim] > k:
                cands.append(Block(dim, k))
    return cands


def smallest_encoding(dense: np.ndarray) -> SparseTensor:
    best = None
    for blk in _candidate_blocks(dense.shape):
        sp = encode(dense, blk)
        if best is None or sp.nbytes() < best.nbytes():
            best = sp
    assert best is not None
    return best


def _direct_fc_block(model: schema.ModelT, sg: schema.SubGraphT, op: schema.OperatorT,
                     w: schema.TensorT, dense: np.ndarray) -> tuple[Block | None, str]:
    """The block the sparse FC kernel reads for this weight, or None and why not."""
    k = FC_BLOCK.get(w.type)
    if k is None:
        return None, f"no sparse FULLY_CONNECTED kernel for {flatbuf.type_name(w.type)} weights"
    if dense.ndim != 2 or dense.shape[1] % k:
        return None, f"input size {dense.shape[-1]} is not a multiple of the 1x{k} block"
    if w.type == schema.TensorType.INT8:
        inp = sg.tensors[op.inputs[0]]
        if inp.type != schema.TensorType.INT8:
            return None, "int8 sparse FULLY_CONNECTED needs int8 activations (hybrid is not supported)"
        if dense.shape[1] // k > 256:
            return None, "int8 sparse FULLY_CONNECTED indexes blocks with uint8 (input size > 4096)"
    return Block(1, k), ""


def plan_and_apply(model: schema.ModelT, policy: Policy = Policy()) -> Plan:
    """Re-encode the weights of every subgraph in place; return what was decided per weight."""
    plan = Plan()
    for sg in model.subgraphs:
        _apply_subgraph(model, sg, policy, plan)
    return plan


def _apply_subgraph(model: schema.ModelT, sg: schema.SubGraphT, policy: Policy, plan: Plan) -> None:
    users = flatbuf.consumers(sg)
    densify_ops: list[schema.OperatorT] = []
    done: set[int] = set()
    for op in list(sg.operators or []):
        builtin = flatbuf.op_builtin(model, op)
        slot = WEIGHT_SLOT.get(builtin)
        if slot is None or slot >= len(op.inputs) or op.inputs[slot] < 0 or op.inputs[slot] in done:
            continue
        wi = op.inputs[slot]
        done.add(wi)
        w = sg.tensors[wi]
        dense = flatbuf.constant_array(model, w)
        if dense is None:
            continue
        rec = LayerStorage(tensor=flatbuf.tensor_name(w), op=flatbuf.op_name(model, op),
                           shape=list(dense.shape), dtype=flatbuf.type_name(w.type), storage=DENSE,
                           sparsity=float(np.mean(dense == 0)), dense_bytes=dense.nbytes,
                           stored_bytes=dense.nbytes)
        plan.layers.append(rec)
        if dense.size < policy.min_weight_elements or rec.sparsity == 0.0:
            rec.reason = "no zeros" if rec.sparsity == 0.0 else "too small"
            continue
        all_fc = all(flatbuf.op_builtin(model, sg.operators[oi]) == flatbuf.BuiltinOp.FULLY_CONNECTED
                     and s == 1 for oi, s in users[wi])
        if builtin == flatbuf.BuiltinOp.FULLY_CONNECTED and all_fc:
            block, why = _direct_fc_block(model, sg, op, w, dense)
            if block is not None:
                rec.block_sparsity = block_sparsity(dense, block)
                if rec.block_sparsity >= policy.min_direct_block_sparsity:
                    sp = encode(dense, block)
                    _store_sparse(model, w, sp, dense)
                    for oi, _ in users[wi]:
                        fc = sg.operators[oi]
                        fc.opcodeIndex = flatbuf.opcode_index(model, flatbuf.BuiltinOp.FULLY_CONNECTED,
                                                              FC_SPARSE_VERSION)
                    rec.storage, rec.block = DIRECT, _block_shape(dense.shape, block)
                    rec.stored_bytes = sp.nbytes()
                    continue
                why = (f"only {rec.block_sparsity:.0%} of its 1x{block.size} blocks are zero "
                       f"(direct sparse needs {policy.min_direct_block_sparsity:.0%})")
            if w.type == schema.TensorType.INT8:
                rec.reason = why + "; int8 FULLY_CONNECTED cannot take DENSIFY weights"
                continue
            rec.reason = why
        if w.type not in DENSIFY_TYPES:
            rec.reason = f"DENSIFY does not take {rec.dtype}"
            continue
        sp = smallest_encoding(dense)
        if sp.nbytes() > policy.max_densify_ratio * dense.nbytes:
            rec.reason = (rec.reason + "; " if rec.reason else "") + \
                f"sparse encoding saves too little ({sp.nbytes() / dense.nbytes:.2f}x)"
            continue
        densify_ops.append(_densify(model, sg, wi, sp, dense, users[wi]))
        rec.storage, rec.block = DENSIFY, _block_shape(dense.shape, sp.block)
        rec.stored_bytes = sp.nbytes()
    # DENSIFY ops run first: their outputs are constants every later op may read.
    sg.operators = densify_ops + list(sg.operators or [])


def _store_sparse(model: schema.ModelT, w: schema.TensorT, sp: SparseTensor, dense: np.ndarray) -> None:
    if not np.array_equal(decode(sp), dense):  # never write an encoding edgekit cannot read back
        raise AssertionError(f"sparse encoding of {flatbuf.tensor_name(w)} does not round-trip")
    flatbuf.set_buffer(model, w, sp.values.tobytes())
    w.sparsity = flatbuf.sparsity_params(sp)


def _densify(model: schema.ModelT, sg: schema.SubGraphT, wi: int, sp: SparseTensor, dense: np.ndarray,
             users: list[tuple[int, int]]) -> schema.OperatorT:
    """Store tensor `wi` sparse and feed its users from a new DENSIFY op's dense output."""
    w = sg.tensors[wi]
    out = schema.TensorT()
    out.name = (flatbuf.tensor_name(w) + "/densified").encode()
    out.shape = list(w.shape)
    out.type = w.type
    out.buffer = 0  # computed, not constant data
    out.quantization = w.quantization
    out.shapeSignature = w.shapeSignature
    out.hasRank = w.hasRank
    sg.tensors.append(out)
    oi_out = len(sg.tensors) - 1
    for oi, slot in users:
        sg.operators[oi].inputs[slot] = oi_out
    _store_sparse(model, w, sp, dense)
    op = schema.OperatorT()
    op.opcodeIndex = flatbuf.opcode_index(model, flatbuf.BuiltinOp.DENSIFY, 1)
    op.inputs = [wi]
    op.outputs = [oi_out]
    op.builtinOptionsType = schema.BuiltinOptions.DensifyOptions
    op.builtinOptions = schema.DensifyOptionsT()
    return op
