"""The model zoo: a decorator registry of export-friendly vision models plus user models.

    model = edgekit.models.create("mobilenet_v2", width_mult=0.5, num_classes=10, in_chans=1, input_size=32)
    spec = edgekit.models.input_spec("mobilenet_v2", in_chans=1, input_size=32)   # shape (1, 1, 32, 32)
    edgekit.models.create("path/to/file.py:factory_fn")       # a user factory (may declare INPUT_SHAPE)
    edgekit.models.create("model.pt2")                        # a saved torch.export program

To add a model: a module here with `@register_model("name", **meta)` and one import line below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from edgekit.errors import InvalidInputError
from edgekit.models import efficientnet_lite as efficientnet_lite  # models register on import
from edgekit.models import lsnet as lsnet
from edgekit.models import mobilenet_v1 as mobilenet_v1
from edgekit.models import mobilenet_v2 as mobilenet_v2
from edgekit.models import mobilenet_v3 as mobilenet_v3
from edgekit.models import trained as trained
from edgekit.models.registry import IMAGENET, MODELS, InputSpec, register_model, spec_from_meta
from edgekit.models.user import (
    create_from_file,
    is_user_model,
    load_exported_program,
    load_factory_module,
    pt2_input_shape,
)

__all__ = ["IMAGENET", "MODELS", "InputSpec", "create", "input_spec", "names", "register_model"]


def names() -> list[str]:
    return MODELS.names()


def create(name_or_path: str, **kw: Any) -> nn.Module:
    """Build a model in eval mode: a registered name, `file.py:factory_fn`, or a `.pt2` program."""
    if name_or_path.endswith(".pt2"):
        if kw:
            raise InvalidInputError(f"a .pt2 program takes no model options (got {', '.join(kw)})",
                                    hint="drop the model options")
        return load_exported_program(name_or_path).module()
    if is_user_model(name_or_path):
        model = create_from_file(name_or_path, **kw)
    else:
        factory = MODELS.get(name_or_path)
        try:
            model = factory(**kw)
        except TypeError as exc:
            raise InvalidInputError(f"bad option for model {name_or_path!r}: {exc}",
                                    hint="options: width_mult, num_classes, in_chans, input_size") from None
    return model.eval()


def input_spec(name_or_path: str, input_shape: Sequence[int] | None = None, **kw: Any) -> InputSpec:
    """The input the model declares (after `kw` overrides); `input_shape` (N,C,H,W) overrides the shape.

    User models declare theirs with module-level INPUT_SHAPE (and optional MEAN, STD, LABELS) in the
    factory's file; a .pt2 program with its example inputs. Without one, pass input_shape.
    """
    if name_or_path.endswith(".pt2"):
        shape = input_shape or pt2_input_shape(load_exported_program(name_or_path))
        return _user_spec(name_or_path, shape, {})
    if is_user_model(name_or_path):
        _, module = load_factory_module(name_or_path)
        declared = getattr(module, "INPUT_SHAPE", None)
        return _user_spec(name_or_path, input_shape or declared, vars(module))
    spec = spec_from_meta(MODELS.meta(name_or_path), kw)
    return spec.with_shape(_check_shape(input_shape, name_or_path)) if input_shape else spec


def _check_shape(shape: Sequence[int] | None, name: str) -> tuple[int, ...]:
    if shape is None:
        raise InvalidInputError(f"model {name!r} does not declare its input shape",
                                hint="pass --input-shape N,C,H,W")
    shape = tuple(int(s) for s in shape)
    if len(shape) != 4 or any(s <= 0 for s in shape):
        raise InvalidInputError(f"input shape {shape} is not N,C,H,W with positive sizes",
                                hint="pass --input-shape N,C,H,W, e.g. 1,3,224,224")
    return shape


def _user_spec(name: str, shape: Sequence[int] | None, ns: dict[str, Any]) -> InputSpec:
    shape = _check_shape(shape, name)
    c = shape[1]
    mean = tuple(ns.get("MEAN", (0.0,) * c))
    std = tuple(ns.get("STD", (1.0,) * c))
    labels = ns.get("LABELS")
    return InputSpec(shape, mean, std, labels=list(labels) if labels else None).with_shape(shape)
