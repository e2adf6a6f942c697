"""LSNet through `edgekit export`: ExecuTorch, TFLite, ONNX in fp32 and int8, dense and 4x1-sparse.

The model is a small LSNet with every block kind (tests/lsnet/small_factory.py) at 96x96: the full-size
sizes go through the same code in bench/lsnet_bench.py (lowering lsnet_t takes minutes).
"""

from __future__ import annotations

import pytest
import torch

from edgekit import sparsity as sp
from edgekit.config import ExportConfig
from edgekit.export import export
from edgekit.models.lsnet.targets import export_onnx, onnx_op_types, parity, run_onnx, sample_images
from tests.lsnet.small_factory import small_lsnet_fused, small_lsnet_sparse

FACTORY = "tests/lsnet/small_factory.py"


@pytest.mark.slow
@pytest.mark.xdist_group("lsnet_export")
def test_small_lsnet_every_format_and_precision(tmp_path):
    cfg = ExportConfig(model=f"{FACTORY}:small_lsnet_fused", formats=["executorch", "tflite", "onnx"],
                       precisions=["fp32", "int8"], calib="sample-images", calib_n=8, eval_n=4,
                       out=str(tmp_path / "bundle"))
    artifacts = {(a["format"], a["precision"]): a for a in export(cfg).artifacts}
    assert len(artifacts) == 6
    for (fmt, precision), a in artifacts.items():
        p = a["parity"]
        if precision == "fp32":
            assert p["max_abs_diff"] <= 1e-5, (fmt, p)
        else:  # int8 drift, measured: cosine 0.9990-0.9999 on this model
            assert p["cosine"] >= 0.99, (fmt, p)
        assert p["top1_agreement"] == 1.0, (fmt, precision, p)
        assert (tmp_path / "bundle" / a["file"]).stat().st_size > 10_000


def test_onnx_graph_holds_only_standard_ops(tmp_path):
    """No GroupNormalization / custom domain: the decomposed form is what every runtime gets."""
    model = small_lsnet_fused()
    x = sample_images(1, 96)[0]
    deleg = export_onnx(model, x, tmp_path / "m.onnx")
    assert deleg.share == 1.0 and not deleg.left_out
    ops = onnx_op_types(tmp_path / "m.onnx")
    assert "GroupNormalization" not in ops and "BatchNormalization" not in ops
    assert {"Conv", "Mul", "Add", "Softmax", "ReduceMean", "MatMul"} <= set(ops)
    with torch.no_grad():
        p = parity(model(x).numpy(), run_onnx(tmp_path / "m.onnx", x))
    assert p["max_abs"] <= 1e-5


def test_sparsity_prunes_lsnet_1x1_convs_to_4x1_groups():
    dense, model = small_lsnet_fused(), small_lsnet_sparse(sparsity=0.7)
    layers = sp.describe(model)["layers"]
    convs = dict(model.named_modules())
    pruned_1x1 = [n for n, m in convs.items() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (1, 1)
                  and m.groups == 1]
    for required in ("ffn.m.pw1", "ffn.m.pw2", "lkp.cv1", "lkp.cv3", "lkp.cv4"):
        assert any(required in n for n in pruned_1x1), required
    for name in pruned_1x1:
        w = convs[name].weight
        assert sp.detect_pattern(w) in ("4x1", "8x1", "16x1"), name
        assert abs(float((w == 0).float().mean()) - 0.7) < 0.1, name
        assert name in layers
    # depthwise convs (incl. SKA's fixed one-hot shifts, which are buffers) are untouched
    for name, m in convs.items():
        if isinstance(m, torch.nn.Conv2d) and m.groups > 1:
            assert torch.equal(m.weight, dict(dense.named_modules())[name].weight), name


@pytest.mark.slow
@pytest.mark.xdist_group("lsnet_export")
def test_sparse_small_lsnet_exports_with_parity(tmp_path):
    cfg = ExportConfig(model=f"{FACTORY}:small_lsnet_sparse", formats=["onnx", "tflite", "executorch"],
                       precisions=["fp32"], eval_n=4, out=str(tmp_path / "sparse"),
                       sparse_backend=False)  # plain XNNPACK: edgekit's sparse backend is its own area's test
    result = export(cfg)
    assert result.manifest["sparsity"] is not None
    assert any("lkp.cv4" in name for name in result.manifest["sparsity"]["layers"])
    for a in result.artifacts:
        assert a["parity"]["max_abs_diff"] <= 1e-5, a
