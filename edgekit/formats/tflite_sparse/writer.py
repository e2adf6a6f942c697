"""Post-process a dense .tflite (as litert-torch writes it) into TFLite's own sparse form.

    result = sparsify_bytes(dense_bytes)            # -> SparseResult(data, layers, xnnpack)
    result = write_sparse(src_path, out_path)       # same, written atomically

No TensorFlow: LiteRT's flatbuffer object API reads and writes the model. Every file is checked
with `check.check_model` before it is returned, so no sparse weight can reach a dense-reading kernel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ai_edge_litert import schema_py_generated as schema

from edgekit import atomic
from edgekit.errors import InvalidInputError
from edgekit.formats.tflite_sparse import flatbuf, xnnpack
from edgekit.formats.tflite_sparse.check import check_model
from edgekit.formats.tflite_sparse.storage import DENSE, LayerStorage, Policy, plan_and_apply

# FULLY_CONNECTED v8 and DENSIFY landed in TFLite 2.3; older runtimes must refuse the file.
MIN_RUNTIME = "2.3.0"


@dataclass
class SparseResult:
    data: bytes
    layers: list[LayerStorage] = field(default_factory=list)
    xnnpack: xnnpack.Qualification | None = None
    rewrites: list[str] = field(default_factory=list)

    @property
    def is_sparse(self) -> bool:
        return any(layer.storage != DENSE for layer in self.layers)

    def manifest_layers(self) -> dict[str, dict]:
        """Per-weight storage for edgekit.json's sparsity.layers."""
        return {layer.tensor: layer.to_json() for layer in self.layers}


def _version_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return (0,)


def _raise_min_runtime(model: schema.ModelT) -> None:
    for md in model.metadata or []:
        name = md.name.decode() if isinstance(md.name, bytes) else md.name
        if name != "min_runtime_version":
            continue
        buf = model.buffers[md.buffer]
        raw = bytes(buf.data if buf.data is not None else b"")
        current = raw.rstrip(b"\0").decode(errors="replace")
        if _version_tuple(current) < _version_tuple(MIN_RUNTIME):
            # the field is a fixed 16-byte, zero-padded string
            payload = MIN_RUNTIME.encode().ljust(max(16, len(raw)), b"\0")
            md.buffer = flatbuf.new_buffer(model, payload)  # the old buffer may be shared


def sparsify_bytes(data: bytes, policy: Policy | None = None, *, xnnpack_layout: bool = True) -> SparseResult:
    """The sparse form of a dense .tflite; `data` is returned untouched when nothing is sparse."""
    policy = policy or Policy()
    model = flatbuf.read(data)
    rewrites = xnnpack.normalize_for_sparse_inference(model) if xnnpack_layout else []
    layers = plan_and_apply(model, policy).layers
    result = SparseResult(data=data, layers=layers, rewrites=rewrites)
    if not result.is_sparse and not rewrites:
        result.xnnpack = xnnpack.qualify(model)
        return result
    _raise_min_runtime(model)
    check_model(model)
    result.data = flatbuf.write(model)
    result.xnnpack = xnnpack.qualify(model)
    return result


def write_sparse(src: str | os.PathLike[str], out: str | os.PathLike[str],
                 policy: Policy | None = None,
                 *, xnnpack_layout: bool = True) -> SparseResult:
    src = Path(src)
    if not src.is_file():
        raise InvalidInputError(f"no such .tflite file: {src}", hint="check the path")
    result = sparsify_bytes(src.read_bytes(), policy, xnnpack_layout=xnnpack_layout)
    atomic.write_bytes(out, result.data)
    return result
