"""The model zoo: architectures match the papers' parameter counts, options work, real weights load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from edgekit import data, models
from edgekit.errors import InvalidInputError, UnknownNameError

# Parameter counts of the reference definitions (papers / torchvision) at width 1.0, 1000 classes.
PARAMS = {"mobilenet_v1": 4_231_976, "mobilenet_v2": 3_504_872, "mobilenet_v3_small": 2_542_856,
          "mobilenet_v3_large": 5_483_032, "efficientnet_lite0": 4_652_008}


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_reference_parameter_count(name: str) -> None:
    kw = {"pretrained": False} if name == "efficientnet_lite0" else {}
    model = models.create(name, **kw)
    assert sum(p.numel() for p in model.parameters()) == PARAMS[name]
    assert not model.training


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_options_change_input_and_head(name: str) -> None:
    kw = {"num_classes": 7, "in_chans": 1, "input_size": 40}
    if name != "efficientnet_lite0":
        kw["width_mult"] = 0.5
    model = models.create(name, **kw)
    spec = models.input_spec(name, **kw)
    assert spec.shape == (1, 1, 40, 40) and len(spec.mean) == len(spec.std) == 1
    assert spec.labels is None  # a 7-class head is no longer ImageNet
    with torch.no_grad():
        out = model(torch.randn(2, 1, 40, 40))
        odd = model(torch.randn(1, 1, 33, 47))  # odd sizes run too (global pooling)
    assert out.shape == (2, 7) and odd.shape == (1, 7)
    assert torch.isfinite(out).all()


def test_width_multiplier_scales_channels() -> None:
    small = models.create("mobilenet_v2", width_mult=0.5, num_classes=10)
    big = models.create("mobilenet_v2", width_mult=1.0, num_classes=10)
    n_small = sum(p.numel() for p in small.features.parameters())
    n_big = sum(p.numel() for p in big.features.parameters())
    assert 0.2 < n_small / n_big < 0.4  # ~quadratic in width


def test_random_init_keeps_activations_alive() -> None:
    """Eval-mode random weights must not vanish: parity tests on random models need real signal."""
    torch.manual_seed(0)
    for name in ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large"):
        out = models.create(name, width_mult=0.5, input_size=32)(torch.randn(4, 3, 32, 32)).detach()
        assert out.std() > 1e-3, name
        assert (out.argmax(1) != out.argmax(1)[0]).any() or out.std() > 1e-2, name


def test_unknown_model_lists_valid_names() -> None:
    with pytest.raises(UnknownNameError) as err:
        models.create("mobilenet_v9")
    msg = str(err.value)
    assert "mobilenet_v9" in msg and "mobilenet_v2" in msg and "efficientnet_lite0" in msg


def test_bad_option_is_a_user_error() -> None:
    with pytest.raises(InvalidInputError, match="bad option"):
        models.create("mobilenet_v2", depth_mult=2)


def test_user_factory_and_declared_input(tmp_path) -> None:
    src = tmp_path / "net.py"
    src.write_text(
        "import torch\n"
        "INPUT_SHAPE = (1, 2, 12, 10)\n"
        "MEAN = (0.5, 0.5)\nSTD = (0.25, 0.25)\n"
        "def build(width=4):\n"
        "    return torch.nn.Sequential(torch.nn.Conv2d(2, width, 3), torch.nn.Flatten(), "
        "torch.nn.LazyLinear(3))\n")
    model = models.create(f"{src}:build", width=5)
    assert model[0].out_channels == 5
    spec = models.input_spec(f"{src}:build")
    assert spec.shape == (1, 2, 12, 10) and spec.mean == (0.5, 0.5)
    assert models.input_spec(f"{src}:build", input_shape=(2, 2, 8, 8)).shape == (2, 2, 8, 8)
    with pytest.raises(InvalidInputError, match="no callable 'nope'"):
        models.create(f"{src}:nope")
    with pytest.raises(InvalidInputError, match="does not exist"):
        models.create(f"{tmp_path / 'missing.py'}:build")


def test_user_model_without_declared_shape_needs_one(tmp_path) -> None:
    src = tmp_path / "plain.py"
    src.write_text("import torch\ndef make():\n    return torch.nn.Conv2d(3, 3, 1)\n")
    with pytest.raises(InvalidInputError, match="--input-shape"):
        models.input_spec(f"{src}:make")


def test_pt2_program_round_trip(tmp_path) -> None:
    net = models.create("mobilenet_v3_small", width_mult=0.5, num_classes=5, input_size=32)
    x = torch.randn(1, 3, 32, 32)
    path = tmp_path / "small.pt2"
    torch.export.save(torch.export.export(net, (x,)), str(path))
    loaded = models.create(str(path))
    assert torch.allclose(loaded(x), net(x), atol=1e-6)
    assert models.input_spec(str(path)).shape == (1, 3, 32, 32)
    path.write_bytes(b"not a zip")
    with pytest.raises(InvalidInputError, match=r"not a readable torch\.export program"):
        models.create(str(path))


def _top5(model: torch.nn.Module, spec, images) -> list[list[tuple[str, float]]]:
    labels = data.resolve_labels("imagenet")
    with torch.no_grad():
        probs = model(torch.from_numpy(data.to_input(images, spec))).softmax(-1).numpy()
    return [[(labels[i], float(p[i])) for i in np.argsort(-p)[:5]] for p in probs]


def test_efficientnet_lite0_real_weights_predict_sample_photos() -> None:
    """Real ImageNet weights: confident, sensible top-1 on scikit-learn's photos (a temple, a flower)."""
    model = models.create("efficientnet_lite0")
    spec = models.input_spec("efficientnet_lite0")
    china, flower = _top5(model, spec, data.load("sample-images").images)
    assert china[0][0] in {"palace", "monastery", "bell cote", "church", "castle", "stupa"}, china
    assert flower[0][0] in {"daisy", "bee", "sea anemone", "pot"}, flower
    assert china[0][1] > 0.25 and flower[0][1] > 0.25, (china[0], flower[0])
    # the same weights with symmetric padding (no TF SAME) would still run; ours must load every tensor
    random_head = models.create("efficientnet_lite0", num_classes=10)
    assert torch.equal(random_head.stem.conv.weight, model.stem.conv.weight)
