"""`edgekit train MODEL --data fashion-mnist --epochs N --out CKPT`: train a zoo model from scratch."""

from __future__ import annotations

import argparse

from edgekit.cli.commands import Command, command


def add_training_arguments(p: argparse.ArgumentParser, *, epochs: int, lr: float, optimizer: str) -> None:
    p.add_argument("--data", default="fashion-mnist", help="data set: fashion-mnist or digits")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--optimizer", choices=["sgd", "adamw"], default=optimizer)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--weight-decay", type=float, default=4e-5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    p.add_argument("--state", default=None,
                   help="resumable training state file (default: OUT + '.state'); removed when done")


def training_config(args: argparse.Namespace):
    from edgekit.train import TrainConfig
    from edgekit.train.datasets import info

    return TrainConfig(epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr,
                       weight_decay=args.weight_decay, seed=args.seed, threads=args.threads,
                       augment=bool(info(args.data)["augment"]))


@command("train", help="train a zoo model on Fashion-MNIST or digits (CPU), write a checkpoint")
class Train(Command):
    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("model", help="zoo model name, e.g. mobilenet_v2")
        p.add_argument("--width-mult", type=float, default=None, help="width multiplier (zoo models)")
        p.add_argument("--input-size", type=int, default=32)
        p.add_argument("--out", required=True, help="checkpoint to write (.pt)")
        add_training_arguments(p, epochs=8, lr=0.1, optimizer="sgd")

    def run(self, args: argparse.Namespace) -> int:
        from pathlib import Path

        from edgekit import models
        from edgekit.train import datasets, evaluate, fit, save_model

        seed_cfg = training_config(args)
        seed_cfg.validate()
        kwargs = {"num_classes": 10, "in_chans": 1, "input_size": args.input_size}
        if args.width_mult is not None:
            kwargs = {"width_mult": args.width_mult} | kwargs
        import torch

        torch.manual_seed(args.seed)
        model = models.create(args.model, **kwargs)
        train = datasets.load(args.data, "train", input_size=args.input_size, limit=args.limit)
        test = datasets.load(args.data, "test", input_size=args.input_size)
        state = Path(args.state or f"{args.out}.state")
        history = fit(model, train, seed_cfg, checkpoint=state, eval_data=test)
        acc = evaluate(model, test)
        meta = {"data": args.data, "test_acc": acc, "history": history.epochs,
                "train_config": vars(seed_cfg), "mean": datasets.info(args.data)["mean"],
                "std": datasets.info(args.data)["std"]}
        save_model(args.out, model, args.model, kwargs, meta)
        state.unlink(missing_ok=True)
        print(f"{args.model}: test top-1 {acc:.4f} on {args.data} -> {args.out}")
        return 0
