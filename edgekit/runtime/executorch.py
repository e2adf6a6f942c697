"""ExecuTorch runtime (Python bindings + XNNPACK); loads edgekit's sparse backend when a .pte needs it."""

from __future__ import annotations

import numpy as np

from edgekit.errors import InvalidInputError
from edgekit.runtime.base import Predictor


class ExecuTorchPredictor(Predictor):
    runtime = "executorch"

    def _load(self) -> None:
        import torch

        from edgekit.backends.executorch import runtime as et_backend

        if self.threads is not None:
            from executorch.extension.pybindings import portable_lib

            # ExecuTorch's one pool: XNNPACK and edgekit's backend both run on it.
            portable_lib._unsafe_reset_threadpool(int(self.threads))
        self._torch = torch
        self._method = et_backend.load_method(self.file)
        meta = self._method.method.metadata
        if meta.num_inputs() != 1:
            raise InvalidInputError(f"{self.file} takes {meta.num_inputs()} inputs; edgekit runs 1-input "
                                    "models",
                                    hint="export a model with a single image input")
        self.input_shape = tuple(int(s) for s in meta.input_tensor_meta(0).sizes())

    def _run(self, x: np.ndarray) -> np.ndarray:
        out = self._method.execute([self._torch.from_numpy(x)])
        return out[0].detach().numpy().copy()
