"""`edgekit prune MODEL --pattern 4x1 --sparsity 0.7 [--plan sensitivity] --data D --epochs N --out CKPT`."""

from __future__ import annotations

import argparse

from edgekit.cli.commands import Command, command
from edgekit.cli.train import add_training_arguments, training_config


def add_selection_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--include", action="append", help="extra layers to prune (glob on module names)")
    p.add_argument("--exclude", action="append", help="layers never to prune (glob on module names)")
    p.add_argument("--first-conv", action="store_true", help="also prune the first convolution")
    p.add_argument("--classifier", action="store_true", help="also prune the classifier")


def selection_from(args: argparse.Namespace):
    from edgekit.sparsity import Selection
    from edgekit.sparsity.selection import parse_globs

    return Selection(include=parse_globs(args.include), exclude=parse_globs(args.exclude),
                     first_conv=args.first_conv, classifier=args.classifier)


def parse_fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


@command("prune", help="group-prune a model (one-shot or gradually while fine-tuning), write a checkpoint")
class Prune(Command):
    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("model", help="registered model name or a checkpoint (.pt) from edgekit train/prune")
        p.add_argument("--pattern", default="4x1", help="group pattern: 4x1, 8x1, 1x1, 1x4, 1x16")
        p.add_argument("--sparsity", type=parse_fraction, required=True,
                       help="fraction of the selected layers' weights to remove, in [0, 1)")
        p.add_argument("--plan", choices=["uniform", "global", "sensitivity"], default="uniform",
                       help="uniform: every layer at --sparsity; global: one threshold over all layers; "
                            "sensitivity: per-layer levels from a sensitivity analysis")
        p.add_argument("--prune-fraction", type=float, default=0.6,
                       help="sparsity ramps up (cubic) over this fraction of the fine-tuning steps")
        p.add_argument("--sens-limit", type=int, default=2000,
                       help="held-out training images scored per sensitivity probe")
        p.add_argument("--distill", type=parse_fraction, default=0.0, metavar="ALPHA",
                       help="weight of the unpruned model's soft targets in the fine-tuning loss "
                            "(knowledge distillation from the dense model), in [0, 1); default 0")
        p.add_argument("--out", required=True, help="checkpoint to write (.pt)")
        add_selection_arguments(p)
        add_training_arguments(p, epochs=2, lr=0.01, optimizer="sgd")

    def run(self, args: argparse.Namespace) -> int:
        import copy
        from pathlib import Path

        from edgekit.sparsity import describe, uniform_plan
        from edgekit.sparsity.masks import check_sparsity
        from edgekit.sparsity.patterns import get
        from edgekit.train import evaluate, save_model
        from edgekit.train.finetune import prune_finetune
        from edgekit.train.modelref import resolve

        # validate everything cheap before loading data or training
        check_sparsity(args.sparsity)
        get(args.pattern)
        cfg = training_config(args)
        cfg.distill_alpha = args.distill
        cfg.validate()
        model, ref = resolve(args.model)
        teacher = copy.deepcopy(model).eval() if args.distill > 0 else None
        selection = selection_from(args)
        plan = uniform_plan(model, args.sparsity, args.pattern, selection,
                            criterion="global" if args.plan == "global" else "layer")
        train = ref.load_data(args.data, "train", limit=args.limit)
        test = ref.load_data(args.data, "test")
        before = evaluate(model, test)
        print(f"{args.model}: dense test top-1 {before:.4f}")
        if args.plan == "sensitivity":
            plan = sensitivity_plan(model, ref, args, selection)
        state = Path(args.state or f"{args.out}.state")
        result = prune_finetune(model, plan, train, cfg, prune_fraction=args.prune_fraction,
                                eval_data=test, checkpoint=state, teacher=teacher)
        after = evaluate(model, test)
        info = describe(model)
        meta = dict(ref.meta) | {"data": args.data, "test_acc": after, "dense_test_acc": before,
                                 "plan": plan.to_json(), "sparsity": info, "history": result.history.epochs,
                                 "train_config": vars(cfg), "mean": ref.mean, "std": ref.std,
                                 "pruned_from": args.model}
        save_model(args.out, model, ref.name, ref.kwargs, meta)
        state.unlink(missing_ok=True)
        print(f"pruned {len(info['layers'])} layers to {info['overall']['sparse_layers_sparsity']:.4f} "
              f"({args.pattern}); test top-1 {before:.4f} -> {after:.4f} -> {args.out}")
        return 0


def sensitivity_plan(model, ref, args: argparse.Namespace, selection):
    """Analyse on held-out training images (never the test set), then plan for --sparsity."""
    from edgekit.sparsity import analyze, plan_for_target
    from edgekit.train import evaluate

    x, y = ref.load_data(args.data, "train")
    held = (x[-args.sens_limit:], y[-args.sens_limit:])
    levels = sorted({0.5, 0.7, 0.9, min(0.95, round(args.sparsity + 0.05, 2))})
    sens = analyze(model, lambda m: evaluate(m, held), args.pattern, levels, selection,
                   progress=lambda s: print(s, flush=True))
    return plan_for_target(sens, args.sparsity)
