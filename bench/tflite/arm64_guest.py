"""Runs INSIDE the arm64 root under qemu (aarch64 python3 + aarch64 ai-edge-litert wheel).

    python3 arm64_guest.py SITE_PACKAGES MODEL.tflite REPEATS [OUT.npy]

Loads the model in the default interpreter (XNNPACK, 1 thread), invokes it REPEATS times on a
fixed input, and optionally saves the output so the host can check it against x86.
"""

import os
import sys

# numpy's OpenBLAS threads spin while idle: their instructions would swamp the count
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"
sys.path.insert(0, sys.argv[1])

import numpy as np
from ai_edge_litert.interpreter import Interpreter

model, repeats = sys.argv[2], int(sys.argv[3])
it = Interpreter(model_path=model, num_threads=1)
it.allocate_tensors()
inp = it.get_input_details()[0]
x = np.random.default_rng(0).standard_normal(inp["shape"]).astype(np.float32)
it.set_tensor(inp["index"], x)
for _ in range(repeats):
    it.invoke()
y = it.get_tensor(it.get_output_details()[0]["index"])
if len(sys.argv) > 4:
    np.save(sys.argv[4], y)
with open("/proc/self/maps") as maps:  # load address of XNNPACK's library, for per-kernel counts
    base = min((int(line.split("-")[0], 16) for line in maps
                if line.rstrip().endswith("/libpywrap_litert_common.so")), default=0)
print("ok", y.shape, float(np.abs(y).sum()))
print(f"base libpywrap_litert_common.so {base:#x}")
