"""Fill the Android app's assets from an edgekit bundle and one image, on the host.

    .venv/bin/python apps/android/prepare_assets.py BUNDLE_DIR IMAGE [--assets DIR]

Writes model.pte (the bundle's ExecuTorch file), sample.png (the image), input.bin (the image
preprocessed exactly as the Raspberry Pi app does: float32 NCHW, little-endian) and sample.json
(input shape, labels, and the label the host's ExecuTorch run gives, which the app shows beside its
own). The app therefore holds no preprocessing logic that could only be checked on a phone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "raspberry-pi"))  # reuse the Pi app's tested preprocessing

from edgekit_pi.classify import Classifier, top_k  # noqa: E402


class NeedsEdgekitBackend(Exception):
    """The .pte delegates to edgekit's sparse backend, which ExecuTorch's Android AAR does not contain."""


def prepare(bundle: Path, image: Path, assets: Path) -> dict:
    clf = Classifier(bundle, runtime="executorch")
    if b"EdgekitBackend" in Path(clf.predictor.file).read_bytes():
        raise NeedsEdgekitBackend(
            f"{Path(clf.predictor.file).name} uses edgekit's sparse ExecuTorch backend, which the stock "
            "executorch-android AAR cannot run: export a dense model for the app (see README)")
    with Image.open(image) as im:
        rgb = im.convert("RGB")
    x = clf.preprocess(rgb)
    logits = np.asarray(clf.predictor.run(x), dtype=np.float32).reshape(-1)
    (_, label, prob), = top_k(logits, clf.labels, 1)
    assets.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(clf.predictor.file, assets / "model.pte")
    rgb.save(assets / "sample.png")
    (assets / "input.bin").write_bytes(x.astype("<f4").tobytes())
    meta = {"input_shape": list(x.shape), "labels": clf.labels or [f"class {i}" for i in range(logits.size)],
            "expected_label": label, "expected_prob": prob, "bundle": bundle.name}
    (assets / "sample.json").write_text(json.dumps(meta, indent=1))
    return meta


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("bundle", type=Path)
    p.add_argument("image", type=Path)
    p.add_argument("--assets", type=Path, default=HERE / "app/src/main/assets")
    args = p.parse_args()
    try:
        meta = prepare(args.bundle, args.image, args.assets)
    except NeedsEdgekitBackend as exc:
        print(f"prepare_assets: error: {exc}", file=sys.stderr)
        return 2
    print(f"assets in {args.assets}: host ExecuTorch says {meta['expected_label']} "
          f"({meta['expected_prob']:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
