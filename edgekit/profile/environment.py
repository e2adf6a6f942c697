"""Describe the machine a profile ran on, so results from different boards compare fairly.

Standard library only: the profiler worker copies this file to remote boards that lack edgekit.
On aarch64 the ISA features come from AT_HWCAP in /proc/self/auxv (what the kernel grants this
process) rather than /proc/cpuinfo, which shows the host CPU under qemu.
"""

from __future__ import annotations

import os
import platform
import socket
import struct
from importlib import metadata

# Package names whose versions matter for a profile, by runtime.
RUNTIME_PACKAGES = {
    "executorch": "executorch",
    "tflite": "ai-edge-litert",
    "onnx": "onnxruntime",
}
_OTHER_PACKAGES = ("torch", "numpy")

_X86_FLAGS = {  # /proc/cpuinfo flag -> name shown in reports
    "sse4_2": "SSE4.2", "avx": "AVX", "avx2": "AVX2", "fma": "FMA", "f16c": "F16C",
    "avx512f": "AVX-512", "avx512bw": "AVX-512BW", "avx512_vnni": "AVX-512 VNNI",
    "avx_vnni": "AVX-VNNI", "avx512_bf16": "AVX-512 BF16", "amx_int8": "AMX-INT8",
}
# aarch64 HWCAP / HWCAP2 bits (linux/arch/arm64/include/uapi/asm/hwcap.h)
_ARM_HWCAP = {1 << 1: "NEON", 1 << 9: "FP16", 1 << 20: "dotprod", 1 << 22: "SVE"}
_ARM_HWCAP2 = {1 << 1: "SVE2", 1 << 13: "i8mm", 1 << 14: "BF16"}
_ARM_CPUINFO = {"asimd": "NEON", "neon": "NEON", "asimddp": "dotprod", "i8mm": "i8mm", "sve": "SVE"}
_AT_HWCAP, _AT_HWCAP2 = 16, 26


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _cpuinfo_fields() -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in _read("/proc/cpuinfo").splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and key not in fields:
            fields[key] = value.strip()
    return fields


def _auxv() -> dict[int, int]:
    try:
        with open("/proc/self/auxv", "rb") as f:
            raw = f.read()
    except OSError:
        return {}
    width = struct.calcsize("L")
    values: dict[int, int] = {}
    for off in range(0, len(raw) - 2 * width + 1, 2 * width):
        key, val = struct.unpack_from("LL", raw, off)
        if key == 0:
            break
        values[key] = val
    return values


def isa_features(arch: str, cpuinfo: dict[str, str]) -> list[str]:
    if arch in ("x86_64", "amd64", "i686"):
        flags = set(cpuinfo.get("flags", "").split())
        return [name for flag, name in _X86_FLAGS.items() if flag in flags]
    if arch in ("aarch64", "arm64", "armv7l", "armv8l"):
        aux = _auxv()
        found: list[str] = []
        if aux.get(_AT_HWCAP):
            found += [n for bit, n in _ARM_HWCAP.items() if aux[_AT_HWCAP] & bit]
            found += [n for bit, n in _ARM_HWCAP2.items() if aux.get(_AT_HWCAP2, 0) & bit]
        else:
            flags = set(cpuinfo.get("features", "").split())
            found = sorted({n for flag, n in _ARM_CPUINFO.items() if flag in flags})
        return found
    return []


def cpu_model(cpuinfo: dict[str, str]) -> str:
    board = _read("/proc/device-tree/model").strip("\x00\n ")
    for key in ("model name", "hardware", "cpu model", "model"):
        if cpuinfo.get(key):
            name = cpuinfo[key]
            return f"{board} ({name})" if board and board != name else name
    if board:
        return board
    part = cpuinfo.get("cpu part")
    return f"ARM part {part}" if part else (platform.processor() or "unknown")


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def describe(threads: int | None = None) -> dict:
    """The environment block of a profile result."""
    info = _cpuinfo_fields()
    arch = platform.machine()
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    versions = {rt: package_version(pkg) for rt, pkg in RUNTIME_PACKAGES.items()}
    versions.update({pkg: package_version(pkg) for pkg in _OTHER_PACKAGES})
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(info),
        "arch": arch,
        "isa": isa_features(arch, info),
        "cores_logical": os.cpu_count() or 1,
        "cores_usable": usable,
        "threads": threads,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": {k: v for k, v in versions.items() if v},
    }
