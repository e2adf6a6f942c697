"""Small helpers over LiteRT's flatbuffer object API (`ModelT`): read/write, tensors as arrays,
op codes, consumers, and the sparsity field."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from ai_edge_litert import schema_py_generated as schema
from ai_edge_litert.tools import flatbuffer_utils

from edgekit.errors import InvalidInputError
from edgekit.formats.tflite_sparse.encoding import SPARSE_CSR, Level, SparseTensor, narrowest_index_dtype

BuiltinOp = schema.BuiltinOperator
TensorType = schema.TensorType

# TFLite tensor type -> numpy dtype, for the types whose weights edgekit re-encodes.
_NP_DTYPES = {
    TensorType.FLOAT32: np.float32,
    TensorType.FLOAT16: np.float16,
    TensorType.INT8: np.int8,
    TensorType.UINT8: np.uint8,
    TensorType.INT32: np.int32,
    TensorType.INT64: np.int64,
    TensorType.INT16: np.int16,
}
_PLACEHOLDER_FOR_GREATER_OP_CODES = 127


def read(data: bytes) -> schema.ModelT:
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise InvalidInputError("not a .tflite flatbuffer (no TFL3 identifier)",
                                hint="pass a file written by litert-torch or the TFLite converter")
    return flatbuffer_utils.read_model_from_bytearray(bytearray(data))


def write(model: schema.ModelT) -> bytes:
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def op_builtin(model: schema.ModelT, op: schema.OperatorT) -> int:
    code = model.operatorCodes[op.opcodeIndex]
    return max(code.builtinCode, code.deprecatedBuiltinCode)


def op_version(model: schema.ModelT, op: schema.OperatorT) -> int:
    return model.operatorCodes[op.opcodeIndex].version


def op_name(model: schema.ModelT, op: schema.OperatorT) -> str:
    return flatbuffer_utils.opcode_to_name(model, op.opcodeIndex) or "CUSTOM"


def opcode_index(model: schema.ModelT, builtin: int, version: int) -> int:
    """Index of the op code (builtin, version), added to the model if missing."""
    for i, code in enumerate(model.operatorCodes):
        if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin and code.version == version \
                and not code.customCode:
            return i
    code = schema.OperatorCodeT()
    code.builtinCode = builtin
    code.deprecatedBuiltinCode = min(builtin, _PLACEHOLDER_FOR_GREATER_OP_CODES)
    code.version = version
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def tensor_name(t: schema.TensorT) -> str:
    name = t.name
    return name.decode(errors="replace") if isinstance(name, bytes) else str(name)


def constant_array(model: schema.ModelT, t: schema.TensorT) -> np.ndarray | None:
    """The tensor's constant value as a dense array, or None if it has no (dense) data."""
    if t.sparsity is not None or t.buffer <= 0 or t.buffer >= len(model.buffers):
        return None
    data = model.buffers[t.buffer].data
    dtype = _NP_DTYPES.get(t.type)
    if data is None or dtype is None or t.shape is None:
        return None
    flat = np.frombuffer(bytes(np.asarray(data, dtype=np.uint8)), dtype=dtype)
    shape = [int(d) for d in t.shape]
    if flat.size != int(np.prod(shape, dtype=np.int64)):
        return None
    return flat.reshape(shape)


def consumers(subgraph: schema.SubGraphT) -> dict[int, list[tuple[int, int]]]:
    """tensor index -> [(operator index, input slot)]."""
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for oi, op in enumerate(subgraph.operators or []):
        for slot, ti in enumerate(op.inputs or []):
            if ti >= 0:
                out[ti].append((oi, slot))
    return out


def producers(subgraph: schema.SubGraphT) -> dict[int, int]:
    return {ti: oi for oi, op in enumerate(subgraph.operators or []) for ti in (op.outputs or [])}


def buffer_users(model: schema.ModelT) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for sg in model.subgraphs:
        for t in sg.tensors:
            counts[t.buffer] += 1
    return counts


def new_buffer(model: schema.ModelT, payload: bytes) -> int:
    buf = schema.BufferT()
    buf.data = np.frombuffer(payload, dtype=np.uint8).copy()
    model.buffers.append(buf)
    return len(model.buffers) - 1


def set_buffer(model: schema.ModelT, t: schema.TensorT, payload: bytes) -> None:
    """Give `t` its own buffer holding `payload` (never overwrite a buffer another tensor shares)."""
    if buffer_users(model)[t.buffer] > 1:
        t.buffer = new_buffer(model, payload)
    else:
        model.buffers[t.buffer].data = np.frombuffer(payload, dtype=np.uint8).copy()


def _index_vector(arr: np.ndarray) -> tuple[int, object]:
    dtype = narrowest_index_dtype(arr)
    kind, cls = {
        np.uint8: (schema.SparseIndexVector.Uint8Vector, schema.Uint8VectorT),
        np.uint16: (schema.SparseIndexVector.Uint16Vector, schema.Uint16VectorT),
        np.int32: (schema.SparseIndexVector.Int32Vector, schema.Int32VectorT),
    }[dtype]
    vec = cls()
    vec.values = arr.astype(dtype).tolist()
    return kind, vec


def sparsity_params(sp: SparseTensor) -> schema.SparsityParametersT:
    params = schema.SparsityParametersT()
    params.traversalOrder = list(sp.traversal_order)
    params.blockMap = list(sp.block_map)
    params.dimMetadata = []
    for lvl in sp.levels:
        dm = schema.DimensionMetadataT()
        dm.format = lvl.format
        if lvl.format == SPARSE_CSR:
            dm.arraySegmentsType, dm.arraySegments = _index_vector(lvl.segments)
            dm.arrayIndicesType, dm.arrayIndices = _index_vector(lvl.indices)
        else:
            dm.denseSize = lvl.dense_size
        params.dimMetadata.append(dm)
    return params


def _ints(seq) -> list[int]:
    return [] if seq is None else [int(x) for x in seq]


def read_sparsity(t: schema.TensorT, model: schema.ModelT) -> SparseTensor:
    """The inverse of `sparsity_params` + packed buffer (for checks and tests)."""
    p = t.sparsity
    levels = []
    for dm in p.dimMetadata:
        if dm.format == SPARSE_CSR:
            levels.append(Level(SPARSE_CSR, segments=np.asarray(dm.arraySegments.values, dtype=np.int64),
                                indices=np.asarray(dm.arrayIndices.values, dtype=np.int64)))
        else:
            levels.append(Level(dm.format, dense_size=int(dm.denseSize)))
    dtype = _NP_DTYPES[t.type]
    data = model.buffers[t.buffer].data
    values = np.frombuffer(bytes(np.asarray(data, dtype=np.uint8)), dtype=dtype)
    return SparseTensor(shape=tuple(int(d) for d in t.shape),
                        traversal_order=_ints(p.traversalOrder), block_map=_ints(p.blockMap),
                        levels=levels, values=values)


def type_name(tensor_type: int) -> str:
    return flatbuffer_utils.type_to_name(tensor_type).lower()
