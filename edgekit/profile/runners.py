"""Load a model file in one runtime and run it: the part of the profiler that touches the runtime.

Runs inside the worker process, locally or on a remote board, so it imports only numpy and the
runtime itself (never edgekit). Each runner exposes the same small surface:

    runner = RUNNERS[name](path, threads)   # loads the model (the worker times this)
    runner.inputs                            # deterministic random inputs matching the model
    runner.run()                             # one inference
    runner.per_op(iterations, workdir, extras)  # per-operator breakdown dict (see perop.py)
"""

from __future__ import annotations

import os
from typing import Any

# Imported as part of edgekit locally, as flat files copied beside worker.py on a remote board.
if __package__:
    from . import perop
else:  # pragma: no cover - remote layout
    import perop  # type: ignore[no-redef]


class RuntimeMissing(Exception):
    """The runtime's Python package cannot be imported on this machine."""


class BadModel(Exception):
    """The runtime refused the model file."""


def _numpy():
    try:
        import numpy as np
    except ImportError as exc:
        raise RuntimeMissing(f"numpy is not installed ({exc})") from None
    return np


def _random_input(shape: list[int], dtype: Any) -> Any:
    np = _numpy()
    rng = np.random.default_rng(0)
    shape = [max(1, int(d)) for d in shape]  # dynamic dims (-1/0) -> 1
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -128), min(info.max, 127), size=shape).astype(dtype)
    return np.zeros(shape, dtype=dtype)


_EDGEKIT_BACKEND_ID = b"EdgekitBackend"  # edgekit.backends.executorch.BACKEND_ID (no edgekit import here)


def _load_edgekit_backend(threads: int) -> None:
    """Sparse .pte files run on edgekit's ExecuTorch backend: load it when it exists.

    Inside edgekit: its build (or $EDGEKIT_EXECUTORCH_LIB). On a board without edgekit: the library
    named by $EDGEKIT_EXECUTORCH_LIB, loaded RTLD_GLOBAL after ExecuTorch's own extension.
    """
    if __package__:
        try:
            from edgekit.backends.executorch import runtime as backend
        except ImportError:
            return
        if backend.is_built():
            backend.load_library()
            if threads:
                backend.set_num_threads(threads)
        return
    path = os.environ.get("EDGEKIT_EXECUTORCH_LIB")
    if path and os.path.isfile(path):
        import ctypes

        lib = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        if threads and hasattr(lib, "edgekit_et_set_num_threads"):
            lib.edgekit_et_set_num_threads(ctypes.c_int(threads))


class ExecuTorchRunner:
    name = "executorch"
    package = "executorch"

    @staticmethod
    def preload() -> None:
        """Import the runtime (seconds for torch) so the worker can time model loading alone."""
        try:
            import executorch.runtime  # noqa: F401
        except ImportError as exc:
            raise RuntimeMissing(f"executorch is not importable ({exc})") from None

    def __init__(self, path: str, threads: int) -> None:
        import torch
        from executorch.extension.pybindings import portable_lib
        from executorch.runtime import Runtime

        self._torch = torch
        self._path = path
        if threads:
            portable_lib._unsafe_reset_threadpool(int(threads))
        _load_edgekit_backend(int(threads))
        try:
            program = Runtime.get().load_program(path)
            self._method = program.load_method("forward")
        except Exception as exc:
            with open(path, "rb") as f:
                if _EDGEKIT_BACKEND_ID in f.read():
                    raise RuntimeMissing(
                        f"{os.path.basename(path)} runs on edgekit's sparse ExecuTorch backend, which is "
                        "not loaded here: build it (`make backend`) or set EDGEKIT_EXECUTORCH_LIB") from None
            raise BadModel(f"ExecuTorch cannot load {os.path.basename(path)}: {exc}") from None
        if self._method is None:
            raise BadModel(f"{os.path.basename(path)} has no 'forward' method")
        meta = self._method.metadata
        self.inputs = []
        for i in range(meta.num_inputs()):
            info = meta.input_tensor_meta(i)
            dtype = str(info.dtype()).split(".")[-1].lower()
            np_dtype = {"float": "float32", "half": "float16", "char": "int8", "byte": "uint8",
                        "int": "int32", "long": "int64"}.get(dtype, "float32")
            self.inputs.append(torch.from_numpy(_random_input(list(info.sizes()), np_dtype)))
        self.input_shapes = [list(t.shape) for t in self.inputs]

    def run(self) -> None:
        self._method.execute(self.inputs)

    def per_op(self, iterations: int, workdir: str, extras: dict) -> dict:
        return perop.executorch_per_op(self._path, self.inputs, iterations, workdir, extras)


