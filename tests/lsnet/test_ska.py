"""SKA in exportable form equals the unfold-based reference (fp32, atol 1e-5)."""

from __future__ import annotations

import pytest
import torch

from edgekit.models.lsnet.blocks import LSConv
from edgekit.models.lsnet.ska import SKA, ska, ska_reference, to_tap_major

ATOL = 1e-5


@pytest.mark.parametrize(("n", "c", "cw", "h", "w", "k"), [
    (1, 16, 2, 7, 9, 3),    # odd, non-square map
    (2, 24, 3, 5, 5, 3),    # batch > 1
    (1, 8, 8, 4, 6, 3),     # one group (C == Cw)
    (1, 12, 4, 1, 1, 3),    # 1x1 map: only the centre tap sees data
    (1, 6, 2, 6, 5, 5),     # 5x5 kernel
    (1, 8, 1, 2, 3, 3),     # map smaller than the kernel
])
def test_exportable_ska_matches_unfold_reference(n, c, cw, h, w, k):
    gen = torch.Generator().manual_seed(n * 1000 + c * 10 + k)
    x = torch.randn(n, c, h, w, generator=gen)
    weights = torch.randn(n, cw, k * k, h, w, generator=gen)
    ref = ska_reference(x, weights)
    torch.testing.assert_close(ska(x, to_tap_major(weights), k), ref, atol=ATOL, rtol=0)
    torch.testing.assert_close(SKA(c, k)(x, to_tap_major(weights)), ref, atol=ATOL, rtol=0)


def test_reference_is_the_published_definition_at_one_pixel():
    """Hand-computed: out[c,i,j] = sum_ab x[c,i+a-1,j+b-1] * w[c % Cw, 3a+b, i, j] with zero padding."""
    x = torch.arange(4 * 3 * 3, dtype=torch.float32).view(1, 4, 3, 3)
    w = torch.randn(1, 2, 9, 3, 3)
    c, i, j = 3, 0, 2
    expected = sum(x[0, c, i + a - 1, j + b - 1] * w[0, c % 2, 3 * a + b, i, j]
                   for a in range(3) for b in range(3)
                   if 0 <= i + a - 1 < 3 and 0 <= j + b - 1 < 3)
    assert ska_reference(x, w)[0, c, i, j].item() == pytest.approx(expected.item(), abs=1e-5)


def test_ska_handles_extreme_values():
    x = torch.full((1, 8, 3, 3), 1e30)
    w = torch.zeros(1, 2, 9, 3, 3)
    assert torch.equal(ska(x, to_tap_major(w)), torch.zeros(1, 8, 3, 3))
    big = torch.full((1, 2, 9, 3, 3), 1e20)
    assert torch.isinf(SKA(8)(x, to_tap_major(big))).all()


def test_ska_rejects_weights_that_do_not_fit():
    with pytest.raises(ValueError, match="weight channels"):
        ska(torch.randn(1, 8, 3, 3), torch.randn(1, 10, 3, 3))


def test_lsconv_equals_published_formulation():
    """LSConv = x + BN(SKA(x, GroupNorm(cv4(...)) viewed (N, C/8, 9, H, W))) with nn.GroupNorm itself."""
    torch.manual_seed(0)
    conv = LSConv(32).eval()
    with torch.no_grad():
        conv.lkp.norm.weight.normal_(1, 0.3)
        conv.lkp.norm.bias.normal_(0, 0.3)
        conv.bn.running_var.uniform_(0.5, 2)
        x = torch.randn(2, 32, 7, 5)
        lkp = conv.lkp
        hidden = lkp.act(lkp.cv3(lkp.cv2(lkp.act(lkp.cv1(x)))))
        gn = torch.nn.GroupNorm(lkp.weight_channels, lkp.taps * lkp.weight_channels)
        gn.load_state_dict(lkp.norm.state_dict())
        w = gn(lkp.cv4(hidden)).view(2, lkp.weight_channels, lkp.taps, 7, 5)
        expected = x + conv.bn(ska_reference(x, w))
        torch.testing.assert_close(conv(x), expected, atol=1e-5, rtol=1e-5)
