"""Models trained by edgekit on real data, with committed weights (edgekit/models/weights/).

    fmnist_mobilenet_v2        MobileNetV2 x0.5, 1x28x28 Fashion-MNIST, dense (the built-in default)
    fmnist_mobilenet_v2_s50    the same, 50% of its 1x1 conv weights pruned in 4x1 groups (per-layer
                               levels from a sensitivity plan), fine-tuned with distillation
    fmnist_mobilenet_v2_s70    70%
    fmnist_mobilenet_v2_s90    90%
    fmnist_lsnet               LSNet (lsnet_mini: every LSNet block kind), 1x32x32 Fashion-MNIST, dense
    fmnist_lsnet_s70           the same, 70% 4x1 group sparsity in its 1x1 convs, fine-tuned

Each weight file is an edgekit model checkpoint (edgekit.train.checkpoint): the zoo name + options the
network is rebuilt from and its exact state_dict. How they were made: scripts/train_default.sh and
docs/ACCURACY.md. The LSNet ones load in their deployment form (model.fuse()); the commands that made
them are in docs/LSNET.md ("Trained on Fashion-MNIST").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import nn

from edgekit.errors import InvalidInputError
from edgekit.models.registry import register_model

WEIGHTS_DIR = Path(__file__).parent / "weights"
FASHION_MNIST_MEAN = (0.2860,)
FASHION_MNIST_STD = (0.3530,)
FMNIST_META: dict[str, Any] = {"input_size": 28, "in_chans": 1, "num_classes": 10, "mean": FASHION_MNIST_MEAN,
                               "std": FASHION_MNIST_STD, "labels": "fashion-mnist", "resize": None,
                               "pretrained": True, "source": "edgekit (trained on Fashion-MNIST)"}


def weights_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.pt"


def load_trained(name: str) -> nn.Module:
    """Rebuild the network from its checkpoint and load the weights exactly (eval mode)."""
    from edgekit.train.checkpoint import load_model

    path = weights_path(name)
    if not path.is_file():
        raise InvalidInputError(f"the weights of {name} are not in {WEIGHTS_DIR}",
                                hint="re-create them with scripts/train_default.sh")
    model, blob = load_model(path)
    plan = blob["meta"].get("plan")
    if plan:
        model.edgekit_sparsity_plan = plan  # describe() reports the target it was pruned to
    return model


def _factory(name: str) -> Callable[..., nn.Module]:
    def factory(input_size: int = 28, in_chans: int = 1, num_classes: int = 10) -> nn.Module:
        if (in_chans, num_classes) != (1, 10):
            raise InvalidInputError(f"{name} is trained for 1 channel and 10 classes",
                                    hint="use mobilenet_v2 for other input channels or class counts")
        return load_trained(name)  # the network is size-agnostic; input_size only sets the declared input

    factory.__name__ = name
    factory.__doc__ = f"{name}: trained weights from {weights_path(name).name}"
    return factory


TRAINED = {"fmnist_mobilenet_v2": None, "fmnist_mobilenet_v2_s50": 0.5, "fmnist_mobilenet_v2_s70": 0.7,
           "fmnist_mobilenet_v2_s90": 0.9}
DEFAULT_MODEL = "fmnist_mobilenet_v2"

for _name, _target in TRAINED.items():
    if not weights_path(_name).is_file():  # a variant not trained in this checkout: not offered
        continue
    _pattern = "4x1" if _target else None
    register_model(_name, **FMNIST_META, sparsity=_target, pattern=_pattern)(_factory(_name))


# LSNet: trained in the training form, offered fused (BNs folded, RepVGG branches merged) for export.
# Its attention bias is sized for the 32x32 grid it was trained on, so the input size is fixed.
LSNET_TRAINED = {"fmnist_lsnet": None, "fmnist_lsnet_s70": 0.7}
LSNET_META = FMNIST_META | {"input_size": 32}


def _lsnet_factory(name: str) -> Callable[..., nn.Module]:
    def factory(input_size: int = 32, in_chans: int = 1, num_classes: int = 10) -> nn.Module:
        if (input_size, in_chans, num_classes) != (32, 1, 10):
            raise InvalidInputError(f"{name} is trained for 1x32x32 inputs and 10 classes",
                                    hint="use lsnet_mini (random init) for other sizes or class counts")
        model = load_trained(name)
        plan = getattr(model, "edgekit_sparsity_plan", None)
        fused = model.fuse()
        if plan:
            fused.edgekit_sparsity_plan = plan
        return fused

    factory.__name__ = name
    factory.__doc__ = f"{name}: trained LSNet weights from {weights_path(name).name}, fused"
    return factory


for _name, _target in LSNET_TRAINED.items():
    if weights_path(_name).is_file():
        register_model(_name, **LSNET_META, sparsity=_target,
                       pattern="4x1" if _target else None)(_lsnet_factory(_name))
