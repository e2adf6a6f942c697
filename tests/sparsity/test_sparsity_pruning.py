"""Schedule values, layer selection, one-shot / gradual / global pruning, fixed masks, sensitivity plans."""

import pytest
import torch
from sparsity_tiny_net import tiny_net

from edgekit.errors import InvalidInputError
from edgekit.sparsity import (
    CubicSchedule,
    GradualPruner,
    Plan,
    Selection,
    analyze,
    bake,
    describe,
    plan_for_target,
    prune,
    select_layers,
    uniform_plan,
)
from edgekit.sparsity.masks import as_matrix
from edgekit.train import TrainConfig, evaluate, fit


def test_cubic_schedule_values():
    s = CubicSchedule(0.8, start=10, end=110, every=10)
    assert s.sparsity(0) == 0.0 and s.sparsity(10) == 0.0
    assert s.sparsity(60) == pytest.approx(0.8 * (1 - 0.5 ** 3))   # 0.7
    assert s.sparsity(35) == pytest.approx(0.8 * (1 - 0.75 ** 3))
    assert s.sparsity(110) == pytest.approx(0.8) and s.sparsity(10_000) == pytest.approx(0.8)
    values = [s.sparsity(t) for t in range(0, 120)]
    assert values == sorted(values), "monotone"
    assert [t for t in range(0, 130) if s.updates_at(t)] == list(range(10, 111, 10))
    assert CubicSchedule(0.5, 0, 0).sparsity(0) == 0.5


@pytest.mark.parametrize("kw", [dict(final=1.0), dict(final=0.5, start=5, end=2), dict(final=0.5, every=0)])
def test_bad_schedules_are_refused(kw):
    with pytest.raises(InvalidInputError):
        CubicSchedule(**kw)


def test_default_selection_skips_first_conv_depthwise_and_classifier():
    net = tiny_net()
    assert list(select_layers(net)) == ["expand.0", "project.0", "hidden"]
    sel = Selection(first_conv=True, classifier=True, depthwise=True)
    assert list(select_layers(net, sel)) == ["stem.0", "expand.0", "dw.0", "project.0", "hidden", "fc"]
    assert list(select_layers(net, Selection(exclude=("hidden",), include=("fc",)))) == ["expand.0",
                                                                                        "project.0", "fc"]
    with pytest.raises(InvalidInputError, match="matches no"):
        select_layers(net, Selection(exclude=("nope*",)))


def test_one_shot_uniform_plan_hits_each_layer():
    net = tiny_net()
    prune(net, uniform_plan(net, 0.5, "4x1"))
    info = describe(net)
    assert set(info["layers"]) == {"expand.0", "project.0", "hidden"}
    # expand: 10x16 -> 3 row groups x 16 = 48 groups, 24 dropped; the partial group has 2 rows
    exp = as_matrix(net.expand[0].weight)
    assert int((exp[::4] == 0).sum()) == 24
    assert info["layers"]["hidden"]["sparsity"] == pytest.approx(0.5)


def test_global_threshold_meets_the_target_across_layers():
    torch.manual_seed(0)
    net = tiny_net()
    with torch.no_grad():
        net.hidden.weight.mul_(0.1)   # a weak layer: global ranking should prune it hardest
    prune(net, uniform_plan(net, 0.6, "4x1", criterion="global"))
    weights = [net.expand[0].weight, net.project[0].weight, net.hidden.weight]
    zeros = sum(int((w == 0).sum()) for w in weights)
    assert zeros / sum(w.numel() for w in weights) == pytest.approx(0.6, abs=0.01)
    # the weak layer is pruned hardest (here: it absorbs the whole budget)
    assert float((net.hidden.weight == 0).float().mean()) > float((net.expand[0].weight == 0).float().mean())


