"""A tiny CNN exported to .pte (+ETRecord), .onnx and .tflite, plus a bundle of the three, for the profile
and report tests. Built once and cached under build/test-cache (a file lock keeps xdist workers from
racing); the cache key is this file's hash, so editing it rebuilds.

The graph is known exactly: stem conv 3x3/2 -> relu -> depthwise 3x3 -> relu -> pointwise 1x1 ->
global mean -> linear(10). Four weight layers: stem, dw, pw, fc.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAYERS = ("stem", "dw", "pw", "fc")
INPUT_SHAPE = (1, 3, 32, 32)


def _model():
    import torch
    from torch import nn

    class Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, 2, 1)
            self.dw = nn.Conv2d(8, 8, 3, 1, 1, groups=8)
            self.pw = nn.Conv2d(8, 16, 1)
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            x = torch.relu(self.stem(x))
            x = torch.relu(self.dw(x))
            x = self.pw(x)
            return self.fc(x.mean((2, 3)))

    torch.manual_seed(0)
    return Tiny().eval()


def _digits_accuracy(model) -> float:
    """Real top-1 of the (untrained) eager model on scikit-learn digits, upsampled to 3x32x32."""
    import torch
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    x = torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear").repeat(1, 3, 1, 1)
    with torch.no_grad():
        pred = model(x).argmax(1).numpy()
    return float((pred == digits.target).mean())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _build(out: Path) -> None:
    import litert_torch
    import torch
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    model = _model()
    x = torch.randn(*INPUT_SHAPE)
    program = to_edge_transform_and_lower(torch.export.export(model, (x,)),
                                          partitioner=[XnnpackPartitioner()], generate_etrecord=True)
    et = program.to_executorch()
    (out / "tiny.pte").write_bytes(et.buffer)
    et.get_etrecord().save(str(out / "tiny.etrecord"))
    torch.onnx.export(model, (x,), str(out / "tiny.onnx"), dynamo=False, input_names=["input"],
                      output_names=["logits"])
    litert_torch.convert(model, (x,)).export(str(out / "tiny.tflite"))

    bundle = out / "bundle"
    bundle.mkdir()
    artifacts = []
    for name, fmt, runtime in (("tiny.pte", "pte", "executorch"), ("tiny.tflite", "tflite", "tflite"),
                               ("tiny.onnx", "onnx", "onnx")):
        shutil.copy(out / name, bundle / name)
        artifacts.append({"file": name, "format": fmt, "runtime": runtime, "precision": "fp32",
                          "sparse_backend": None, "size_bytes": (bundle / name).stat().st_size,
                          "sha256": _sha(bundle / name), "parity": {}})
    shutil.copy(out / "tiny.etrecord", bundle / "tiny.etrecord")
    manifest = {"schema_version": 1, "edgekit_version": "test", "created": "test",
                "model": {"name": "tiny", "source": "tests/profile/tiny_models.py", "params": 0,
                          "num_classes": 10},
                "input": {"name": "input", "shape": list(INPUT_SHAPE), "dtype": "float32", "layout": "NCHW"},
                "labels": [str(i) for i in range(10)], "artifacts": artifacts, "sparsity": None,
                "versions": {}, "accuracy": {"top1": _digits_accuracy(model), "dataset": "sklearn-digits"}}
    (bundle / "edgekit.json").write_text(json.dumps(manifest, indent=1))


def build() -> Path:
    """Directory with tiny.{pte,etrecord,onnx,tflite} and bundle/; built on first use."""
    key = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    cache = REPO / "build" / "test-cache" / f"profile-tiny-{key}"
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache.parent / f"profile-tiny-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (cache / "bundle" / "edgekit.json").is_file():
            tmp = cache.with_name(cache.name + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            _build(tmp)
            shutil.rmtree(cache, ignore_errors=True)
            tmp.rename(cache)
    return cache
