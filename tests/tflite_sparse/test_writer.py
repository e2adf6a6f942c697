"""The sparse writer on real litert-torch files, executed by the real LiteRT interpreter."""

from __future__ import annotations

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from edgekit.errors import InvalidInputError
from edgekit.formats.tflite_sparse import (
    DENSE,
    DENSIFY,
    DIRECT,
    Policy,
    check_model,
    flatbuf,
    sparsify_bytes,
    violations,
    write_sparse,
)
from edgekit.formats.tflite_sparse.encoding import Block, encode

from .conftest import run

FC = schema.BuiltinOperator.FULLY_CONNECTED


def _fc_versions(data: bytes) -> list[int]:
    model = flatbuf.read(data)
    return [flatbuf.op_version(model, op) for op in model.subgraphs[0].operators
            if flatbuf.op_builtin(model, op) == FC]


def _by_op(result) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for layer in result.layers:
        out.setdefault(layer.op, []).append(layer.storage)
    return out


@pytest.fixture(scope="module")
def fp32_sparse(fp32_model):
    _, dense = fp32_model
    return dense, sparsify_bytes(dense)


def test_fp32_storage_choices_and_op_versions(fp32_sparse):
    dense, result = fp32_sparse
    by_op = _by_op(result)
    assert by_op["FULLY_CONNECTED"] == [DIRECT, DIRECT]
    assert sorted(by_op["CONV_2D"]) == [DENSE, DENSIFY, DENSIFY]  # stem dense, two 1x1 convs compressed
    assert by_op["DEPTHWISE_CONV_2D"] == [DENSE]
    assert all(v < 8 for v in _fc_versions(dense))
    assert _fc_versions(result.data) == [8, 8]
    assert len(result.data) < 0.45 * len(dense)
    for layer in result.layers:
        if layer.storage == DIRECT:
            assert layer.block == [1, 4] and layer.stored_bytes < 0.3 * layer.dense_bytes
    check_model(flatbuf.read(result.data))


@pytest.mark.parametrize("builtin_only", [False, True], ids=["default", "builtin_only"])
def test_fp32_parity_with_dense_file_and_eager(fp32_model, fp32_sparse, inputs, builtin_only):
    import torch

    model, _ = fp32_model
    dense, result = fp32_sparse
    y_dense = run(dense, inputs, builtin_only)
    y_sparse = run(result.data, inputs, builtin_only)
    assert np.isfinite(y_sparse).all()
    np.testing.assert_allclose(y_sparse, y_dense, rtol=1e-5, atol=1e-5 * np.abs(y_dense).max())
    with torch.no_grad():
        eager = model(torch.from_numpy(inputs)).numpy()
    np.testing.assert_allclose(y_sparse, eager, rtol=1e-4, atol=1e-4 * np.abs(eager).max())


@pytest.mark.parametrize("scheme", ["per_tensor", "per_channel"])
@pytest.mark.parametrize("builtin_only", [False, True], ids=["default", "builtin_only"])
def test_int8_parity_within_one_step(int8_files, inputs, scheme, builtin_only):
    dense = int8_files[scheme]
    result = sparsify_bytes(dense)
    by_op = _by_op(result)
    assert by_op["FULLY_CONNECTED"] == [DIRECT, DIRECT]
    assert DENSIFY in by_op["CONV_2D"]
    assert all(layer.block == [1, 16] for layer in result.layers if layer.storage == DIRECT)
    assert _fc_versions(result.data) == [8, 8]
    y_dense = run(dense, inputs, builtin_only)
    y_sparse = run(result.data, inputs, builtin_only)
    assert y_sparse.dtype == y_dense.dtype == np.int8
    assert np.abs(y_sparse.astype(np.int32) - y_dense.astype(np.int32)).max() <= 1
    assert len(result.data) < len(dense)


def test_int8_fc_below_the_direct_threshold_stays_dense_never_densify(int8_files):
    result = sparsify_bytes(int8_files["per_tensor"], Policy(min_direct_block_sparsity=0.99))
    fcs = [layer for layer in result.layers if layer.op == "FULLY_CONNECTED"]
    assert [layer.storage for layer in fcs] == [DENSE, DENSE]
    assert all("cannot take DENSIFY" in layer.reason for layer in fcs)
    assert all(v < 8 for v in _fc_versions(result.data))


def test_dense_fc_keeps_its_op_code_beside_a_sparse_one(fp32_model, inputs):
    """One FC sparse (v8), the other dense at the original version: both in the same file."""
    _, dense = fp32_model
    # head is 10x128: at 90% its 1x4 blocks are ~88% zero; a 0.89 threshold keeps it dense
    result = sparsify_bytes(dense, Policy(min_direct_block_sparsity=0.895))
    storages = [layer.storage for layer in result.layers if layer.op == "FULLY_CONNECTED"]
    versions = _fc_versions(result.data)
    assert DIRECT in storages and ({DENSIFY, DENSE} & set(storages))
    assert sorted(versions) == [min(_fc_versions(dense)), 8]
    np.testing.assert_allclose(run(result.data, inputs), run(dense, inputs), rtol=1e-5, atol=1e-6)


