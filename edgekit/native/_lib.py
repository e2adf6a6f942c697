"""Locating and loading libedgekit.so, with ctypes prototypes for the public C API (edgekit.h)."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from edgekit.errors import MissingDependencyError

ENV_NATIVE = "EDGEKIT_NATIVE_LIB"
LIBRARY_NAME = "libedgekit.so"
_REPO_BUILD = Path(__file__).resolve().parents[2] / "build" / "native" / LIBRARY_NAME
_PACKAGED = Path(__file__).resolve().parents[1] / "_native" / LIBRARY_NAME

c_int32, c_size_t, c_void_p, c_float = ctypes.c_int32, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_float
i32, vp = c_int32, c_void_p
c_size_p = ctypes.POINTER(ctypes.c_size_t)


class F32Params(ctypes.Structure):
    _fields_ = [("output_min", ctypes.c_float), ("output_max", ctypes.c_float)]


class QS8Params(ctypes.Structure):
    _fields_ = [
        ("input_zero_point", ctypes.c_int32), ("input_scale", ctypes.c_float),
        ("output_zero_point", ctypes.c_int32), ("output_scale", ctypes.c_float),
        ("output_min", ctypes.c_int8), ("output_max", ctypes.c_int8),
    ]


class WeightsInfo(ctypes.Structure):
    _fields_ = [
        ("dtype", ctypes.c_int), ("M", ctypes.c_int32), ("K", ctypes.c_int32), ("group_m", ctypes.c_int32),
        ("groups_total", ctypes.c_int64), ("groups_kept", ctypes.c_int64), ("nnz", ctypes.c_int64),
    ]


_PROTOTYPES: dict[str, tuple[object, list]] = {
    "ek_status_str": (ctypes.c_char_p, [ctypes.c_int]),
    "ek_version": (ctypes.c_char_p, []),
    "ek_pack_f32": (ctypes.c_int, [i32, i32, i32, vp, vp, vp, vp, c_size_t, c_size_p]),
    "ek_pack_qs8": (ctypes.c_int, [i32, i32, i32, vp, vp, vp, vp, vp, c_size_t, c_size_p]),
    "ek_weights_open": (ctypes.c_int, [c_void_p, c_size_t, ctypes.POINTER(c_void_p)]),
    "ek_weights_close": (None, [c_void_p]),
    "ek_weights_info_get": (ctypes.c_int, [c_void_p, ctypes.POINTER(WeightsInfo)]),
    "ek_unpack_f32": (ctypes.c_int, [c_void_p, c_void_p, c_void_p, c_void_p]),
    "ek_unpack_qs8": (ctypes.c_int, [c_void_p, c_void_p, c_void_p, c_void_p, c_void_p]),
    "ek_gspmm_f32": (ctypes.c_int, [c_void_p, c_int32, c_void_p, c_int32, c_void_p, c_int32,
                                    ctypes.POINTER(F32Params)]),
    "ek_gspmm_qs8": (ctypes.c_int, [c_void_p, c_int32, c_void_p, c_int32, c_void_p, c_int32,
                                    ctypes.POINTER(QS8Params)]),
    "ek_dense_f32": (ctypes.c_int, [i32, i32, i32, vp, vp, vp, i32, vp, i32, ctypes.POINTER(F32Params)]),
    "ek_dense_qs8": (ctypes.c_int, [i32, i32, i32, vp, vp, vp, vp, i32, vp, i32, ctypes.POINTER(QS8Params)]),
    "ek_isa_available": (ctypes.c_uint32, []),
    "ek_isa_selected": (ctypes.c_int, [ctypes.c_int]),
    "ek_isa_force": (ctypes.c_int, [ctypes.c_int]),
    "ek_isa_name": (ctypes.c_char_p, [ctypes.c_int]),
}

_lib: ctypes.CDLL | None = None


def library_path() -> Path | None:
    """EDGEKIT_NATIVE_LIB, then the repo's build/native, then a copy inside the package."""
    env = os.environ.get(ENV_NATIVE)
    candidates = ([Path(env)] if env else []) + [_REPO_BUILD, _PACKAGED]
    return next((p for p in candidates if p.is_file()), None)


def lib() -> ctypes.CDLL:
    global _lib
    if _lib is None:
        path = library_path()
        if path is None:
            raise MissingDependencyError("native library not built: run `make native`",
                                         hint=f"or point {ENV_NATIVE} at a libedgekit.so")
        loaded = ctypes.CDLL(str(path))
        for name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(loaded, name)
            fn.restype = restype
            fn.argtypes = argtypes
        _lib = loaded
    return _lib
