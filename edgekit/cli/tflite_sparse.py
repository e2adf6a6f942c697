"""`edgekit tflite-sparse FILE [--out SPARSE]`: how each weight of a .tflite would be stored sparse,
whether the file is safe (no sparse weight reaching a dense-reading kernel), and whether XNNPACK's
sparse inference can run it on ARM (and which node breaks it if not)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edgekit.cli.commands import Command, command


@command("tflite-sparse",
         help="inspect / write a .tflite in TFLite's sparse format (storage, safety, XNNPACK)")
class TfliteSparse(Command):
    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        p.add_argument("file", type=Path, help="a .tflite (dense from litert-torch, or already sparse)")
        p.add_argument("--out", type=Path, help="write the sparse form here")
        p.add_argument("--json", action="store_true", help="print the report as JSON")

    def run(self, args: argparse.Namespace) -> int:
        from edgekit.errors import InvalidInputError
        from edgekit.formats.tflite_sparse import flatbuf, sparsify_bytes, violations

        if not args.file.is_file():
            raise InvalidInputError(f"no such file: {args.file}", hint="pass a .tflite file")
        data = args.file.read_bytes()
        unsafe = [str(v) for v in violations(flatbuf.read(data))]
        if unsafe:  # do not build on a file that already feeds sparse weights to dense kernels
            for line in unsafe:
                print(f"UNSAFE: {line}")
            print(f"{args.file}: {len(unsafe)} sparse weight(s) would be read as dense (NaN/garbage); "
                  "re-export it with edgekit")
            return 1
        result = sparsify_bytes(data)
        if args.out:
            from edgekit import atomic

            atomic.write_bytes(args.out, result.data)
        report = {"file": str(args.file), "unsafe": unsafe, "size_bytes": len(data),
                  "sparse_size_bytes": len(result.data), "layers": [x.to_json() for x in result.layers],
                  "xnnpack_sparse_inference": result.xnnpack.to_json() if result.xnnpack else None,
                  "rewrites": result.rewrites}
        if args.json:
            print(json.dumps(report, indent=2))
            return 0
        for layer in result.layers:
            block = "x".join(map(str, layer.block)) if layer.block else "-"
            print(f"{layer.storage:<13} {block:<8} {layer.sparsity:6.1%} zero  {layer.op:<18} "
                  f"{layer.stored_bytes / 1024:9.1f} KB  {layer.tensor}  {layer.reason}")
        print(f"size: {len(data) / 1024:.1f} KB dense input -> {len(result.data) / 1024:.1f} KB sparse"
              + (f" (written to {args.out})" if args.out else ""))
        q = result.xnnpack
        if q is not None:
            where = f" at {q.breaking_op}" if q.breaking_op else ""
            print(f"XNNPACK sparse inference (ARM): {'yes' if q.qualifies else 'no'} - {q.reason}{where}")
        return 0
