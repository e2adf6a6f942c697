"""edgekit: take lightweight vision models to phones and small boards."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "export_model", "load"]


def __getattr__(name: str) -> object:  # lazy: `import edgekit` stays light (no torch, runtimes)
    if name == "load":
        from edgekit.runtime import load

        return load
    if name == "export_model":
        from edgekit.export import export

        return export
    raise AttributeError(f"module 'edgekit' has no attribute {name!r}")