def _blobs(n=256, seed=0):
    """Linearly separable-ish 10-class data at 8x8: a cheap real training signal."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    protos = torch.randn(10, 1, 8, 8, generator=torch.Generator().manual_seed(99))
    return protos[y] + 0.3 * torch.randn(n, 1, 8, 8, generator=g), y


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_masks_stay_fixed_and_pruned_weights_stay_exactly_zero_while_fine_tuning(optimizer):
    torch.manual_seed(0)
    net = tiny_net()
    data = _blobs()
    plan = uniform_plan(net, 0.7, "4x1")
    steps_per_epoch = 256 // 32
    sched = CubicSchedule(0.7, start=0, end=steps_per_epoch * 2, every=2)   # prune for 2 epochs of 4
    pruner = GradualPruner(net, plan, sched)
    seen = {}

    class Spy:
        """Records masks and zeros after each step, then delegates to the pruner."""

        def after_step(self, step):
            pruner.after_step(step)
            seen[step] = ({k: v.clone() for k, v in pruner.masks.items()},
                          {n: (dict(net.named_modules())[n].weight == 0).clone() for n in plan.layers})

        def state_dict(self):
            return pruner.state_dict()

        def load_state_dict(self, s):
            pruner.load_state_dict(s)

    cfg = TrainConfig(epochs=4, batch_size=32, optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 0.01,
                      augment=False, log_every=0, warmup_steps=0)
    fit(net, data, cfg, hook=Spy(), log=lambda s: None)
    end = sched.end
    frozen = seen[end][0]
    for step in range(end, 4 * steps_per_epoch + 1):
        masks, zeros = seen[step]
        for name in plan.layers:
            assert torch.equal(masks[name], frozen[name]), f"mask of {name} changed at step {step}"
            assert bool(zeros[name][~masks[name]].all()), f"pruned weights of {name} moved at step {step}"
    # sparsity grows along the schedule before the end
    s_mid = float((~seen[end // 2][0]["hidden"]).float().mean())
    assert 0.0 < s_mid < 0.7
    bake(net, pruner.masks)
    assert describe(net)["layers"]["hidden"]["sparsity"] == pytest.approx(0.7, abs=0.01)
    assert evaluate(net, data) > 0.5   # it still learned while pruning


def test_resume_restores_pruner_masks(tmp_path):
    torch.manual_seed(0)
    data = _blobs(128)
    ckpt = tmp_path / "state.pt"
    cfg = TrainConfig(epochs=2, batch_size=32, lr=0.05, augment=False, log_every=0, warmup_steps=0)
    net = tiny_net()
    plan = uniform_plan(net, 0.5, "8x1")
    pruner = GradualPruner(net, plan, CubicSchedule(0.5, 0, 4, every=1))
    fit(net, data, TrainConfig(**{**cfg.__dict__, "epochs": 1}), checkpoint=ckpt, hook=pruner, log=print)
    # a fresh process: new model and pruner, same checkpoint -> continues from epoch 1 with the masks
    net2 = tiny_net()
    pruner2 = GradualPruner(net2, uniform_plan(net2, 0.5, "8x1"), CubicSchedule(0.5, 0, 4, every=1))
    fit(net2, data, cfg, checkpoint=ckpt, hook=pruner2, log=lambda s: None)
    for name in plan.layers:
        assert torch.equal(pruner2.masks[name], pruner.masks[name])


def test_sensitivity_analysis_restores_weights_and_plan_meets_the_target():
    torch.manual_seed(0)
    net = tiny_net()
    data = _blobs()
    fit(net, data, TrainConfig(epochs=3, batch_size=32, lr=0.05, augment=False, log_every=0, warmup_steps=0),
        log=lambda s: None)
    sens = analyze(net, lambda m: evaluate(m, data), "4x1", (0.5, 0.7, 0.9))
    assert set(sens.accuracy) == {"expand.0", "project.0", "hidden"}
    before = [p.detach().clone() for p in net.parameters()]
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True)), "weights restored"
    plan = plan_for_target(sens, 0.6)
    total = sum(sens.weights.values())
    removed = sum(plan.layers[n] * w for n, w in sens.weights.items())
    assert removed / total >= 0.6 - 1e-6
    assert plan.method == "sensitivity" and all(0 <= s <= 0.9 for s in plan.layers.values())
    with pytest.raises(InvalidInputError, match="above the highest"):
        plan_for_target(sens, 0.95)


def test_plan_rejects_unknown_layers_and_bad_values():
    net = tiny_net()
    with pytest.raises(InvalidInputError, match="does not have"):
        prune(net, Plan("4x1", {"nope": 0.5}, 0.5))
    with pytest.raises(InvalidInputError, match="outside"):
        Plan("4x1", {"hidden": 1.2}, 0.5)
    with pytest.raises(InvalidInputError, match="divisible by 4"):
        uniform_plan(net, 0.5, "1x4")   # project.0 has K=10 input channels
