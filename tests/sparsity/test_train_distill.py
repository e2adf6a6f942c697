"""The fine-tuning loop's distillation and channels-last paths (edgekit.train.loop)."""

import pytest
import torch
from sparsity_tiny_net import tiny_net

from edgekit.errors import InvalidInputError
from edgekit.train import TrainConfig, fit
from edgekit.train.loop import distill_loss


def _blobs(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    protos = torch.randn(10, 1, 8, 8, generator=torch.Generator().manual_seed(99))
    return protos[y] + 0.3 * torch.randn(n, 1, 8, 8, generator=g), y


def _cfg(**kw):
    return TrainConfig(**{"epochs": 3, "batch_size": 32, "lr": 0.05, "augment": False, "log_every": 0,
                          "warmup_steps": 0, **kw})


def test_distill_loss_is_zero_only_when_the_student_matches_the_teacher():
    t = torch.randn(5, 10, generator=torch.Generator().manual_seed(0))
    assert float(distill_loss(t.clone(), t, 4.0)) == pytest.approx(0.0, abs=1e-6)
    # softmax ignores shifts (up to float32 rounding of the shifted logits, times T^2 = 16)
    assert float(distill_loss(t + 1.0, t, 4.0)) == pytest.approx(0.0, abs=2e-5)
    other = torch.randn(5, 10, generator=torch.Generator().manual_seed(1))
    assert float(distill_loss(other, t, 4.0)) > 1e-3
    # T^2 scaling: a higher temperature must not shrink the loss towards zero by 1/T^2
    assert float(distill_loss(other, t, 8.0)) > 0.1 * float(distill_loss(other, t, 1.0))


def test_pure_distillation_learns_the_teacher_not_the_labels():
    x, y = _blobs()
    torch.manual_seed(0)
    teacher = tiny_net()
    fit(teacher, (x, (y + 1) % 10), _cfg(epochs=6), log=lambda s: None)   # a teacher with shifted labels
    t_pred = teacher(x).argmax(1)
    assert float((t_pred == (y + 1) % 10).float().mean()) > 0.9
    torch.manual_seed(1)
    student = tiny_net()
    fit(student, (x, y), _cfg(epochs=6, distill_alpha=1.0, distill_temperature=2.0), teacher=teacher,
        log=lambda s: None)
    s_pred = student(x).argmax(1)
    agree_teacher = float((s_pred == t_pred).float().mean())
    agree_labels = float((s_pred == y).float().mean())
    assert agree_teacher > 0.6 and agree_labels < 0.1, (agree_teacher, agree_labels)


def test_channels_last_trains_like_contiguous_and_hands_back_plain_layouts():
    data = _blobs(128)
    nets = []
    for channels_last in (False, True):
        torch.manual_seed(0)
        net = tiny_net()
        fit(net, data, _cfg(epochs=1, channels_last=channels_last), log=lambda s: None)
        nets.append(net)
    for (name, a), (_, b) in zip(nets[0].state_dict().items(), nets[1].state_dict().items(), strict=True):
        assert torch.allclose(a.float(), b.float(), rtol=1e-4, atol=1e-5), name
        assert b.is_contiguous(), f"{name} left in channels-last"


@pytest.mark.parametrize("kw,needle", [({"distill_alpha": 1.5}, "distillation"),
                                       ({"distill_temperature": 0.0}, "distillation")])
def test_bad_distillation_settings_are_refused(kw, needle):
    with pytest.raises(InvalidInputError, match=needle):
        _cfg(**kw).validate()


def test_distillation_without_a_teacher_is_refused():
    with pytest.raises(InvalidInputError, match="teacher"):
        fit(tiny_net(), _blobs(32), _cfg(distill_alpha=0.5), log=lambda s: None)
