"""`edgekit export MODEL --format executorch,tflite,onnx --precision fp32,int8 --calib DATA --out DIR`."""

from __future__ import annotations

import argparse
import json
import sys
import time

from edgekit.cli.commands import Command, command
from edgekit.errors import InvalidInputError

_MODEL_FLAGS = {"width_mult": float, "num_classes": int, "in_chans": int, "input_size": int}


def _option(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--option takes KEY=VALUE, got {text!r}")
    for cast in (int, float):
        try:
            return key, cast(value)
        except ValueError:
            pass
    return key, {"true": True, "false": False}.get(value.lower(), value)


@command("export", help="export a model to ExecuTorch / TFLite / ONNX in fp32 and int8, with parity checks")
class Export(Command):
    def add_arguments(self, p: argparse.ArgumentParser) -> None:
        from edgekit.formats import FORMATS, PRECISIONS

        p.add_argument("model", nargs="?", help="registered model name (see `edgekit models`), "
                       "path/to/file.py:factory_fn, or a torch.export .pt2 file")
        p.add_argument("--recipe", help="a converters/*.toml recipe; flags given here override it")
        p.add_argument("-f", "--format", dest="formats",
                       help=f"comma-separated formats: {','.join(FORMATS.names())} (default: all)")
        p.add_argument("-p", "--precision", dest="precisions",
                       help=f"comma-separated precisions: {','.join(PRECISIONS)} (default: fp32)")
        p.add_argument("--calib", help="calibration data for int8: a data set name (fashion-mnist, digits, "
                       "sample-images) or a folder of images")
        p.add_argument("--calib-n", type=int, help="calibration samples (default 32)")
        p.add_argument("--calib-seed", type=int, help="seed for the calibration draw (default 0)")
        p.add_argument("--eval-data", help="inputs for the parity check (default: --calib, else real images)")
        p.add_argument("--eval-n", type=int, help="parity samples per file (default 16)")
        p.add_argument("--input-shape", help="N,C,H,W for models that do not declare their input")
        p.add_argument("-o", "--out", help="bundle directory (default build/export/<model>)")
        p.add_argument("--name", help="bundle/file name stem (default: the model name)")
        for flag, cast in _MODEL_FLAGS.items():
            p.add_argument(f"--{flag.replace('_', '-')}", type=cast, help=f"model option {flag}")
        p.add_argument("--option", action="append", type=_option, default=[], metavar="KEY=VALUE",
                       help="any other model option (repeatable)")
        p.add_argument("--fp32-atol", type=float, help="fp32 parity: absolute tolerance (default 1e-4)")
        p.add_argument("--fp32-rtol", type=float, help="fp32 parity: tolerance relative to max|logit| "
                       "(default 1e-3)")
        p.add_argument("--no-sparse-backend", action="store_true",
                       help="ExecuTorch: do not delegate sparse layers to edgekit's backend")
        p.add_argument("--no-tflite-sparse", action="store_true",
                       help="TFLite: keep sparse weights dense")
        p.add_argument("--no-onnx-reduce-range", action="store_true",
                       help="ONNX int8: full 8-bit weights (only for files that run on ARM / VNNI CPUs; "
                       "ONNX Runtime's AVX2 kernels saturate them)")
        p.add_argument("--json", action="store_true", help="print the manifest as JSON on stdout")

    def build_config(self, args: argparse.Namespace):  # -> ExportConfig (imported lazily)
        from edgekit.config import ExportConfig

        kwargs = {k: getattr(args, k) for k in _MODEL_FLAGS if getattr(args, k) is not None}
        kwargs.update(dict(args.option))
        overrides = {
            "model": args.model, "formats": args.formats, "precisions": args.precisions, "calib": args.calib,
            "calib_n": args.calib_n, "calib_seed": args.calib_seed, "eval_data": args.eval_data,
            "eval_n": args.eval_n, "input_shape": args.input_shape, "out": args.out, "name": args.name,
            "fp32_atol": args.fp32_atol, "fp32_rtol": args.fp32_rtol,
            "sparse_backend": False if args.no_sparse_backend else None,
            "tflite_sparse": False if args.no_tflite_sparse else None,
            "onnx_reduce_range": False if args.no_onnx_reduce_range else None,
        }
        if args.recipe:
            cfg = ExportConfig.from_toml(args.recipe, **overrides)
            cfg.model_kwargs.update(kwargs)
            return cfg
        if not args.model:
            raise InvalidInputError("no model given",
                                    hint="pass a model name (see `edgekit models`) or --recipe")
        return ExportConfig(**{k: v for k, v in overrides.items() if v is not None}, model_kwargs=kwargs)

    def run(self, args: argparse.Namespace) -> int:
        cfg = self.build_config(args).validate()  # bad names/flags fail here, before torch is imported
        from rich.console import Console

        from edgekit.export import export

        err = Console(stderr=True)
        start = time.perf_counter()

        def progress(msg: str) -> None:
            err.print(f"[dim][{time.perf_counter() - start:6.1f}s][/dim] {msg}", highlight=False)

        result = export(cfg, progress=progress, quiet_stdout=args.json)
        if args.json:
            json.dump({"bundle": str(result.bundle), "manifest": result.manifest}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            Console(width=None if sys.stdout.isatty() else 150).print(result.table())
            print(f"bundle: {result.bundle}")
        return 0
