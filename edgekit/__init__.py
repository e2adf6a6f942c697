"""edgekit: take lightweight vision models to phones and small boards."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