class OnnxRuntimeRunner:
    name = "onnx"
    package = "onnxruntime"

    @staticmethod
    def preload() -> None:
        try:
            import onnxruntime  # noqa: F401
        except ImportError as exc:
            raise RuntimeMissing(f"onnxruntime is not importable ({exc})") from None

    def __init__(self, path: str, threads: int) -> None:
        import onnxruntime as ort

        self._ort = ort
        self._path = path
        self._threads = threads
        try:
            self._session = ort.InferenceSession(path, self.session_options(),
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise BadModel(f"ONNX Runtime cannot load {os.path.basename(path)}: "
                           f"{str(exc).splitlines()[0]}") from None
        type_map = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(int8)": "int8",
                    "tensor(uint8)": "uint8", "tensor(int32)": "int32", "tensor(int64)": "int64"}
        self.inputs = {i.name: _random_input([d if isinstance(d, int) else 1 for d in i.shape],
                                             type_map.get(i.type, "float32"))
                       for i in self._session.get_inputs()}
        self.input_shapes = [list(v.shape) for v in self.inputs.values()]

    def session_options(self) -> Any:
        so = self._ort.SessionOptions()
        if self._threads:
            so.intra_op_num_threads = int(self._threads)
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        return so

    def run(self) -> None:
        self._session.run(None, self.inputs)

    def per_op(self, iterations: int, workdir: str, extras: dict) -> dict:
        so = self.session_options()
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(workdir, "ort_profile")
        session = self._ort.InferenceSession(self._path, so, providers=["CPUExecutionProvider"])
        session.run(None, self.inputs)  # first run (allocations) is left out below
        for _ in range(iterations):
            session.run(None, self.inputs)
        trace = session.end_profiling()
        return perop.onnxruntime_per_op(trace, iterations, self._path)


class LiteRtRunner:
    name = "tflite"
    package = "ai-edge-litert"

    @staticmethod
    def preload() -> None:
        try:
            import ai_edge_litert.interpreter  # noqa: F401
        except ImportError as exc:
            raise RuntimeMissing(f"ai-edge-litert is not importable ({exc})") from None

    def __init__(self, path: str, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        try:
            self._interp = Interpreter(model_path=path, num_threads=int(threads) if threads else None)
            self._interp.allocate_tensors()
        except Exception as exc:
            raise BadModel(f"LiteRT cannot load {os.path.basename(path)}: "
                           f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
        self._in = self._interp.get_input_details()
        self.inputs = [_random_input(list(d["shape"]), d["dtype"]) for d in self._in]
        self.input_shapes = [list(v.shape) for v in self.inputs]

    def run(self) -> None:
        for detail, value in zip(self._in, self.inputs, strict=True):
            self._interp.set_tensor(detail["index"], value)
        self._interp.invoke()

    def per_op(self, iterations: int, workdir: str, extras: dict) -> dict:
        return perop.litert_op_list(self._interp)


RUNNERS: dict[str, type] = {r.name: r for r in (ExecuTorchRunner, OnnxRuntimeRunner, LiteRtRunner)}
RUNTIME_OF_SUFFIX = {".pte": "executorch", ".tflite": "tflite", ".onnx": "onnx"}
