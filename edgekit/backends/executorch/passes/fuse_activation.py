"""Fold a clamp (ReLU, ReLU6, hardtanh) into the op that produces its input.

Allowed when the producer is a conv or add whose result nobody else reads and which is not a
delegate output: the kernels apply the clamp while the result is still in registers.
"""

from __future__ import annotations

from edgekit.backends.executorch.program import OpKind, Program

_FUSABLE = {OpKind.CONV1X1, OpKind.DWCONV, OpKind.CONV, OpKind.ADD, OpKind.CLAMP}


def fuse_activations(program: Program) -> Program:
    changed = True
    while changed:
        changed = False
        producer = {op.output: op for op in program.ops}
        for op in list(program.ops):
            if op.kind != OpKind.CLAMP:
                continue
            src = producer.get(op.inputs[0])
            if src is None or src.kind not in _FUSABLE or src.output in program.outputs:
                continue
            same_dtype = program.values[src.output].dtype == program.values[op.output].dtype
            if len(program.users(src.output)) != 1 or not same_dtype:
                continue
            src.out_min = max(src.out_min, op.out_min)
            src.out_max = min(src.out_max, op.out_max)
            _rename(program, op.output, src.output)
            program.ops.remove(op)
            changed = True
            break
    return program


def _rename(program: Program, old: int, new: int) -> None:
    """Make every reader of `old` read `new`; `old` becomes unused (its record stays, harmlessly)."""
    for op in program.ops:
        op.inputs = [new if i == old else i for i in op.inputs]
    program.outputs = [new if i == old else i for i in program.outputs]
