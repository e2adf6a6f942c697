"""LiteRT (ai-edge-litert) Interpreter with its default XNNPACK delegate; int8 I/O is (de)quantized here."""

from __future__ import annotations

import numpy as np

from edgekit.errors import InvalidInputError
from edgekit.runtime.base import Predictor


class TFLitePredictor(Predictor):
    runtime = "tflite"

    def _load(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        try:
            self._interp = Interpreter(model_path=str(self.file), num_threads=self.threads)
            self._interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise InvalidInputError(f"LiteRT could not load {self.file}: {exc}",
                                    hint="the file is corrupt or truncated: re-export it") from None
        inputs, outputs = self._interp.get_input_details(), self._interp.get_output_details()
        if len(inputs) != 1:
            raise InvalidInputError(f"{self.file} takes {len(inputs)} inputs; edgekit runs 1-input models",
                                    hint="export a model with a single image input")
        self._in, self._out = inputs[0], outputs[0]
        self.input_shape = tuple(int(s) for s in self._in["shape"])

    def _run(self, x: np.ndarray) -> np.ndarray:
        dtype = self._in["dtype"]
        if dtype != np.float32:  # full-integer model: quantize with the input tensor's scale/zero point
            scale, zero = self._in["quantization"]
            info = np.iinfo(dtype)
            x = np.clip(np.round(x / scale) + zero, info.min, info.max).astype(dtype)
        self._interp.set_tensor(self._in["index"], x)
        self._interp.invoke()
        y = self._interp.get_tensor(self._out["index"])
        if y.dtype != np.float32:
            scale, zero = self._out["quantization"]
            y = (y.astype(np.float32) - zero) * scale
        return y.copy()
