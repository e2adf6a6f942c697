"""The issue's size targets on a real 90% group-sparse MobileNetV2 (pruned by edgekit.sparsity):
fp32 sparse file <= 0.4x the dense one, int8 <= 0.6x, with parity in both resolvers."""

from __future__ import annotations

import numpy as np
import pytest

from bench.tflite.models import convert_fp32, pruned_mobilenet_v2
from edgekit.formats.tflite_sparse import DENSIFY, DIRECT, sparsify_bytes

from .conftest import run

pytestmark = pytest.mark.slow
SHAPE = (1, 3, 96, 96)  # the file size does not depend on the input size; smaller is faster to run


def _int8_from_fp32(dense: bytes, x: np.ndarray) -> bytes:
    """Static int8 with ai-edge-quantizer on the fp32 file (calibrated on a few inputs)."""
    from ai_edge_litert.interpreter import Interpreter
    from ai_edge_quantizer import quantizer, recipe

    q = quantizer.Quantizer(dense)
    q.load_quantization_recipe(recipe.static_wi8_ai8())
    sigs = Interpreter(model_content=dense).get_signature_list()
    sig = next(iter(sigs))
    name = sigs[sig]["inputs"][0]
    rng = np.random.default_rng(0)
    calib = [{name: x}] + [{name: rng.standard_normal(SHAPE).astype(np.float32)} for _ in range(2)]
    return bytes(q.quantize(q.calibrate({sig: calib}, num_threads=1)).quantized_model)


def test_size_targets_and_parity():
    x = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    fp32 = convert_fp32(pruned_mobilenet_v2(0.9), SHAPE)
    _check(fp32, "fp32", 0.4, x)
    _check(_int8_from_fp32(fp32, x), "int8", 0.6, x)


def _check(dense: bytes, precision: str, limit: float, x: np.ndarray) -> None:
    result = sparsify_bytes(dense)
    ratio = len(result.data) / len(dense)
    assert ratio <= limit, f"{precision} sparse file is {ratio:.2f}x the dense one"
    storages = {(layer.op, layer.storage) for layer in result.layers}
    assert ("CONV_2D", DENSIFY) in storages and ("FULLY_CONNECTED", DIRECT) in storages
    if precision == "fp32":
        assert result.xnnpack.qualifies, result.xnnpack.reason
    for builtin_only in (False, True):
        y_dense, y_sparse = run(dense, x, builtin_only), run(result.data, x, builtin_only)
        if precision == "fp32":
            np.testing.assert_allclose(y_sparse, y_dense, rtol=1e-5, atol=1e-5 * np.abs(y_dense).max())
        else:
            assert np.abs(y_sparse.astype(np.int32) - y_dense.astype(np.int32)).max() <= 1
