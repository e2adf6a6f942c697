"""ONNX Runtime, CPU execution provider."""

from __future__ import annotations

import numpy as np

from edgekit.errors import InvalidInputError
from edgekit.runtime.base import Predictor


class OnnxPredictor(Predictor):
    runtime = "onnx"

    def _load(self) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        if self.threads is not None:
            opts.intra_op_num_threads = int(self.threads)
            opts.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(self.file), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types (InvalidProtobuf, Fail, ...)
            raise InvalidInputError(f"ONNX Runtime could not load {self.file}: {str(exc).splitlines()[0]}",
                                    hint="the file is corrupt or truncated: re-export it") from None
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise InvalidInputError(f"{self.file} takes {len(inputs)} inputs; edgekit runs 1-input models",
                                    hint="export a model with a single image input")
        self._input_name = inputs[0].name
        shape = inputs[0].shape
        if not all(isinstance(s, int) for s in shape):
            raise InvalidInputError(f"{self.file} has a dynamic input shape {shape}",
                                    hint="export with a fixed --input-shape")
        self.input_shape = tuple(shape)

    def _run(self, x: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input_name: x})[0]
