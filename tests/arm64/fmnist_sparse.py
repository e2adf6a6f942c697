"""A group-sparse Fashion-MNIST MobileNetV2 for the arm64 proof when the fine-tuned one is not built.

`fmnist_s70` = edgekit's trained fmnist_mobilenet_v2 pruned one-shot to 70% 4x1 groups in its 1x1
convs with edgekit.sparsity (no fine-tuning: lower accuracy, but exactly the kind of weights a
sparse bundle carries). The proof only checks that arm64 computes what x86 computes.
"""

from __future__ import annotations

from torch import nn


def fmnist_s70() -> nn.Module:
    from edgekit import sparsity
    from edgekit.models import MODELS

    model = MODELS.get("fmnist_mobilenet_v2")().eval()
    sparsity.prune(model, sparsity.uniform_plan(model, 0.7, "4x1"))
    return sparsity.bake(model).eval()
