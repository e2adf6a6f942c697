"""Load checkpoints of the original LSNet code (THU-MIG/lsnet, timm-style names) into edgekit's LSNet.

Key mapping (original -> edgekit), applied per dotted name; the full table is in docs/LSNET.md:

    patch_embed.{i}.            -> stem.{i}.
    blocks1.{j}.                -> stages.0.blocks.{j}.
    blocks{s}.0. / blocks{s}.1. -> stages.{s-1}.downsample.0. / .1.      (s = 2..4)
    blocks{s}.{j}.  (j >= 2)    -> stages.{s-1}.blocks.{j-2}.
    .c.  (conv of a Conv2d_BN)  -> .conv.
    head.l. / head_dist.l.      -> head.linear. / head_dist.linear.
    se.conv_reduce/conv_expand  -> se.fc1 / se.fc2                  (older timm SE names)
    *.attention_bias_idxs       -> dropped (rebuilt from the grid size)
    *.attention_biases          -> same name; the (heads, R*R) table is cropped (or edge-extended) to the
                                   model's grid when the checkpoint was trained at another input size.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
import torch.nn.functional as F

from edgekit.errors import InvalidInputError
from edgekit.models.lsnet.blocks import relative_offset_index
from edgekit.models.lsnet.model import LSNet

_SEGMENT_TO_OURS = {"c": "conv", "l": "linear", "conv_reduce": "fc1", "conv_expand": "fc2"}
_SEGMENT_TO_ORIGINAL = {"conv": "c", "linear": "l"}


def original_to_edgekit_key(key: str) -> str | None:
    """Map one original key to ours; None for keys that are rebuilt rather than loaded."""
    if key.endswith("attention_bias_idxs"):
        return None
    parts = key.split(".")
    if parts[0] == "patch_embed":
        parts[0] = "stem"
    elif m := re.fullmatch(r"blocks([1-4])", parts[0]):
        stage, index = int(m.group(1)) - 1, int(parts[1])
        if stage == 0:
            parts[:2] = ["stages", "0", "blocks", str(index)]
        elif index < 2:
            parts[:2] = ["stages", str(stage), "downsample", str(index)]
        else:
            parts[:2] = ["stages", str(stage), "blocks", str(index - 2)]
    return ".".join(_SEGMENT_TO_OURS.get(p, p) for p in parts)


def edgekit_to_original_key(key: str) -> str:
    parts = key.split(".")
    if parts[0] == "stem":
        parts[0] = "patch_embed"
    elif parts[0] == "stages":
        stage, kind, index = int(parts[1]), parts[2], int(parts[3])
        offset = 0 if stage == 0 or kind == "downsample" else 2
        parts[:4] = [f"blocks{stage + 1}", str(index + offset)]
    if len(parts) >= 2 and parts[-2] in _SEGMENT_TO_ORIGINAL:  # only a ConvBN's conv / BNLinear's linear
        parts[-2] = _SEGMENT_TO_ORIGINAL[parts[-2]]               # (RepVGGDW.conv is itself a ConvBN)
    return ".".join(parts)


def to_original_state_dict(model: LSNet) -> dict[str, torch.Tensor]:
    """Our weights under the original names (incl. the original's attention_bias_idxs buffers)."""
    out = {edgekit_to_original_key(k): v.detach().clone() for k, v in model.state_dict().items()}
    for key, value in list(out.items()):
        if key.endswith("attention_biases"):
            side = round(value.shape[1] ** 0.5)
            out[key[: -len("attention_biases")] + "attention_bias_idxs"] = relative_offset_index(side)
    return out


def _fit_bias_table(table: torch.Tensor, side: int) -> torch.Tensor:
    """A (heads, R*R) relative-offset bias table resized to side*side: crop, or repeat the edge offsets."""
    heads, entries = table.shape
    ckpt_side = round(entries**0.5)
    grid = table.reshape(heads, ckpt_side, ckpt_side)
    if ckpt_side >= side:
        grid = grid[:, :side, :side]
    else:
        grid = F.pad(grid[None], (0, side - ckpt_side, 0, side - ckpt_side), mode="replicate")[0]
    return grid.reshape(heads, side * side).contiguous()


def _read_state_dict(source: str | Path | dict) -> dict[str, torch.Tensor]:
    if isinstance(source, dict):
        state = source
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidInputError(f"LSNet checkpoint {str(path)!r} does not exist",
                                    hint="pass the path of an original lsnet_*.pth file")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many types for corrupt files
            raise InvalidInputError(f"cannot read LSNet checkpoint {str(path)!r}: {exc}".splitlines()[0],
                                    hint="is it a torch.save()d state_dict?") from None
    for wrapper in ("model", "state_dict", "model_ema"):
        if isinstance(state.get(wrapper), dict):
            state = state[wrapper]
            break
    return {k.removeprefix("module."): v for k, v in state.items() if isinstance(v, torch.Tensor)}


def load_original_checkpoint(model: LSNet, source: str | Path | dict) -> LSNet:
    """Load an original LSNet checkpoint (path or state_dict) into `model` in place; returns `model`."""
    original = _read_state_dict(source)
    ours = model.state_dict()
    mapped: dict[str, torch.Tensor] = {}
    for key, value in original.items():
        new_key = original_to_edgekit_key(key)
        if new_key is None:
            continue
        if new_key.endswith("attention_biases") and new_key in ours and value.shape != ours[new_key].shape:
            value = _fit_bias_table(value, round(ours[new_key].shape[1] ** 0.5))
        mapped[new_key] = value
    for key, value in ours.items():  # SKA's one-hot shift kernels are constants of our own module
        if ".ska.shift_" in key:
            mapped.setdefault(key, value)
    missing = sorted(set(ours) - set(mapped))
    unexpected = sorted(set(mapped) - set(ours))
    if unexpected and all(k.startswith("head_dist.") for k in unexpected):
        raise InvalidInputError("the checkpoint has a distillation head (head_dist.*) the model lacks",
                                hint="build the model with distillation=True")
    if missing or unexpected:
        raise InvalidInputError(
            f"checkpoint does not match {type(model).__name__}: "
            f"missing {missing[:3]}, unexpected {unexpected[:3]}",
            hint="check the size (lsnet_t/s/b) and num_classes the checkpoint was trained with")
    for key, value in mapped.items():
        if value.shape != ours[key].shape:
            raise InvalidInputError(
                f"checkpoint tensor {key!r} has shape {tuple(value.shape)}, model expects "
                f"{tuple(ours[key].shape)}", hint="check the size (lsnet_t/s/b) and num_classes")
    model.load_state_dict(mapped, strict=True)
    return model.train(model.training)  # refresh the eval-mode attention-bias cache
