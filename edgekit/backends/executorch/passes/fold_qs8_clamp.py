"""Fold an int8 clamp that has its own qparams (dq -> ReLU6 -> q) into the op that produces its input.

XNNPACK runs conv -> q -> dq -> hardtanh -> q as one convolution that requantizes straight into the
clamp's output qparams with the clamp bounds fused (one rounding, not two), so the backend does the
same to agree with it: the producer writes the clamp's output value and takes its bounds. Not done
when the intermediate value is read elsewhere or either value is a delegate output (XNNPACK keeps a
separate clamp at its partition boundary too).
"""

from __future__ import annotations

from edgekit.backends.executorch.preprocess_qs8 import quantize_bound
from edgekit.backends.executorch.program import DType, OpKind, Program

_PRODUCERS = {OpKind.CONV1X1, OpKind.DWCONV, OpKind.CONV, OpKind.ADD}


def fold_qs8_clamps(program: Program) -> Program:
    producer = {op.output: op for op in program.ops}
    for op in list(program.ops):
        int8_table = "bounds" in op.attrs and program.values[op.output].dtype == DType.QS8
        if op.kind != OpKind.CLAMP or not int8_table:
            continue
        src = producer.get(op.inputs[0])
        mid = op.inputs[0]
        if (src is None or src.kind not in _PRODUCERS or len(program.users(mid)) != 1
                or mid in program.outputs or op.output in program.outputs):
            continue
        y = program.values[op.output]
        lo, hi = op.attrs["bounds"]
        src.out_min = float(max(-128, quantize_bound(lo, y.scale, y.zero_point)))
        src.out_max = float(min(127, quantize_bound(hi, y.scale, y.zero_point)))
        src.output = op.output
        producer[op.output] = src
        program.ops.remove(op)
    return program
