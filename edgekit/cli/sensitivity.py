"""`edgekit sensitivity MODEL --data fashion-mnist [--pattern 4x1] [--target 0.7] [--json OUT]`."""

from __future__ import annotations

import argparse

from edgekit.cli.commands import Command, command
from edgekit.cli.prune import add_selection_arguments, selection_from


@command("sensitivity", help="accuracy drop of each layer pruned alone at 50/70/90%, and a per-layer plan")
class SensitivityCmd(Command):
    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("model", help="registered model name or a checkpoint (.pt)")
        p.add_argument("--data", default="fashion-mnist", help="data set: fashion-mnist or digits")
        p.add_argument("--pattern", default="4x1")
        p.add_argument("--levels", default="0.5,0.7,0.9", help="comma-separated sparsity levels")
        p.add_argument("--target", type=float, default=None, help="also print a per-layer plan for it")
        p.add_argument("--limit", type=int, default=2000, help="held-out training images per probe")
        p.add_argument("--json", default=None, help="write the analysis (and plan) to this JSON file")
        add_selection_arguments(p)

    def run(self, args: argparse.Namespace) -> int:
        import json

        from edgekit import atomic
        from edgekit.errors import InvalidInputError
        from edgekit.sparsity import analyze, plan_for_target
        from edgekit.train import evaluate
        from edgekit.train.modelref import resolve

        try:
            levels = [float(v) for v in args.levels.split(",") if v.strip()]
        except ValueError:
            raise InvalidInputError(f"--levels {args.levels!r} is not a list of numbers",
                                    hint="pass e.g. --levels 0.5,0.7,0.9") from None
        model, ref = resolve(args.model)
        x, y = ref.load_data(args.data, "train")
        held = (x[-args.limit:], y[-args.limit:])
        sens = analyze(model, lambda m: evaluate(m, held), args.pattern, levels, selection_from(args))
        print(f"baseline top-1 {sens.baseline:.4f} on {len(held[1])} held-out training images")
        print(f"{'layer':<28} {'weights':>8} " + " ".join(f"{lv:>8.0%}" for lv in sens.levels))
        for name, n in sens.weights.items():
            print(f"{name:<28} {n:>8} " + " ".join(f"{-sens.drop(name, lv):>+8.4f}" for lv in sens.levels))
        out = {"sensitivity": sens.to_json()}
        if args.target is not None:
            plan = plan_for_target(sens, args.target)
            out["plan"] = plan.to_json()
            print(f"plan for {args.target:.0%}: " + ", ".join(f"{k}={v:.2f}" for k, v in plan.layers.items()))
        if args.json:
            atomic.write_text(args.json, json.dumps(out, indent=1))
        return 0
