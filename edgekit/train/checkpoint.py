"""Model checkpoints: a registry model name + its options + a state_dict, so they rebuild exactly.

    save_model("fmnist.pt", model, "mobilenet_v2", {"width_mult": 0.5, ...}, meta={"test_acc": 0.92})
    model, info = load_model("fmnist.pt")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from edgekit.atomic import atomic_file
from edgekit.errors import InvalidInputError

FORMAT = "edgekit-model-checkpoint/1"


def save_model(path: str | Path, model: nn.Module, name: str, kwargs: dict[str, Any],
               meta: dict[str, Any] | None = None) -> None:
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    blob = {"format": FORMAT, "model": name, "kwargs": dict(kwargs), "meta": dict(meta or {}),
            "state_dict": state}
    with atomic_file(path) as tmp:
        torch.save(blob, tmp)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"checkpoint {path} does not exist", hint="check the path")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise InvalidInputError(f"{path} is not a readable checkpoint ({type(exc).__name__})",
                                hint="re-create it with `edgekit train` or `edgekit prune`") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise InvalidInputError(f"{path} is not an edgekit model checkpoint",
                                hint="re-create it with `edgekit train` or `edgekit prune`")
    return blob


def load_model(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model from its registry name and options, load the weights exactly, eval mode."""
    from edgekit import models

    blob = read_checkpoint(path)
    model = models.create(blob["model"], **blob["kwargs"])
    model.load_state_dict(blob["state_dict"])
    return model.eval(), blob
