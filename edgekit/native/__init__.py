"""edgekit.native: the group-sparse kernel library (libedgekit.so) on numpy arrays, via ctypes.

No PyTorch. Build the library with `make native`.

    blob = pack(W, mask, group_m=4, bias=b)                  # float32 W -> f32 blob
    blob = pack(Wq, mask, group_m=4, bias=bq, w_scale=s)     # int8 W -> qs8 blob
    Y = gspmm(blob, X)                                       # X: (K, N) CHW, Y: (M, N)
    Yq = gspmm(blob, Xq, input_zero_point=..., input_scale=..., output_zero_point=..., output_scale=...)
    W, mask, bias = unpack(blob)[:3]
    cpu_info()  # {'available': [...], 'selected': {'f32': 'avx512', 'qs8': 'avx512'}, ...}
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import numpy as np

from edgekit.errors import InvalidInputError
from edgekit.native import _lib
from edgekit.native._lib import F32Params, QS8Params, WeightsInfo

SUPPORTED_GROUP_M = (1, 4, 8)
ISA_NAMES = ("auto", "scalar", "neon", "neondot", "avx2", "avx512")
_DTYPES = {1: "f32", 2: "qs8"}
_STATUS_HINTS = {
    1: "check shapes, dtypes and parameters",
    2: "this is not an edgekit weight blob",
    3: "repack the weights with this edgekit version",
    4: "the blob was cut short; repack or re-copy it",
    5: "the blob is damaged; repack it",
    6: f"group_m must be one of {SUPPORTED_GROUP_M}",
}

__all__ = ["ISA_NAMES", "SUPPORTED_GROUP_M", "NativeError", "Weights", "cpu_info", "dense", "force_isa",
           "gspmm", "open_weights", "pack", "unpack"]


class NativeError(InvalidInputError):
    """The native library rejected an input (status code in .status)."""

    def __init__(self, what: str, status: int) -> None:
        self.status = status
        reason = _lib.lib().ek_status_str(status).decode()
        super().__init__(f"{what}: {reason}", hint=_STATUS_HINTS.get(status))


def _check(status: int, what: str) -> None:
    if status != 0:
        raise NativeError(what, status)


def _ptr(a: np.ndarray | None) -> int | None:
    return None if a is None else a.ctypes.data


def _matrix(a: np.ndarray, dtype: type, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
        raise InvalidInputError(f"{name} must be a non-empty 2-D array (rows x cols), got shape {a.shape}")
    return np.ascontiguousarray(a, dtype=dtype)


def _vector(a: np.ndarray | None, n: int, dtype: type, name: str) -> np.ndarray | None:
    if a is None:
        return None
    a = np.ascontiguousarray(np.asarray(a).reshape(-1), dtype=dtype)
    if a.shape[0] != n:
        raise InvalidInputError(f"{name} must have {n} entries (one per output channel), got {a.shape[0]}")
    return a


def pack(W: np.ndarray, mask: np.ndarray | None = None, group_m: int = 4, bias: np.ndarray | None = None,
         w_scale: np.ndarray | None = None) -> bytes:
    """Pack an M x K weight into a blob: float32 W -> f32; int8 W -> qs8 (needs w_scale, int32 bias).

    mask (M x K, nonzero = keep) selects groups: a group of group_m rows x 1 column is kept if any
    mask entry in it is set; without a mask, groups with any nonzero weight are kept.
    """
    if group_m not in SUPPORTED_GROUP_M:
        raise InvalidInputError(f"group_m must be one of {SUPPORTED_GROUP_M}, got {group_m}")
    W = np.asarray(W)
    qs8 = W.dtype == np.int8
    if not qs8 and not np.issubdtype(W.dtype, np.floating):
        raise InvalidInputError(f"W must be float32 (f32 kernels) or int8 (qs8 kernels), got {W.dtype}")
    W = _matrix(W, np.int8 if qs8 else np.float32, "W")
    M, K = W.shape
    m = None
    if mask is not None:
        m = np.asarray(mask)
        if m.shape != W.shape:
            raise InvalidInputError(f"mask shape {m.shape} does not match W shape {W.shape}")
        m = np.ascontiguousarray(m != 0, dtype=np.uint8)
    lib = _lib.lib()
    size = ctypes.c_size_t(0)
    if qs8:
        if w_scale is None:
            raise InvalidInputError("int8 weights need w_scale (one positive float per output channel)")
        s = _vector(w_scale, M, np.float32, "w_scale")
        if not np.all(np.isfinite(s) & (s > 0)):
            raise InvalidInputError("w_scale must be finite and > 0 for every output channel")
        b = _vector(bias, M, np.int32, "bias")
        args = (M, K, group_m, _ptr(W), _ptr(m), _ptr(s), _ptr(b))
        fn = lib.ek_pack_qs8
    else:
        b = _vector(bias, M, np.float32, "bias")
        args = (M, K, group_m, _ptr(W), _ptr(m), _ptr(b))
        fn = lib.ek_pack_f32
    _check(fn(*args, None, 0, ctypes.byref(size)), "pack")
    buf = ctypes.create_string_buffer(size.value)
    _check(fn(*args, buf, size.value, ctypes.byref(size)), "pack")
    return buf.raw


@dataclass(frozen=True)
class Info:
    dtype: str
    M: int
    K: int
    group_m: int
    groups_total: int
    groups_kept: int
    nnz: int

    @property
    def sparsity(self) -> float:
        return 1.0 - self.nnz / (self.M * self.K)


class Weights:
    """A validated, kernel-ready view of a blob (ek_weights_open). Keeps its own copy of the blob."""

    def __init__(self, blob: bytes | bytearray | memoryview) -> None:
        self._handle = ctypes.c_void_p(None)
        self._blob = ctypes.create_string_buffer(bytes(blob), len(blob)) if len(blob) else None
        lib = _lib.lib()
        if self._blob is None:
            raise InvalidInputError("empty weight blob", hint=_STATUS_HINTS[4])
        _check(lib.ek_weights_open(self._blob, len(blob), ctypes.byref(self._handle)), "open weights")
        raw = WeightsInfo()
        _check(lib.ek_weights_info_get(self._handle, ctypes.byref(raw)), "weights info")
        self.info = Info(_DTYPES[raw.dtype], raw.M, raw.K, raw.group_m, raw.groups_total, raw.groups_kept,
                         raw.nnz)

    def close(self) -> None:
        if self._handle:
            _lib.lib().ek_weights_close(self._handle)
            self._handle = ctypes.c_void_p(None)

    def __enter__(self) -> Weights:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with suppress(Exception):  # interpreter shutdown: the library may already be gone
            self.close()

    def unpack(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """(W, mask, bias, w_scale): the exact inverse of pack (w_scale is None for f32)."""
        i = self.info
        mask = np.empty((i.M, i.K), np.uint8)
        if i.dtype == "f32":
            W, bias = np.empty((i.M, i.K), np.float32), np.empty(i.M, np.float32)
            _check(_lib.lib().ek_unpack_f32(self._handle, _ptr(W), _ptr(mask), _ptr(bias)), "unpack")
            return W, mask, bias, None
        W, bias, scale = np.empty((i.M, i.K), np.int8), np.empty(i.M, np.int32), np.empty(i.M, np.float32)
        _check(_lib.lib().ek_unpack_qs8(self._handle, _ptr(W), _ptr(mask), _ptr(scale), _ptr(bias)), "unpack")
        return W, mask, bias, scale


def open_weights(blob: bytes | Weights) -> Weights:
    return blob if isinstance(blob, Weights) else Weights(blob)


def unpack(blob: bytes | Weights) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    return open_weights(blob).unpack()


def _activations(X: np.ndarray, K: int, dtype: type) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(K, 1)
    if X.ndim != 2 or X.shape[0] != K:
        raise InvalidInputError(f"X must be (K={K}, N) in CHW layout, got shape {X.shape}")
    if dtype is np.int8 and X.dtype != np.int8:
        raise InvalidInputError(f"int8 weights need int8 activations, got {X.dtype}")
    return np.ascontiguousarray(X, dtype=dtype)


def _f32_params(output_min: float | None, output_max: float | None) -> F32Params:
    lo = -np.inf if output_min is None else float(output_min)
    hi = np.inf if output_max is None else float(output_max)
    if not lo <= hi:
        raise InvalidInputError(f"output_min ({lo}) must be <= output_max ({hi})")
    return F32Params(lo, hi)


def _qs8_params(input_zero_point: int, input_scale: float, output_zero_point: int, output_scale: float,
                output_min: int, output_max: int) -> QS8Params:
    for name, v in (("input_zero_point", input_zero_point), ("output_zero_point", output_zero_point),
                    ("output_min", output_min), ("output_max", output_max)):
        if not -128 <= int(v) <= 127:
            raise InvalidInputError(f"{name} must be in [-128, 127], got {v}")
    if output_min > output_max:
        raise InvalidInputError(f"output_min ({output_min}) must be <= output_max ({output_max})")
    if not (0 < input_scale < np.inf and 0 < output_scale < np.inf):
        raise InvalidInputError("input_scale and output_scale must be finite and > 0")
    return QS8Params(int(input_zero_point), float(input_scale), int(output_zero_point), float(output_scale),
                     int(output_min), int(output_max))


def gspmm(weights: bytes | Weights, X: np.ndarray, *, output_min: float | None = None,
          output_max: float | None = None, input_zero_point: int = 0, input_scale: float | None = None,
          output_zero_point: int = 0, output_scale: float | None = None) -> np.ndarray:
    """Y = act(W . X + b) with group-sparse W. X: (K, N). f32: optional clamp; qs8: quantization params."""
    w = open_weights(weights)
    i = w.info
    if i.dtype == "f32":
        Xc = _activations(X, i.K, np.float32)
        N = Xc.shape[1]
        Y = np.empty((i.M, N), np.float32)
        p = _f32_params(output_min, output_max)
        _check(_lib.lib().ek_gspmm_f32(w._handle, N, _ptr(Xc), N, _ptr(Y), N, ctypes.byref(p)), "gspmm f32")
        return Y
    if input_scale is None or output_scale is None:
        raise InvalidInputError("int8 gspmm needs input_scale and output_scale")
    Xc = _activations(X, i.K, np.int8)
    N = Xc.shape[1]
    Y = np.empty((i.M, N), np.int8)
    p = _qs8_params(input_zero_point, input_scale, output_zero_point, output_scale,
                    -128 if output_min is None else output_min, 127 if output_max is None else output_max)
    _check(_lib.lib().ek_gspmm_qs8(w._handle, N, _ptr(Xc), N, _ptr(Y), N, ctypes.byref(p)), "gspmm qs8")
    return Y


def dense(W: np.ndarray, X: np.ndarray, bias: np.ndarray | None = None, *, w_scale: np.ndarray | None = None,
          output_min: float | None = None, output_max: float | None = None, input_zero_point: int = 0,
          input_scale: float | None = None, output_zero_point: int = 0,
          output_scale: float | None = None) -> np.ndarray:
    """The in-library dense baseline with gspmm's math: float32 W, or int8 W with w_scale and int32 bias."""
    W = np.asarray(W)
    qs8 = W.dtype == np.int8
    W = _matrix(W, np.int8 if qs8 else np.float32, "W")
    M, K = W.shape
    lib = _lib.lib()
    if not qs8:
        Xc = _activations(X, K, np.float32)
        N = Xc.shape[1]
        Y = np.empty((M, N), np.float32)
        b = _vector(bias, M, np.float32, "bias")
        p = _f32_params(output_min, output_max)
        status = lib.ek_dense_f32(M, K, N, _ptr(W), _ptr(b), _ptr(Xc), N, _ptr(Y), N, ctypes.byref(p))
        _check(status, "dense f32")
        return Y
    if w_scale is None or input_scale is None or output_scale is None:
        raise InvalidInputError("int8 dense needs w_scale, input_scale and output_scale")
    s = _vector(w_scale, M, np.float32, "w_scale")
    b = _vector(bias, M, np.int32, "bias")
    Xc = _activations(X, K, np.int8)
    N = Xc.shape[1]
    Y = np.empty((M, N), np.int8)
    p = _qs8_params(input_zero_point, input_scale, output_zero_point, output_scale,
                    -128 if output_min is None else output_min, 127 if output_max is None else output_max)
    _check(lib.ek_dense_qs8(M, K, N, _ptr(W), _ptr(s), _ptr(b), _ptr(Xc), N, _ptr(Y), N, ctypes.byref(p)),
           "dense qs8")
    return Y


def cpu_info() -> dict:
    """ISA features this CPU offers to the library and what each dtype dispatches to."""
    lib = _lib.lib()
    mask = lib.ek_isa_available()
    return {
        "library": str(_lib.library_path()),
        "version": lib.ek_version().decode(),
        "available": [ISA_NAMES[i] for i in range(1, len(ISA_NAMES)) if mask & (1 << i)],
        "selected": {"f32": ISA_NAMES[lib.ek_isa_selected(1)], "qs8": ISA_NAMES[lib.ek_isa_selected(2)]},
    }


@contextmanager
def force_isa(name: str) -> Iterator[None]:
    """Run the kernels of one ISA variant inside the block (tests, benchmarks). Process-wide."""
    if name not in ISA_NAMES:
        raise InvalidInputError(f"unknown ISA {name!r}; valid: {', '.join(ISA_NAMES)}")
    lib = _lib.lib()
    _check(lib.ek_isa_force(ISA_NAMES.index(name)), f"force ISA {name}")
    try:
        yield
    finally:
        lib.ek_isa_force(0)
