"""The export hook: the tflite writer calls this on the dense file litert-torch wrote.

    info = postprocess_tflite(path, model=torch_model, enabled=config.tflite_sparse)
    # -> None when disabled or nothing is sparse (file untouched), else a dict for edgekit.json:
    #    {"layers": {torch_layer_name: {"storage", "tflite_tensor", "block", "sparsity", ...}},
    #     "xnnpack_sparse_inference": {"qualifies", "reason", "breaking_op", ...}, "rewrites": [...]}

The file is rewritten atomically in place. Layer names are the torch module names, found by matching
each TFLite weight against the model's conv/linear weights in TFLite layout (shape and zero mask).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from edgekit import atomic
from edgekit.formats.tflite_sparse import flatbuf
from edgekit.formats.tflite_sparse.storage import LayerStorage, Policy
from edgekit.formats.tflite_sparse.writer import SparseResult, sparsify_bytes


def _tflite_layout(module: Any) -> np.ndarray | None:
    """A torch Conv2d/Linear weight as TFLite stores it: FC [O, I], conv OHWI, depthwise [1, H, W, C]."""
    from torch import nn

    w = module.weight.detach().cpu().numpy()
    if isinstance(module, nn.Linear):
        return w
    if isinstance(module, nn.Conv2d):
        if module.groups > 1 and module.groups == module.in_channels == module.out_channels:
            return np.transpose(w, (1, 2, 3, 0))  # [C, 1, H, W] -> [1, H, W, C]
        if module.groups == 1:
            return np.transpose(w, (0, 2, 3, 1))
    return None


def torch_names(model: Any, dense_tflite: bytes, layers: list[LayerStorage]) -> dict[str, str]:
    """TFLite weight tensor name -> torch module name, matched on shape and zero mask.

    Every zero of the torch weight must be a zero of the TFLite weight (int8 may add a few more,
    tiny weights that round to 0); the best-agreeing candidate wins if it agrees on >= 99%."""
    candidates: dict[tuple, list[tuple[str, np.ndarray]]] = {}
    for name, module in model.named_modules():
        if getattr(module, "weight", None) is None:
            continue
        w = _tflite_layout(module)
        if w is not None:
            candidates.setdefault(w.shape, []).append((name, w == 0))
    fb = flatbuf.read(dense_tflite)
    arrays = {flatbuf.tensor_name(t): t for sg in fb.subgraphs for t in sg.tensors}
    out = {}
    for layer in layers:
        t = arrays.get(layer.tensor)
        tfl = None if t is None else flatbuf.constant_array(fb, t)
        if tfl is None:
            continue
        zeros = tfl == 0
        scored = [(float(np.mean(mask == zeros)), n) for n, mask in candidates.get(tfl.shape, [])
                  if not np.any(mask & ~zeros)]
        scored.sort(reverse=True)
        if scored and scored[0][0] >= 0.99 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
            out[layer.tensor] = scored[0][1]
    return out


def manifest_info(result: SparseResult, model: Any | None = None, dense_tflite: bytes | None = None,
                  ) -> dict[str, Any]:
    names = torch_names(model, dense_tflite, result.layers) if model is not None and dense_tflite else {}
    layers = {}
    for layer in result.layers:
        entry = layer.to_json()
        entry["tflite_tensor"] = entry.pop("tensor")
        layers[names.get(layer.tensor, layer.tensor)] = entry
    return {"layers": layers,
            "xnnpack_sparse_inference": result.xnnpack.to_json() if result.xnnpack else None,
            "rewrites": list(result.rewrites)}


def postprocess_tflite(path: str | os.PathLike[str], *, model: Any | None = None, enabled: bool = True,
                       policy: Policy | None = None) -> dict[str, Any] | None:
    """Rewrite `path` in TFLite's sparse form if any weight is worth it; return manifest info."""
    if not enabled:
        return None
    path = Path(path)
    dense = path.read_bytes()
    result = sparsify_bytes(dense, policy)
    if not result.is_sparse:
        return None
    atomic.write_bytes(path, result.data)
    return manifest_info(result, model, dense)
