"""XNNPACK sparse-inference qualification: which models qualify and which node breaks the others."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from edgekit.formats.tflite_sparse import Policy, flatbuf, qualify, sparsify_bytes

from .conftest import TinyNet, convert_fp32, prune_blocks, run


def test_sparse_tiny_mobilenet_qualifies_after_the_mean_fold(fp32_model, inputs):
    _, dense = fp32_model
    result = sparsify_bytes(dense)
    assert any("folded TRANSPOSE" in r for r in result.rewrites)
    q = result.xnnpack
    assert q.qualifies, q.reason
    assert q.conv1x1_zero_fraction >= 2 / 3 and q.chain_ops >= 4
    ops = [flatbuf.op_name(flatbuf.read(result.data), op)
           for op in flatbuf.read(result.data).subgraphs[0].operators]
    assert ops.count("TRANSPOSE") == 1  # only the NCHW->NHWC input transpose is left
    np.testing.assert_allclose(run(result.data, inputs), run(dense, inputs), rtol=1e-5, atol=1e-6)


def test_transpose_before_mean_is_named_as_the_breaker(fp32_model):
    _, dense = fp32_model
    q = sparsify_bytes(dense, xnnpack_layout=False).xnnpack
    assert not q.qualifies and q.breaking_op.startswith("TRANSPOSE")


def test_too_few_zeros_does_not_qualify(fp32_model):
    _, dense = fp32_model
    keep_dense = Policy(max_densify_ratio=0.0, min_direct_block_sparsity=1.01)
    q = sparsify_bytes(dense, keep_dense).xnnpack  # zeros are there, but not behind DENSIFY
    assert not q.qualifies and "behind DENSIFY" in q.reason
    assert not qualify(flatbuf.read(dense)).qualifies
    torch.manual_seed(1)
    unpruned = convert_fp32(TinyNet().eval())
    q = sparsify_bytes(unpruned).xnnpack
    assert not q.qualifies and "1x1-conv weights are zero" in q.reason
    assert q.conv1x1_zero_fraction < 0.01


class Full3x3Inside(TinyNet):
    def __init__(self) -> None:
        super().__init__()
        self.dw = nn.Conv2d(64, 64, 3, 1, 1)  # a full 3x3 conv where a depthwise one belongs


class StemStride1(TinyNet):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 1, 1)


def _pruned(model: TinyNet) -> TinyNet:
    prune_blocks(model.expand.weight, 4, 1, 0.9, 1)
    prune_blocks(model.project.weight, 4, 1, 0.9, 2)
    return model.eval()


def test_full_3x3_conv_in_the_span_is_the_breaker():
    torch.manual_seed(2)
    result = sparsify_bytes(convert_fp32(_pruned(Full3x3Inside())), Policy())
    q = result.xnnpack
    assert not q.qualifies and q.breaking_op.startswith("CONV_2D") and "1x1" in q.reason


def test_stride_1_stem_is_the_breaker():
    torch.manual_seed(3)
    q = sparsify_bytes(convert_fp32(_pruned(StemStride1()))).xnnpack
    assert not q.qualifies and q.breaking_op.startswith("CONV_2D") and "stride 2" in q.reason


def test_int8_never_qualifies(int8_files):
    q = sparsify_bytes(int8_files["per_tensor"]).xnnpack
    assert not q.qualifies and "fp32" in q.reason
