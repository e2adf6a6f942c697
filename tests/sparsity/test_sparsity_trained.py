"""The committed Fashion-MNIST models: load by name, exact weights, declared input, real accuracy."""

import pytest
import torch

from edgekit import models
from edgekit.models.trained import TRAINED, weights_path
from edgekit.sparsity import describe, select_layers
from edgekit.train import evaluate, read_checkpoint
from edgekit.train.modelref import resolve

AVAILABLE = [n for n in TRAINED if weights_path(n).is_file()]
# Floors ~3 points under what the committed weights score on the full test set (docs/ACCURACY.md:
# 87.86 / 88.02 / 87.85 / 87.40 for dense / 50 / 70 / 90%). They guard these checkpoints against a
# silent regression (a re-prune that loses accuracy, a loader that mixes up weights).
FLOOR = {"fmnist_mobilenet_v2": 0.85, "fmnist_mobilenet_v2_s50": 0.85, "fmnist_mobilenet_v2_s70": 0.85,
         "fmnist_mobilenet_v2_s90": 0.84}


def test_default_model_weights_are_committed():
    assert "fmnist_mobilenet_v2" in AVAILABLE


@pytest.fixture(scope="module")
def test_subset():
    _, ref = resolve("fmnist_mobilenet_v2")
    return ref.load_data("fashion-mnist", "test", limit=1000)


@pytest.mark.parametrize("name", AVAILABLE)
def test_trained_model_loads_exactly_and_is_accurate(name, test_subset):
    model = models.create(name)
    blob = read_checkpoint(weights_path(name))
    for key, value in model.state_dict().items():
        assert torch.equal(value, blob["state_dict"][key]), key
    spec = models.input_spec(name)
    assert spec.shape == (1, 1, 28, 28) and spec.labels == "fashion-mnist" and spec.num_classes == 10
    acc = evaluate(model, test_subset)
    # recorded full-test-set accuracy, re-measured on the first 1,000 test images
    assert acc == pytest.approx(blob["meta"]["test_acc"], abs=0.03)
    assert acc > FLOOR[name]


@pytest.mark.parametrize("name", [n for n in AVAILABLE if TRAINED[n]])
def test_sparse_variants_carry_their_4x1_sparsity(name):
    model = models.create(name)
    info = describe(model)
    assert info["pattern"] == "4x1" or info["pattern"] == "8x1" or info["pattern"] == "mixed"
    selected = select_layers(model)
    assert set(info["layers"]) <= set(selected)   # a sensitivity plan may leave sensitive layers dense
    assert all(v["pattern"] in ("4x1", "8x1") for v in info["layers"].values())
    weights = [m.weight.detach() for m in selected.values()]
    zeros = sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)
    assert zeros == pytest.approx(TRAINED[name], abs=0.01)   # of all selected weights, as planned
    assert info["target"] == TRAINED[name]


def test_other_channel_counts_are_refused():
    from edgekit.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="1 channel and 10 classes"):
        models.create("fmnist_mobilenet_v2", in_chans=3)
