"""Loading checkpoints in the original LSNet naming (round trip through our own weights)."""

from __future__ import annotations

import pytest
import torch

from edgekit.errors import InvalidInputError
from edgekit.models.lsnet import LSNet, load_original_checkpoint, lsnet_s, lsnet_t, to_original_state_dict
from edgekit.models.lsnet.checkpoint import edgekit_to_original_key, original_to_edgekit_key
from tests.lsnet.conftest import SMALL, randomize_norms


def test_original_names_for_lsnet_t():
    names = set(to_original_state_dict(lsnet_t()))
    for key in ["patch_embed.0.c.weight", "patch_embed.4.bn.running_var",
                "blocks2.0.c.weight", "blocks2.1.c.weight",               # downsample of stage 2
                "blocks2.2.mixer.conv.c.weight", "blocks2.2.mixer.conv1.bn.bias", "blocks2.2.se.fc1.weight",
                "blocks2.3.mixer.lkp.cv4.weight", "blocks2.3.mixer.lkp.norm.weight",
                "blocks2.3.mixer.bn.weight",
                "blocks3.9.ffn.m.pw2.c.weight",
                "blocks4.3.mixer.m.qkv.c.weight", "blocks4.3.mixer.m.proj.1.bn.weight",
                "blocks4.3.mixer.m.attention_biases", "blocks4.3.mixer.m.attention_bias_idxs",
                "head.bn.weight", "head.l.weight", "head.l.bias"]:
        assert key in names, key
    assert not any(k.startswith("blocks1.") for k in names)  # lsnet_t has no stage-1 blocks


@pytest.mark.parametrize("key", ["blocks1.0.mixer.conv.c.weight", "blocks3.0.c.weight",
                                 "blocks4.7.ffn.m.pw1.bn.running_mean", "head_dist.l.weight"])
def test_key_mapping_round_trips(key):
    assert edgekit_to_original_key(original_to_edgekit_key(key)) == key


def test_round_trip_through_a_file(tmp_path):
    torch.manual_seed(0)
    source = randomize_norms(LSNet(SMALL, num_classes=7, input_size=96), seed=3).eval()
    path = tmp_path / "lsnet_small.pth"
    torch.save({"model": to_original_state_dict(source)}, path)  # the original repo wraps in "model"
    torch.manual_seed(1)
    target = LSNet(SMALL, num_classes=7, input_size=96).eval()
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        assert not torch.allclose(target(x), source(x))
        load_original_checkpoint(target, path)
        torch.testing.assert_close(target(x), source(x), atol=0, rtol=0)


def test_attention_bias_table_is_cropped_to_a_smaller_grid():
    torch.manual_seed(0)
    big = randomize_norms(LSNet(SMALL, num_classes=5, input_size=224))   # 4x4 attention grid
    small = LSNet(SMALL, num_classes=5, input_size=96)                   # 2x2 attention grid
    load_original_checkpoint(small, to_original_state_dict(big))
    table = big.stages[3].blocks[1].mixer.m.attention_biases.view(2, 4, 4)
    torch.testing.assert_close(small.stages[3].blocks[1].mixer.m.attention_biases.view(2, 2, 2),
                               table[:, :2, :2])


def test_wrong_size_is_a_one_line_error():
    with pytest.raises(InvalidInputError, match="does not match") as err:
        load_original_checkpoint(lsnet_t(num_classes=10, input_size=64),
                                 to_original_state_dict(lsnet_s(num_classes=10, input_size=64)))
    assert "\n" not in str(err.value)


def test_distillation_head_needs_distillation_model():
    with_dist = LSNet(SMALL, num_classes=5, input_size=96, distillation=True)
    with pytest.raises(InvalidInputError, match="distillation=True"):
        load_original_checkpoint(LSNet(SMALL, num_classes=5, input_size=96),
                                 to_original_state_dict(with_dist))


def test_missing_and_corrupt_files(tmp_path):
    model = LSNet(SMALL, num_classes=5, input_size=96)
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_original_checkpoint(model, tmp_path / "nope.pth")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_original_checkpoint(model, bad)