def test_nothing_worth_sparsifying_returns_the_input_untouched(fp32_model):
    _, dense = fp32_model
    never = Policy(min_direct_block_sparsity=1.01, max_densify_ratio=0.0)
    result = sparsify_bytes(dense, never, xnnpack_layout=False)
    assert result.data == dense and not result.is_sparse
    assert {layer.storage for layer in result.layers} == {DENSE}


def _force_sparse_fc_at_version(dense: bytes, version: int) -> bytes:
    """Deliberately build the trap: 1x4 sparse FC weights behind an FC op code of `version`."""
    model = flatbuf.read(dense)
    sg = model.subgraphs[0]
    fc = next(op for op in sg.operators if flatbuf.op_builtin(model, op) == FC)
    w = sg.tensors[fc.inputs[1]]
    sp = encode(flatbuf.constant_array(model, w), Block(1, 4))
    flatbuf.set_buffer(model, w, sp.values.tobytes())
    w.sparsity = flatbuf.sparsity_params(sp)
    fc.opcodeIndex = flatbuf.opcode_index(model, FC, version)
    return flatbuf.write(model)


def test_op_version_trap_gives_garbage_and_the_guard_catches_it(fp32_model, inputs):
    _, dense = fp32_model
    y_dense = run(dense, inputs)
    trap = _force_sparse_fc_at_version(dense, 5)
    # the trap is real: XNNPACK reads the packed values as dense weights, no error raised
    y_trap = run(trap, inputs)
    assert not np.allclose(y_trap, y_dense, rtol=1e-3, atol=1e-3) or not np.isfinite(y_trap).all()
    found = violations(flatbuf.read(trap))
    assert len(found) == 1 and "version 8" in found[0].problem
    with pytest.raises(InvalidInputError, match=r"unsafe sparse \.tflite"):
        check_model(flatbuf.read(trap))
    # the same encoding at version 8 is what the writer emits, and it is correct
    good = _force_sparse_fc_at_version(dense, 8)
    assert violations(flatbuf.read(good)) == []
    np.testing.assert_allclose(run(good, inputs), y_dense, rtol=1e-5, atol=1e-6)


def test_guard_rejects_sparse_weights_on_ops_that_read_dense(fp32_model):
    _, dense = fp32_model
    model = flatbuf.read(dense)
    sg = model.subgraphs[0]
    conv = next(op for op in sg.operators
                if flatbuf.op_builtin(model, op) == schema.BuiltinOperator.CONV_2D)
    w = sg.tensors[conv.inputs[1]]
    sp = encode(flatbuf.constant_array(model, w), Block(0, 1))
    flatbuf.set_buffer(model, w, sp.values.tobytes())
    w.sparsity = flatbuf.sparsity_params(sp)
    found = violations(model)
    assert len(found) == 1 and "CONV_2D" in found[0].op and "dense" in found[0].problem


def test_every_written_file_passes_the_guard_with_any_policy(fp32_model, int8_files):
    files = [fp32_model[1], *int8_files.values()]
    for data in files:
        for policy in (Policy(), Policy(min_direct_block_sparsity=0.0), Policy(max_densify_ratio=10.0)):
            out = sparsify_bytes(data, policy).data
            assert violations(flatbuf.read(out)) == []


def test_write_sparse_is_atomic_and_rejects_bad_input(tmp_path, fp32_model):
    _, dense = fp32_model
    src = tmp_path / "dense.tflite"
    src.write_bytes(dense)
    out = tmp_path / "sparse.tflite"
    result = write_sparse(src, out)
    assert out.read_bytes() == result.data
    assert result.manifest_layers() and all("storage" in v for v in result.manifest_layers().values())
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer at all")
    with pytest.raises(InvalidInputError, match="TFL3"):
        write_sparse(bad, tmp_path / "never.tflite")
    assert not (tmp_path / "never.tflite").exists()
    with pytest.raises(InvalidInputError, match="no such"):
        write_sparse(tmp_path / "missing.tflite", tmp_path / "never.tflite")


def test_min_runtime_version_is_raised(fp32_sparse):
    _, result = fp32_sparse
    model = flatbuf.read(result.data)
    md = next(m for m in model.metadata if m.name in (b"min_runtime_version", "min_runtime_version"))
    text = bytes(model.buffers[md.buffer].data).rstrip(b"\0").decode()
    assert tuple(int(p) for p in text.split(".")) >= (2, 3, 0)


def test_guard_reports_malformed_sparse_tensors(fp32_model):
    """A file whose CSR indices point past the weight is refused before any runtime reads it."""
    _, dense = fp32_model
    model = flatbuf.read(sparsify_bytes(dense).data)
    sg = model.subgraphs[0]
    w = next(t for t in sg.tensors if t.sparsity is not None and len(t.shape) == 2)
    w.sparsity.dimMetadata[1].arrayIndices.values[0] = 216  # beyond the I/4 blocks of any FC here
    found = violations(flatbuf.read(flatbuf.write(model)))
    assert found and "malformed" in found[0].problem
