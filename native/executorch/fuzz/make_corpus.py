"""Seed corpus for ekx_fuzz_blob: real delegate blobs from a small sparse MobileNet-like model."""

from __future__ import annotations

import sys
from pathlib import Path

from edgekit.backends.executorch.testing import sample_blobs


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for i, blob in enumerate(sample_blobs()):
        (out / f"seed{i}.bin").write_bytes(blob)
    print(f"wrote {len(list(out.iterdir()))} seeds to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
