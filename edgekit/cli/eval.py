"""`edgekit eval BUNDLE --data fashion-mnist`: top-1 of every exported file, run in its own runtime."""

from __future__ import annotations

import argparse

from edgekit.cli.commands import Command, command


@command("eval", help="accuracy of a bundle's exported files in their own runtimes on a labelled data set")
class Eval(Command):
    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("bundle", help="bundle directory (edgekit.json inside) or a .pte/.tflite/.onnx file")
        p.add_argument("--data", default="fashion-mnist", help="labelled data set: fashion-mnist or digits")
        p.add_argument("--limit", type=int, default=None, help="score only the first N test images")
        p.add_argument("--threads", type=int, default=None)
        p.add_argument("--json", default=None, help="also write the results to this JSON file")

    def run(self, args: argparse.Namespace) -> int:
        import json

        from edgekit import atomic
        from edgekit.errors import InvalidInputError
        from edgekit.eval import evaluate_bundle

        if args.limit is not None and args.limit <= 0:
            raise InvalidInputError(f"--limit {args.limit} must be positive",
                                    hint="drop it to use all images")
        results = evaluate_bundle(args.bundle, args.data, args.limit, args.threads)
        print(f"{'file':<40} {'runtime':<11} {'precision':<9} {'images':>6} {'top-1':>7}")
        for r in results:
            print(f"{r.file.rsplit('/', 1)[-1]:<40} {r.runtime:<11} {r.precision or '-':<9} {r.n:>6} "
                  f"{r.top1:>7.4f}")
        if args.json:
            atomic.write_text(args.json, json.dumps([r.to_json() for r in results], indent=1))
        return 0
