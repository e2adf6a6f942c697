"""Reparameterisation: the fused deployment model computes what the training-form model computes (eval)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from edgekit.models.lsnet import lsnet_t, reparameterize
from edgekit.models.lsnet.layers import BNLinear, ConvBN, RepVGGDW
from tests.lsnet.conftest import randomize_norms, small_lsnet


def _assert_fused(model: nn.Module) -> None:
    leftovers = [n for n, m in model.named_modules()
                 if isinstance(m, (ConvBN, RepVGGDW, BNLinear, nn.BatchNorm1d, nn.BatchNorm2d))]
    assert not leftovers, f"unfused modules remain: {leftovers[:5]}"


def test_repvggdw_fuses_to_one_conv():
    torch.manual_seed(0)
    block = randomize_norms(RepVGGDW(12)).eval()
    fused = block.fuse()
    assert isinstance(fused, nn.Conv2d) and fused.kernel_size == (3, 3) and fused.groups == 12
    x = torch.randn(2, 12, 5, 7)
    torch.testing.assert_close(fused(x), block(x), atol=1e-5, rtol=1e-5)


def test_bnlinear_fuses_to_linear():
    torch.manual_seed(0)
    head = randomize_norms(BNLinear(16, 5)).eval()
    x = torch.randn(4, 16)
    torch.testing.assert_close(head.fuse()(x), head(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("distillation", [False, True])
def test_fused_small_lsnet_equals_unfused(distillation):
    model = small_lsnet(distillation=distillation)
    fused = reparameterize(model)
    _assert_fused(fused)
    assert fused.head_dist is None
    x = torch.randn(3, 3, 96, 96)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), model(x), atol=1e-4, rtol=1e-4)
    assert model.stages[1].blocks[0].mixer.conv.bn.weight is not None  # the original is untouched


def test_fused_lsnet_t_equals_unfused_at_reduced_size():
    torch.manual_seed(1)
    model = randomize_norms(lsnet_t(num_classes=10, input_size=64), seed=1).eval()
    fused = model.fuse()
    _assert_fused(fused)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref, out = model(x), fused(x)
    torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)
    assert ref.abs().max() > 1e-2  # the check is not comparing zeros


def test_attention_rejects_other_input_sizes():
    from edgekit.errors import InvalidInputError

    model = small_lsnet(input_size=96)
    with pytest.raises(InvalidInputError, match="input_size"):
        model(torch.randn(1, 3, 160, 160))
