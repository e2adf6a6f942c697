"""Give every intermediate value a scratch slot, reusing slots whose value is dead (greedy by size).

Delegate inputs and outputs keep slot -1: they live in ExecuTorch's tensors. An op never writes a
slot it also reads, which the C++ validator checks.
"""

from __future__ import annotations

from edgekit.backends.executorch.program import Program


def assign_slots(program: Program) -> Program:
    boundary = set(program.inputs) | set(program.outputs)
    last_use: dict[int, int] = {}
    for i, op in enumerate(program.ops):
        for v in op.inputs:
            last_use[v] = i
    free: list[int] = []  # slot ids
    slot_size: list[int] = []
    live: dict[int, int] = {}  # value -> slot
    for v in program.values:
        v.slot = -1
    for i, op in enumerate(program.ops):
        out = op.output
        if out not in boundary:
            need = _numel(program, out)
            # Best fit among free slots: the smallest that is big enough, else grow the biggest.
            fits = [s for s in free if slot_size[s] >= need]
            if fits:
                slot = min(fits, key=lambda s: slot_size[s])
            elif free:
                slot = max(free, key=lambda s: slot_size[s])
                slot_size[slot] = need
            else:
                slot = len(slot_size)
                slot_size.append(need)
            if slot in free:
                free.remove(slot)
            program.values[out].slot = slot
            live[out] = slot
            if out not in last_use:  # written but never read: free right away
                free.append(live.pop(out))
        # Inputs whose last reader is this op are dead after it (not before: no aliasing).
        for v in set(op.inputs):
            if last_use.get(v) == i and v in live:
                free.append(live.pop(v))
    return program


def _numel(program: Program, value: int) -> int:
    c, h, w = program.values[value].shape
    return c * h * w
