"""Run in a subprocess by test_bad_input.py: load .pte variants with corrupted edgekit delegate blobs.

Prints one JSON line {"rejected": n, "loaded": n, "messages": [...]}; a crash shows up as a
negative return code in the parent instead of taking the test worker down.
"""

from __future__ import annotations

import contextlib
import json
import random
import struct
import sys
from pathlib import Path

import torch

from edgekit.backends.executorch import runtime
from edgekit.errors import EdgekitError


def variants(pte: bytes, random_mutations: int) -> list[bytes]:
    base = pte.index(b"EKXB")
    n_values, n_in, n_out, n_ops = struct.unpack_from("<4I", pte, base + 12)
    ops = base + 32 + 32 * n_values + 4 * (n_in + n_out)
    ops += -(ops - base) % 8

    def patch(offset: int, fmt: str, value: int) -> bytes:
        b = bytearray(pte)
        struct.pack_into(fmt, b, offset, value)
        return bytes(b)

    out = [
        patch(base, "<I", 0x42584B58),          # bad magic
        patch(base + 4, "<I", 99),              # future version
        patch(base + 12, "<I", 0xFFFF),         # value count past the tables
        patch(base + 32 + 4, "<i", 0),          # first value: zero channels
        patch(base + 32 + 24, "<i", 1000),      # first value: slot out of range
        patch(ops + 4, "<I", 5000),             # first op reads a value that does not exist
        patch(ops, "<I", 77),                   # unknown op kind
        patch(ops + 80, "<Q", 1 << 40),         # first op's data far out of bounds
        patch(ops + 88, "<Q", 1 << 40),         # first op's data length out of bounds
    ]
    rng = random.Random(1234)
    end = ops + 96 * n_ops + 256  # tables plus the start of the first payload
    for _ in range(random_mutations):
        b = bytearray(pte)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(base, end)] = rng.randrange(256)
        out.append(bytes(b))
    return out


def main(pte_path: str, random_mutations: int) -> None:
    pte = Path(pte_path).read_bytes()
    x = torch.randn(1, 3, 29, 23)
    rejected, loaded, messages = 0, 0, []
    for data in variants(pte, random_mutations):
        try:
            method = runtime.load_method(data)
        except EdgekitError as exc:
            rejected += 1
            messages.append(str(exc))
            continue
        loaded += 1
        with contextlib.suppress(RuntimeError):
            method.execute([x])
    print(json.dumps({"rejected": rejected, "loaded": loaded, "messages": messages[:9]}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
