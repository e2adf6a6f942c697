"""Latency statistics against numpy, and the environment description of this machine."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import pytest

from edgekit.profile import environment, stats


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101])
def test_latency_stats_match_numpy(n: int) -> None:
    samples = list(np.random.default_rng(n).lognormal(0.0, 0.5, size=n))
    got = stats.latency_stats(samples)
    assert got["mean"] == pytest.approx(np.mean(samples), rel=1e-12)
    assert got["std"] == pytest.approx(np.std(samples), rel=1e-9, abs=1e-15)
    for q in (50, 90, 99):
        assert got[f"p{q}"] == pytest.approx(np.percentile(samples, q), rel=1e-12)
    assert got["min"] <= got["p50"] <= got["p90"] <= got["p99"] <= got["max"]


def test_latency_stats_extremes() -> None:
    with pytest.raises(ValueError):
        stats.latency_stats([])
    flat = stats.latency_stats([2.5] * 7)
    assert flat["std"] == 0 and flat["p99"] == flat["p50"] == 2.5


def test_isa_features_from_flags_and_features() -> None:
    x86 = environment.isa_features("x86_64", {"flags": "fpu sse4_2 avx avx2 fma avx512f avx512_vnni"})
    assert x86 == ["SSE4.2", "AVX", "AVX2", "FMA", "AVX-512", "AVX-512 VNNI"]
    assert environment.isa_features("x86_64", {"flags": "fpu sse2"}) == []
    assert environment.isa_features("riscv64", {}) == []


def test_describe_this_machine() -> None:
    env = environment.describe(threads=2)
    assert env["arch"] == platform.machine() and env["threads"] == 2
    assert 1 <= env["cores_usable"] <= env["cores_logical"]
    assert env["versions"]["onnx"]  # onnxruntime is installed in the venv
    if env["arch"] == "x86_64":
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        flags = next(line for line in cpuinfo if line.startswith("flags")).split()
        assert ("AVX2" in env["isa"]) == ("avx2" in flags)
        assert ("AVX-512" in env["isa"]) == ("avx512f" in flags)
