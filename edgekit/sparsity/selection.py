"""Which layers get pruned: 1x1 convolutions and linear layers by default, configurable by name pattern.

The first convolution (it sees raw pixels, is tiny and sensitive), depthwise convolutions (one weight
per input channel: nothing to group) and the classifier (the last Linear) are excluded unless asked.
Name patterns are fnmatch globs on module names from `model.named_modules()` (e.g. "features.1*").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatch

from torch import nn

from edgekit.errors import InvalidInputError


@dataclass(frozen=True)
class Selection:
    include: tuple[str, ...] = ()       # extra layers to prune (globs); any conv/linear kind
    exclude: tuple[str, ...] = ()       # layers never to prune (globs)
    first_conv: bool = False
    depthwise: bool = False
    classifier: bool = False
    kxk: bool = False                   # non-1x1 dense convolutions (e.g. 3x3 full convs)


def _kind(module: nn.Module) -> str | None:
    if isinstance(module, nn.Linear):
        return "linear"
    if isinstance(module, nn.Conv2d):
        if module.groups > 1 and module.groups == module.in_channels:
            return "depthwise"
        if module.groups > 1:
            return "grouped"
        return "1x1" if module.kernel_size == (1, 1) else "kxk"
    return None


def prunable_layers(model: nn.Module) -> dict[str, nn.Module]:
    """Every conv / linear layer with its kind, in module order."""
    return {name: m for name, m in model.named_modules() if _kind(m) is not None}


def select_layers(model: nn.Module, selection: Selection | None = None) -> dict[str, nn.Module]:
    """The layers to prune, in module order (name -> module)."""
    sel = selection or Selection()
    layers = prunable_layers(model)
    if not layers:
        raise InvalidInputError("the model has no convolution or linear layers to prune",
                                hint="prune a model built from nn.Conv2d / nn.Linear")
    names = list(layers)
    convs = [n for n in names if isinstance(layers[n], nn.Conv2d)]
    linears = [n for n in names if isinstance(layers[n], nn.Linear)]
    first = convs[0] if convs else None
    classifier = linears[-1] if linears else None
    for pattern in (*sel.include, *sel.exclude):
        if not any(fnmatch(n, pattern) for n in names):
            raise InvalidInputError(f"layer pattern {pattern!r} matches no conv/linear layer",
                                    hint=f"layer names look like {', '.join(names[:3])}, ...")
    chosen: dict[str, nn.Module] = {}
    for name in names:
        module = layers[name]
        kind = _kind(module)
        if any(fnmatch(name, p) for p in sel.exclude):
            continue
        if any(fnmatch(name, p) for p in sel.include):
            chosen[name] = module
            continue
        if name in (first, classifier):
            if sel.first_conv if name == first else sel.classifier:
                chosen[name] = module
            continue
        if (kind in ("1x1", "linear") or (kind == "depthwise" and sel.depthwise)
                or (kind in ("kxk", "grouped") and sel.kxk)):
            chosen[name] = module
    return chosen


def parse_globs(values: Sequence[str] | None) -> tuple[str, ...]:
    """Flags may repeat or hold comma lists: --exclude a,b --exclude c."""
    out: list[str] = []
    for v in values or ():
        out += [s.strip() for s in v.split(",") if s.strip()]
    return tuple(out)
