"""Group masks: shape per pattern, exact sparsity, remainders, packability with the native packer."""

import math

import numpy as np
import pytest
import torch

from edgekit.errors import InvalidInputError, UnknownNameError
from edgekit.sparsity import PATTERNS, describe, detect_pattern, group_mask
from edgekit.sparsity.masks import as_matrix, fits_pattern, group_scores
from edgekit.sparsity.patterns import get, native_patterns


def _weight(m, k, kh=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(m, k, kh, kh, generator=g)


@pytest.mark.parametrize("name", ["1x1", "4x1", "8x1", "1x4", "1x16"])
@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.7, 0.9])
def test_mask_removes_whole_blocks_with_exact_sparsity(name, sparsity):
    pat = get(name)
    w = _weight(64, 48)
    mask = group_mask(w, pat, sparsity)
    assert mask.shape == w.shape and mask.dtype == torch.bool
    blocks = as_matrix(mask).reshape(64 // pat.rows, pat.rows, 48 // pat.cols, pat.cols)
    per_block = blocks.sum(dim=(1, 3))
    # every block is all kept or all dropped
    assert set(per_block.unique().tolist()) <= {0, pat.block_size}
    rows = 64 // pat.rows
    n_groups = rows * (48 // pat.cols)
    expected = min(round(sparsity * n_groups), n_groups - rows)  # each block-row keeps one block
    assert int((per_block == 0).sum()) == expected
    assert int((~mask).sum()) == expected * pat.block_size  # exact, element count
    assert bool((per_block > 0).any(dim=1).all()), "a block-row lost every block"


@pytest.mark.parametrize("sparsity", [0.9, 0.99])
def test_every_output_block_keeps_its_strongest_group(sparsity):
    # high sparsity must never zero a whole group of output channels (dead channels break int8 PTQ)
    w = _weight(32, 12)
    w[4:8] *= 1e-3  # one weak output block that a global ranking would remove entirely
    pat = get("4x1")
    keep = as_matrix(group_mask(w, pat, sparsity))[::4]
    assert bool(keep.any(dim=1).all())
    scores = group_scores(w, pat)
    assert bool(keep[torch.arange(8), scores.argmax(dim=1)].all())


def test_mask_drops_the_weakest_groups():
    w = torch.ones(8, 4, 1, 1)
    w[0:4, 2] = 0.01   # group (0, 2) weakest
    w[4:8, 1] = 0.02   # group (1, 1) next
    mask = group_mask(w, get("4x1"), 0.25)
    dropped = {(r // 4, c) for r, c in (~as_matrix(mask)).nonzero().tolist()}
    assert dropped == {(0, 2), (1, 1)}


@pytest.mark.parametrize("m", [1, 3, 10, 13])
def test_output_channels_not_a_multiple_of_the_group_use_a_partial_last_group(m):
    pat = get("8x1") if m > 8 else get("4x1")
    w = _weight(m, 20)
    mask = group_mask(w, pat, 0.6)
    gm = math.ceil(m / pat.rows)
    keep = as_matrix(mask)
    for b in range(gm):
        rows = keep[b * pat.rows:min(m, (b + 1) * pat.rows)]
        assert bool((rows == rows[0]).all()), "a partial group must be kept or dropped as a whole"
    assert int((~keep[::pat.rows]).sum()) == min(gm * 20 - gm, round(0.6 * gm * 20))
    assert fits_pattern(w * mask, pat)


def test_partial_groups_are_scored_by_rms_not_sum():
    # last group has 1 real row; its RMS equals the others' so it must not look artificially weak
    w = torch.ones(5, 3)
    scores = group_scores(w, get("4x1"))
    assert torch.allclose(scores, torch.ones(2, 3))


def test_conv_kxk_weight_is_viewed_as_m_by_k_kh_kw():
    w = _weight(8, 4, kh=3)
    mask = group_mask(w, get("4x1"), 0.5)
    assert mask.shape == (8, 4, 3, 3)
    assert fits_pattern(w * mask, get("4x1"))


@pytest.mark.parametrize("bad", [1.0, 1.5, -0.1, float("nan")])
def test_sparsity_outside_unit_interval_is_refused(bad):
    with pytest.raises(InvalidInputError, match=r"outside \[0, 1\)"):
        group_mask(_weight(8, 8), get("4x1"), bad)


def test_unknown_pattern_lists_valid_ones():
    with pytest.raises(UnknownNameError, match="4x1"):
        get("3x3")


def test_tflite_block_pattern_that_does_not_divide_is_refused_native_ones_are_not():
    with pytest.raises(InvalidInputError, match="divisible by 4"):
        get("1x4").check_fits(16, 10, "layer1")
    get("4x1").check_fits(10, 10, "layer1")  # partial group: fine


def test_detect_pattern_prefers_the_largest_block():
    w = _weight(32, 32)
    assert detect_pattern(w) is None
    assert detect_pattern(w * group_mask(w, get("8x1"), 0.5)) == "8x1"
    assert detect_pattern(w * group_mask(w, get("4x1"), 0.5)) == "4x1"
    assert detect_pattern(w * group_mask(w, get("1x16"), 0.5)) == "1x16"
    assert detect_pattern(w * group_mask(w, get("1x1"), 0.5)) == "1x1"


def test_describe_reports_per_layer_sparsity_and_pattern():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Conv2d(8, 12, 1), torch.nn.Flatten(),
                              torch.nn.Linear(12, 4))
    assert describe(net)["layers"] == {} and describe(net)["pattern"] is None
    with torch.no_grad():
        net[1].weight.mul_(group_mask(net[1].weight, get("4x1"), 0.75))
    info = describe(net)
    assert list(info["layers"]) == ["1"]
    layer = info["layers"]["1"]
    assert layer["shape"] == [12, 8] and layer["pattern"] == "4x1" and layer["native_group_m"] == 4
    assert layer["sparsity"] == pytest.approx(18 / 24)  # 3*8 groups, 18 dropped
    assert info["pattern"] == "4x1"


# ---- packability: every mask made here must pack with edgekit.native -----------------------------

@pytest.fixture(scope="module")
def native():
    mod = pytest.importorskip("edgekit.native")
    try:
        mod.pack(np.ones((4, 4), np.float32), group_m=4)
    except Exception as exc:  # library not built
        pytest.skip(f"native library not available: {exc}")
    return mod


def test_pattern_table_matches_the_native_library(native):
    assert {p.native_group_m for p in native_patterns()} == set(native.SUPPORTED_GROUP_M)
    for entry in PATTERNS:
        p = entry.obj
        assert (p.native_group_m is None) == (p.name in ("1x4", "1x16"))


@pytest.mark.parametrize("name", ["1x1", "4x1", "8x1"])
@pytest.mark.parametrize("m,k", [(24, 16), (13, 7), (1, 5), (96, 160)])
@pytest.mark.parametrize("sparsity", [0.5, 0.9])
def test_masks_pack_and_unpack_exactly(native, name, m, k, sparsity):
    pat = get(name)
    w = _weight(m, k, seed=m * k)
    mask = group_mask(w, pat, sparsity)
    wm = as_matrix(w * mask).numpy().astype(np.float32)
    km = as_matrix(mask).numpy().astype(np.uint8)
    blob = native.pack(wm, km, group_m=pat.native_group_m)
    with native.Weights(blob) as opened:
        info = opened.info
        assert info.groups_kept == int(group_scores(w * mask, pat).ne(0).sum())
        assert info.nnz == int(km.sum())
        W, mask_back, _, _ = opened.unpack()
    np.testing.assert_array_equal(W, wm)
    np.testing.assert_array_equal(mask_back, km)
