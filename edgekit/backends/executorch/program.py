"""The delegate program: a list of CHW ops over values, and its binary form (blob v3: v2 added the fp32
CONV, v3 the int8 one).

The byte layout is specified in native/executorch/src/program_format.h; the C++ side validates it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

MAGIC = b"EKXB"
VERSION = 3
NONE_ID = 0xFFFFFFFF
DATA_ALIGN = 64
_HEADER = struct.Struct("<4s7I")
_VALUE = struct.Struct("<I3ifiiI")
_OP = struct.Struct("<4I8i8f2Q")


class DType(IntEnum):
    F32 = 1
    QS8 = 2


class OpKind(IntEnum):
    CONV1X1 = 1
    DWCONV = 2
    ADD = 3
    CLAMP = 4
    HARDSWISH = 5
    GAVGPOOL = 6
    CONV = 7  # dense stem convolution (few input channels), fp32 (v2) and int8 (v3)


@dataclass
class Value:
    shape: tuple[int, int, int]  # C, H, W
    dtype: DType = DType.F32
    scale: float = 0.0
    zero_point: int = 0
    slot: int = -1  # -1: delegate input/output


@dataclass
class Op:
    kind: OpKind
    inputs: list[int]
    output: int
    ints: list[int] = field(default_factory=list)
    out_min: float = float("-inf")
    out_max: float = float("inf")
    data: bytes = b""
    # Not serialized: what passes need (unpacked weights before packing, source node names).
    attrs: dict = field(default_factory=dict)


@dataclass
class Program:
    values: list[Value] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)

    def add_value(self, shape: tuple[int, int, int], dtype: DType = DType.F32) -> int:
        self.values.append(Value(tuple(int(d) for d in shape), dtype))
        return len(self.values) - 1

    def users(self, value_id: int) -> list[Op]:
        return [op for op in self.ops if value_id in op.inputs]

    def to_bytes(self) -> bytes:
        num_slots = max((v.slot for v in self.values), default=-1) + 1
        out = bytearray(_HEADER.pack(MAGIC, VERSION, _HEADER.size, len(self.values), len(self.inputs),
                                     len(self.outputs), len(self.ops), num_slots))
        for v in self.values:
            out += _VALUE.pack(int(v.dtype), *v.shape, float(v.scale), int(v.zero_point), int(v.slot), 0)
        out += struct.pack(f"<{len(self.inputs) + len(self.outputs)}I", *self.inputs, *self.outputs)
        out += b"\0" * (-len(out) % 8)
        data_start = len(out) + _OP.size * len(self.ops)
        payload = bytearray()
        records = []
        for op in self.ops:
            offset = 0
            if op.data:
                payload += b"\0" * (-(data_start + len(payload)) % DATA_ALIGN)
                offset = data_start + len(payload)
                payload += op.data
            ins = list(op.inputs) + [NONE_ID] * (2 - len(op.inputs))
            ints = list(op.ints) + [0] * (8 - len(op.ints))
            floats = [op.out_min, op.out_max] + [0.0] * 6
            records.append(
                _OP.pack(int(op.kind), ins[0], ins[1], op.output, *ints, *floats, offset, len(op.data))
            )
        for rec in records:
            out += rec
        out += payload
        return bytes(out)


def f32_bytes(*arrays: np.ndarray) -> bytes:
    return b"".join(np.ascontiguousarray(a, dtype="<f4").tobytes() for a in arrays)
