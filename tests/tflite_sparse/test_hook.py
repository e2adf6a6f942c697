"""The export hook: in-place rewrite of the file litert-torch wrote, manifest info keyed by torch names."""

from __future__ import annotations

import json

import numpy as np

from edgekit.formats.tflite_sparse import DENSE, DENSIFY, DIRECT, postprocess_tflite

from .conftest import run


def test_hook_rewrites_in_place_and_names_torch_layers(tmp_path, fp32_model, inputs):
    model, dense = fp32_model
    path = tmp_path / "model.tflite"
    path.write_bytes(dense)
    info = postprocess_tflite(path, model=model)
    assert info is not None
    storage = {name: entry["storage"] for name, entry in info["layers"].items()}
    assert storage == {"stem": DENSE, "expand": DENSIFY, "dw": DENSE, "project": DENSIFY,
                       "fc": DIRECT, "head": DIRECT}
    assert info["layers"]["fc"]["block"] == [1, 4] and info["layers"]["fc"]["tflite_tensor"]
    assert info["xnnpack_sparse_inference"]["qualifies"] is True
    json.dumps(info)  # goes into edgekit.json as is
    sparse = path.read_bytes()
    assert len(sparse) < len(dense)
    np.testing.assert_allclose(run(sparse, inputs), run(dense, inputs), rtol=1e-5, atol=1e-6)


def test_hook_disabled_or_nothing_sparse_leaves_the_file_alone(tmp_path, fp32_model):
    model, dense = fp32_model
    path = tmp_path / "model.tflite"
    path.write_bytes(dense)
    assert postprocess_tflite(path, model=model, enabled=False) is None
    assert path.read_bytes() == dense
    from edgekit.formats.tflite_sparse import Policy

    never = Policy(min_direct_block_sparsity=1.01, max_densify_ratio=0.0)
    assert postprocess_tflite(path, model=model, policy=never) is None
    assert path.read_bytes() == dense
