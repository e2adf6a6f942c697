from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "profile"))
import tiny_models

import edgekit.profile as ekp


@pytest.fixture(scope="session")
def results() -> list[ekp.Result]:
    """Real profiles of the tiny bundle in all three runtimes (with per-op data and manifest accuracy)."""
    root = tiny_models.build()
    return ekp.profile_all(root / "bundle", runs=10, warmup=1, threads=1, per_op_runs=3)
