"""Pack 1x1-conv weights into edgekit's native group-sparse blob (native/PACKED_FORMAT.md).

Uses the native library's own ek_pack_f32 / ek_pack_qs8 through ctypes (the packer is the
library's, so the blob is exactly what ek_weights_open accepts). The group shape is chosen per
layer: the widest group (8, then 4 output channels) that stores at most GROUP_SLACK times the
nonzeros of unstructured (1x1) groups; wider groups run faster per stored weight.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import numpy as np

from edgekit.errors import MissingDependencyError

SUPPORTED_GROUP_M = (8, 4, 1)
GROUP_SLACK = 1.10
ENV_NATIVE = "EDGEKIT_NATIVE_LIB"
_BUILD = Path(__file__).resolve().parents[3] / "build"
_lib: ctypes.CDLL | None = None

_f32p = ctypes.POINTER(ctypes.c_float)
_u8p = ctypes.POINTER(ctypes.c_uint8)


def _native() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        env = os.environ.get(ENV_NATIVE)
        candidates = ([Path(env)] if env else []) + [
            _BUILD / "native-executorch" / "edgekit-native" / "libedgekit.so",
            _BUILD / "native" / "libedgekit.so",
        ]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise MissingDependencyError("edgekit's native library (libedgekit.so) is not built",
                                         hint="run `make backend`")
        lib = ctypes.CDLL(str(path))
        for name in ("ek_pack_f32", "ek_pack_qs8"):
            getattr(lib, name).restype = ctypes.c_int
        lib.ek_status_str.restype = ctypes.c_char_p
        _lib = lib
    return _lib


def choose_group_m(weight: np.ndarray) -> int:
    nonzero = int(np.count_nonzero(weight))
    m, k = weight.shape
    for g in SUPPORTED_GROUP_M:
        padded = np.zeros((-(-m // g) * g, k), dtype=bool)
        padded[:m] = weight != 0
        stored = int(padded.reshape(-1, g, k).any(axis=1).sum()) * g
        if stored <= GROUP_SLACK * max(nonzero, 1) or g == 1:
            return g
    return 1


def _call_pack(fn_name: str, args_before_blob: list, group_m: int) -> bytes:
    lib = _native()
    fn = getattr(lib, fn_name)
    size = ctypes.c_size_t(0)
    status = fn(*args_before_blob, None, ctypes.c_size_t(0), ctypes.byref(size))
    if status != 0:
        raise ValueError(f"{fn_name}: {lib.ek_status_str(status).decode()}")
    buf = ctypes.create_string_buffer(size.value)
    status = fn(*args_before_blob, buf, ctypes.c_size_t(size.value), ctypes.byref(size))
    if status != 0:
        raise ValueError(f"{fn_name}: {lib.ek_status_str(status).decode()}")
    return buf.raw[: size.value]


def pack_f32(weight: np.ndarray, bias: np.ndarray | None, group_m: int | None = None) -> bytes:
    w = np.ascontiguousarray(weight, dtype=np.float32)
    m, k = w.shape
    g = group_m or choose_group_m(w)
    b = None if bias is None else np.ascontiguousarray(bias, dtype=np.float32)
    args = [ctypes.c_int32(m), ctypes.c_int32(k), ctypes.c_int32(g), w.ctypes.data_as(_f32p), None,
            None if b is None else b.ctypes.data_as(_f32p)]
    return _call_pack("ek_pack_f32", args, g)


def pack_qs8(
    weight: np.ndarray, w_scale: np.ndarray, bias: np.ndarray | None, group_m: int | None = None
) -> bytes:
    w = np.ascontiguousarray(weight, dtype=np.int8)
    m, k = w.shape
    g = group_m or choose_group_m(w)
    s = np.ascontiguousarray(w_scale, dtype=np.float32)
    b = None if bias is None else np.ascontiguousarray(bias, dtype=np.int32)
    args = [ctypes.c_int32(m), ctypes.c_int32(k), ctypes.c_int32(g), w.ctypes.data_as(ctypes.c_void_p), None,
            s.ctypes.data_as(_f32p), None if b is None else b.ctypes.data_as(ctypes.c_void_p)]
    return _call_pack("ek_pack_qs8", args, g)
