"""Passes over the delegate program (program.Program), one per file, run by preprocess.py in order."""

from edgekit.backends.executorch.passes.assign_slots import assign_slots
from edgekit.backends.executorch.passes.fuse_activation import fuse_activations

__all__ = ["assign_slots", "fuse_activations"]
