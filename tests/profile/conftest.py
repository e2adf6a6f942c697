from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tiny_models


@pytest.fixture(scope="session")
def tiny() -> Path:
    return tiny_models.build()


@pytest.fixture()
def bundle_copy(tiny: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny bundle that a test may damage."""
    dst = tmp_path / "bundle"
    shutil.copytree(tiny / "bundle", dst)
    return dst
