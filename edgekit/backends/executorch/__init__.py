"""edgekit's ExecuTorch backend: group-sparse 1x1 convolutions and the MobileNet chains around them
run in CHW on edgekit's native kernels.

Ahead of time: `EdgekitPartitioner` (partitioner.py) claims the nodes, `EdgekitBackend`
(preprocess.py) turns each partition into a delegate blob. At run time the C++ backend in
native/executorch executes the blob; `runtime.load_library()` makes it available to ExecuTorch's
Python runtime. Heavy imports stay inside the submodules.
"""

from __future__ import annotations

from edgekit.backends.executorch.runtime import BACKEND_ID, load_library

__all__ = ["BACKEND_ID", "load_library"]
