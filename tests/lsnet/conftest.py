"""Shared LSNet test helpers (defined in small_factory.py, which the export pipeline imports by path)."""

from __future__ import annotations

import pytest

from edgekit.models.lsnet import LSNet
from tests.lsnet.small_factory import SMALL, randomize_norms, small_lsnet

__all__ = ["SMALL", "randomize_norms", "small_lsnet"]


@pytest.fixture(scope="session")
def small_model() -> LSNet:
    return small_lsnet()
