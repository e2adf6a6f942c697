"""Seed corpus for ekx_fuzz_blob: the real delegate blobs of small sparse MobileNet-like models."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from edgekit.backends.executorch.lowering import lower  # noqa: E402
from tests.backend.nets import make_tiny  # noqa: E402


def blobs_in(pte: bytes) -> list[bytes]:
    """Each EKXB blob in a .pte, cut at the end of its last table or payload."""
    out, start = [], pte.find(b"EKXB")
    while start >= 0:
        n_values, n_in, n_out, n_ops = struct.unpack_from("<4I", pte, start + 12)
        ops = 32 + 32 * n_values + 4 * (n_in + n_out)
        ops += -ops % 8
        end = ops + 96 * n_ops
        for i in range(n_ops):
            off, length = struct.unpack_from("<2Q", pte, start + ops + 96 * i + 80)
            end = max(end, off + length)
        out.append(pte[start:start + end])
        start = pte.find(b"EKXB", start + end)
    return out


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for seed, sparsity, shape in ((0, 0.7, (1, 3, 29, 23)), (1, 0.9, (1, 3, 8, 8))):
        model = make_tiny(seed=seed, sparsity=sparsity)
        x = torch.randn(*shape)
        pte = lower(torch.export.export(model, (x,)), model.state_dict(), min_plane=0).buffer
        for blob in blobs_in(pte):
            (out / f"seed{count}.bin").write_bytes(blob)
            count += 1
    # int8: the same tiny model through PT2E (dq -> conv/add -> q chains: qs8 values, the stem conv,
    # dwconv and add). min_plane=0: these planes are below the claim thresholds, which would leave the
    # corpus without the blobs it exists for.
    import numpy as np

    from edgekit.quant.pt2e import quantize_pt2e, xnnpack_quantizer

    model = make_tiny(seed=2, sparsity=0.7)
    x = torch.randn(1, 3, 17, 13)
    quantized = quantize_pt2e(model, x, np.random.RandomState(0).randn(4, 3, 17, 13).astype(np.float32),
                              xnnpack_quantizer())
    pte = lower(torch.export.export(quantized, (x,)), quantized.state_dict(), min_plane=0).buffer
    for blob in blobs_in(pte):
        (out / f"seed{count}-int8.bin").write_bytes(blob)
        count += 1
    # Inputs that once crashed the parser: libFuzzer replays the corpus first, so they stay fixed.
    for crash in sorted((Path(__file__).parent / "regressions").glob("*.bin")):
        (out / f"regression-{crash.name}").write_bytes(crash.read_bytes())
        count += 1
    if not any(out.glob("seed*-int8.bin")) or count < 4:
        sys.exit(f"make_corpus: only {count} seeds (no int8 blob?): the partitioner no longer claims "
                 "the test nets")
    print(f"wrote {count} seeds to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
