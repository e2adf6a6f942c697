"""Make edgekit's ExecuTorch backend available to ExecuTorch's Python runtime.

The backend is a C++ library (native/executorch, built by `make backend`) whose static initializer
registers "EdgekitBackend" with the ExecuTorch runtime it links against: the same libexecutorch.so
the executorch wheel's Python extension uses. Loading it with RTLD_GLOBAL before a program is
loaded is all it takes for sparse .pte files to run.
"""

from __future__ import annotations

import ctypes
import os
import threading
from pathlib import Path

from edgekit.errors import EdgekitError, InvalidInputError, MissingDependencyError

BACKEND_ID = "EdgekitBackend"
LIBRARY_NAME = "libedgekit_executorch.so"
ENV_LIBRARY = "EDGEKIT_EXECUTORCH_LIB"
_REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD_DIR = _REPO_ROOT / "build" / "native-executorch"

_lock = threading.Lock()
_library: ctypes.CDLL | None = None


class BackendNotLoadedError(EdgekitError, RuntimeError):
    """A .pte that needs edgekit's backend was loaded in a process without it."""


def library_path() -> Path | None:
    """The backend library to load: $EDGEKIT_EXECUTORCH_LIB, else the repository's build."""
    env = os.environ.get(ENV_LIBRARY)
    candidates = [Path(env)] if env else []
    candidates += [BUILD_DIR / LIBRARY_NAME, Path(__file__).parent / LIBRARY_NAME]
    return next((p for p in candidates if p.is_file()), None)


def is_built() -> bool:
    return library_path() is not None


def load_library() -> ctypes.CDLL:
    """Load the backend into this process (idempotent). Raises MissingDependencyError if not built."""
    global _library
    with _lock:
        if _library is not None:
            return _library
        path = library_path()
        if path is None:
            raise MissingDependencyError(
                f"edgekit's ExecuTorch backend library ({LIBRARY_NAME}) is not built",
                hint=f"run `make backend`, or set {ENV_LIBRARY} to the library's path",
            )
        # The Python extension must be loaded first so the backend registers with its runtime.
        import executorch.extension.pybindings.portable_lib  # noqa: F401

        lib = ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
        lib.edgekit_et_backend_registered.restype = ctypes.c_int
        lib.edgekit_et_set_num_threads.argtypes = [ctypes.c_int]
        lib.edgekit_et_get_num_threads.restype = ctypes.c_int
        if not lib.edgekit_et_backend_registered():
            raise MissingDependencyError(
                f"{path} loaded but could not register {BACKEND_ID} with ExecuTorch",
                hint="rebuild it against the installed executorch wheel: `make backend`",
            )
        _library = lib
        return lib


def is_loaded() -> bool:
    return _library is not None


def set_num_threads(threads: int) -> None:
    """Resizes ExecuTorch's shared thread pool, which the backend and XNNPACK both run on."""
    if threads < 1:
        raise EdgekitError(f"threads must be >= 1, got {threads}")
    load_library().edgekit_et_set_num_threads(int(threads))


def needs_backend(pte: bytes | str | Path) -> bool:
    """True if a serialized program delegates to edgekit's backend."""
    data = pte if isinstance(pte, bytes) else Path(pte).read_bytes()
    return BACKEND_ID.encode() in data


def missing_backend_error(pte: str | Path) -> BackendNotLoadedError:
    return BackendNotLoadedError(
        f"{pte} uses edgekit's ExecuTorch backend ({BACKEND_ID}), which is not loaded in this process",
        hint="`import edgekit` and load it with edgekit.load(), call "
        "edgekit.backends.executorch.load_library() first, or link libedgekit_executorch.so into your app",
    )


class LoadedMethod:
    """A method together with the program that owns it (the method must not outlive it)."""

    def __init__(self, program, method) -> None:
        self.program = program
        self.method = method

    def execute(self, inputs: list):
        return self.method.execute(inputs)


def load_method(pte: bytes | str | Path, method: str = "forward", load_backend: bool = True) -> LoadedMethod:
    """Load one method of a .pte in ExecuTorch's Python runtime, loading edgekit's backend first
    when the program needs it. Errors name the file and the fix."""
    data = pte if isinstance(pte, bytes) else Path(pte).read_bytes()
    name = "the program" if isinstance(pte, bytes) else str(pte)
    uses_backend = needs_backend(data)
    if load_backend and uses_backend:
        load_library()
    from executorch.runtime import Runtime

    try:
        program = Runtime.get().load_program(data)
        return LoadedMethod(program, program.load_method(method))
    except RuntimeError as exc:
        if uses_backend and not is_loaded():
            raise missing_backend_error(name) from None
        raise InvalidInputError(
            f"ExecuTorch could not load {name}: {exc}",
            hint="the file is corrupt or was written by an incompatible edgekit/executorch: re-export it",
        ) from None
