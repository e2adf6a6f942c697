"""The guard against silent garbage: every sparse tensor must reach only a kernel that reads it.

A sparse weight fed to FULLY_CONNECTED below version 8, or to any op other than DENSIFY, is read
as dense by XNNPACK or the builtin kernel: NaN or wrong numbers, no error. `check_model` finds
every such edge, in files edgekit writes (run before each write) and in any file a user hands in.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai_edge_litert import schema_py_generated as schema

from edgekit.errors import InvalidInputError
from edgekit.formats.tflite_sparse import flatbuf
from edgekit.formats.tflite_sparse.encoding import DENSE, SPARSE_CSR, decode
from edgekit.formats.tflite_sparse.storage import FC_BLOCK, FC_SPARSE_VERSION


@dataclass(frozen=True)
class Violation:
    subgraph: int
    tensor: str
    op: str
    problem: str

    def __str__(self) -> str:
        return f"sparse tensor {self.tensor!r} -> {self.op}: {self.problem}"


def _fc_layout_problem(t: schema.TensorT) -> str | None:
    """What keeps the FC sparse kernel from reading this layout, or None if it reads it."""
    p = t.sparsity
    dims = p.dimMetadata or []
    want = FC_BLOCK.get(t.type)
    if want is None:
        return f"no sparse FULLY_CONNECTED kernel for {flatbuf.type_name(t.type)}"
    if len(dims) != 3 or [d.format for d in dims] != [DENSE, SPARSE_CSR, DENSE] \
            or list(p.blockMap if p.blockMap is not None else []) != [1] or dims[2].denseSize != want:
        return f"layout is not [DENSE, CSR, DENSE {want}] with block_map [1]"
    return None


def violations(model: schema.ModelT) -> list[Violation]:
    found = []
    for si, sg in enumerate(model.subgraphs):
        users = flatbuf.consumers(sg)
        outputs = set(sg.outputs or [])
        for ti, t in enumerate(sg.tensors):
            if t.sparsity is None:
                continue
            name = flatbuf.tensor_name(t)
            try:
                decode(flatbuf.read_sparsity(t, model))
            except (InvalidInputError, KeyError, AttributeError, ValueError, IndexError) as exc:
                found.append(Violation(si, name, "-", f"malformed sparse tensor: {exc}"))
                continue
            if ti in outputs:
                found.append(Violation(si, name, "subgraph output", "sparse tensors cannot be outputs"))
            for oi, slot in users.get(ti, []):
                op = sg.operators[oi]
                builtin, version = flatbuf.op_builtin(model, op), flatbuf.op_version(model, op)
                label = f"{flatbuf.op_name(model, op)} v{version} (op {oi})"
                if builtin == flatbuf.BuiltinOp.DENSIFY:
                    continue
                if builtin != flatbuf.BuiltinOp.FULLY_CONNECTED or slot != 1:
                    found.append(Violation(si, name, label, "this op reads its inputs as dense"))
                elif version < FC_SPARSE_VERSION:
                    found.append(Violation(si, name, label,
                                           f"FULLY_CONNECTED reads sparse weights only at version "
                                           f"{FC_SPARSE_VERSION}; XNNPACK takes lower versions as dense"))
                elif (why := _fc_layout_problem(t)) is not None:
                    found.append(Violation(si, name, label, why))
    return found


def check_model(model: schema.ModelT) -> None:
    """Raise if any sparse tensor can reach a kernel that would read it as dense."""
    found = violations(model)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise InvalidInputError(f"unsafe sparse .tflite: {found[0]}{more}",
                                hint="write it with edgekit's sparse TFLite writer")
