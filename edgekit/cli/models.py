"""`edgekit models` and `edgekit formats`: what can be exported, and to what."""

from __future__ import annotations

import argparse
import json

from edgekit.cli.commands import Command, command


@command("models", help="list the registered models (and their default input)")
class Models(Command):
    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--markdown", action="store_true",
                       help="print the model x format x precision support table (README)")

    def run(self, args: argparse.Namespace) -> int:
        from edgekit.formats import support_table_markdown
        from edgekit.models import MODELS, input_spec

        if args.markdown:
            print(support_table_markdown())
            return 0
        rows = []
        for entry in MODELS:
            spec = input_spec(entry.name)
            rows.append({"name": entry.name, "input_shape": list(spec.shape), "labels": spec.labels
                         if isinstance(spec.labels, str) or spec.labels is None else "custom",
                         "pretrained": bool(entry.meta.get("pretrained")),
                         "source": entry.meta.get("source", "edgekit zoo")})
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        from rich.console import Console
        from rich.table import Table

        table = Table(title="edgekit models")
        for col in ("name", "input", "labels", "weights"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["name"], "x".join(map(str, r["input_shape"])), str(r["labels"] or "-"),
                          "pretrained" if r["pretrained"] else "random init")
        Console().print(table)
        return 0


@command("formats", help="list export formats, their runtimes and precisions")
class Formats(Command):
    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="machine-readable output")

    def run(self, args: argparse.Namespace) -> int:
        from edgekit.formats import FORMATS

        rows = [{"name": f.name, "suffix": f.suffix, "runtime": f.runtime, "runs_on": f.runtime_label,
                 "precisions": list(f.precisions), "options": f.options, "description": f.description}
                for f in (e.obj for e in FORMATS)]
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        from rich.console import Console
        from rich.table import Table

        table = Table(title="edgekit formats")
        for col in ("name", "suffix", "runs on", "precisions", "how"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["name"], r["suffix"], r["runs_on"], ", ".join(r["precisions"]), r["description"])
        Console().print(table)
        return 0
