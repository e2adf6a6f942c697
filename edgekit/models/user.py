"""User models: `path/to/file.py:factory_fn` and saved torch.export programs (`.pt2`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

from edgekit.errors import InvalidInputError


def is_user_model(name: str) -> bool:
    return name.endswith(".pt2") or ".py:" in name or name.endswith(".py")


def load_factory_module(spec: str) -> tuple[nn.Module, Any]:
    """Import `file.py` and call `factory`; returns the module and the file's namespace."""
    path_str, _, fn_name = spec.rpartition(":") if ".py:" in spec else (spec, ":", "")
    path = Path(path_str)
    if not fn_name:
        raise InvalidInputError(f"user model {spec!r} names no factory",
                                hint="use path/to/file.py:factory_fn")
    if not path.is_file():
        raise InvalidInputError(f"user model file {path} does not exist",
                                hint="pass an existing path/to/file.py:factory_fn")
    mod_name = f"edgekit_user_{abs(hash(path.resolve()))}"
    import_spec = importlib.util.spec_from_file_location(mod_name, path)
    if import_spec is None or import_spec.loader is None:
        raise InvalidInputError(f"cannot import {path}", hint="pass a Python source file")
    module = importlib.util.module_from_spec(import_spec)
    sys.modules[mod_name] = module
    try:
        import_spec.loader.exec_module(module)
    except Exception as exc:
        raise InvalidInputError(f"importing {path} failed: {type(exc).__name__}: {exc}",
                                hint="fix the model file (run it with python to see the traceback)") from exc
    factory = getattr(module, fn_name, None)
    if not callable(factory):
        found = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise InvalidInputError(f"{path} has no callable {fn_name!r}",
                                hint=f"callables in it: {', '.join(found)}")
    return factory, module


def create_from_file(spec: str, **kw: Any) -> nn.Module:
    factory, _ = load_factory_module(spec)
    model = factory(**kw)
    if not isinstance(model, nn.Module):
        raise InvalidInputError(f"{spec} returned {type(model).__name__}, not a torch.nn.Module",
                                hint="make the factory return an nn.Module")
    return model


def load_exported_program(path: str) -> torch.export.ExportedProgram:
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"exported program {p} does not exist", hint="pass an existing .pt2 file")
    try:
        return torch.export.load(str(p))
    except Exception as exc:
        raise InvalidInputError(f"{p} is not a readable torch.export program ({type(exc).__name__})",
                                hint="save it with torch.export.save(torch.export.export(model, args), path)"
                                ) from exc


def pt2_input_shape(ep: torch.export.ExportedProgram) -> tuple[int, ...] | None:
    """The shape of the program's single tensor input, from its example inputs."""
    args = ep.example_inputs[0] if ep.example_inputs else ()
    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    return tuple(tensors[0].shape) if len(tensors) == 1 else None
