"""The trained Fashion-MNIST LSNet (fmnist_lsnet, lsnet_mini architecture): loads by name in its fused
deployment form, scores what its checkpoint recorded, and an exported ONNX file predicts the same."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from edgekit import models
from edgekit.errors import InvalidInputError
from edgekit.models.lsnet import LSNet
from edgekit.models.lsnet.blocks import LSConv
from edgekit.models.lsnet.model import CONFIGS, stage_resolutions
from edgekit.models.trained import LSNET_TRAINED, weights_path
from edgekit.sparsity import describe
from edgekit.train import evaluate, load_model
from edgekit.train.modelref import resolve

AVAILABLE = [n for n in LSNET_TRAINED if weights_path(n).is_file()]
# A few points under the full-test-set accuracy of the committed weights (docs/ACCURACY.md, LSNet section)
FLOOR = {"fmnist_lsnet": 0.84, "fmnist_lsnet_s70": 0.80}
N = 500


def test_lsnet_mini_keeps_every_block_kind_on_32x32():
    assert stage_resolutions(32, CONFIGS["lsnet_mini"].stem_strides) == [16, 8, 4, 2]
    assert stage_resolutions(224) == [28, 14, 7, 4]  # the paper's stride-8 stem is unchanged
    model = models.create("lsnet_mini").eval()
    kinds = {type(m).__name__ for m in model.modules()}
    assert {"RepVGGDW", "SqueezeExcite", "LSConv", "SKA", "Attention"} <= kinds, kinds
    assert sum(isinstance(m, LSConv) for m in model.modules()) == 2
    with torch.no_grad():
        assert model(torch.randn(3, 1, 32, 32)).shape == (3, 10)


def test_the_dense_model_is_committed():
    assert "fmnist_lsnet" in AVAILABLE


@pytest.fixture(scope="module")
def subset():
    _, ref = resolve("fmnist_lsnet")
    return ref.load_data("fashion-mnist", "test", limit=N)


@pytest.mark.parametrize("name", AVAILABLE)
def test_trained_lsnet_loads_fused_and_is_accurate(name, subset):
    fused = models.create(name)
    trained, blob = load_model(weights_path(name))
    assert isinstance(trained, LSNet)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert models.input_spec(name).shape == (1, 1, 32, 32)
    x, _ = subset
    with torch.no_grad():
        torch.testing.assert_close(fused(x[:64]), trained.eval()(x[:64]), atol=1e-4, rtol=1e-4)
    acc = evaluate(fused, subset)
    assert acc == pytest.approx(blob["meta"]["test_acc"], abs=0.04)  # recorded on all 10,000 images
    assert acc > FLOOR[name]


@pytest.mark.skipif("fmnist_lsnet_s70" not in AVAILABLE, reason="sparse LSNet not trained in this checkout")
def test_sparse_lsnet_holds_70_percent_4x1_groups():
    info = describe(models.create("fmnist_lsnet_s70"))
    assert info["pattern"] in ("4x1", "8x1", "mixed")
    assert info["overall"]["sparse_layers_sparsity"] == pytest.approx(0.7, abs=0.01)
    assert all(v["pattern"] in ("4x1", "8x1") for v in info["layers"].values())


def test_exported_onnx_predicts_like_eager(tmp_path, subset):
    import onnxruntime as ort

    from edgekit.models.lsnet.targets import export_onnx

    model = models.create("fmnist_lsnet")
    x, y = subset
    export_onnx(model, x[:1], tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    logits = np.concatenate([session.run(None, {"input": x[i:i + 1].numpy()})[0] for i in range(N)])
    with torch.no_grad():
        eager = model(x).numpy()
    np.testing.assert_allclose(logits, eager, atol=1e-4, rtol=1e-4)
    assert (logits.argmax(1) == y.numpy()).mean() > FLOOR["fmnist_lsnet"]


def test_other_input_sizes_are_refused():
    if "fmnist_lsnet" not in AVAILABLE:
        pytest.skip("fmnist_lsnet not trained in this checkout")
    with pytest.raises(InvalidInputError, match="1x32x32"):
        models.create("fmnist_lsnet", input_size=28)
