"""`python -m edgekit.demo` (what `make demo` runs), in two steps:

1. The built-in default model (MobileNetV2 x0.5 trained on Fashion-MNIST, dense and its 70% 4x1
   group-sparse fine-tune) is exported to ExecuTorch, TFLite and ONNX in fp32 and int8 with parity and
   test-set accuracy measured in each runtime; every file is profiled in a fresh process and
   build/demo/report.html compares them (plus report.md / report.json).
2. MobileNetV2 and EfficientNet-Lite0 (real ImageNet weights) are exported the same way, and the
   EfficientNet-Lite0 files classify scikit-learn's sample photos. Calibration uses the two photos plus
   seeded random crops/flips of them (no ImageNet offline).

Writes build/demo/<model>/ bundles, build/demo/report.*, build/demo/summary.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from rich.console import Console

from edgekit import atomic, data, parity
from edgekit.config import ExportConfig
from edgekit.export import ExportResult, export

DEMO_MODELS = ("mobilenet_v2", "efficientnet_lite0")
DEFAULT_VARIANTS = ("fmnist_mobilenet_v2", "fmnist_mobilenet_v2_s70")


def _default_model_report(root: Path, formats: str, console: Console, err: Console, runs: int,
                          eval_n: int) -> dict[str, Any]:
    """Export the default model's dense and sparse variants, profile every file, write the report."""
    import edgekit.profile as ekp
    from edgekit.report import write_report

    results = []
    exported: dict[str, Any] = {}
    for model in DEFAULT_VARIANTS:
        cfg = ExportConfig(model=model, formats=formats, precisions=["fp32", "int8"], calib="fashion-mnist",
                           calib_n=128, eval_data="fashion-mnist", eval_n=eval_n, out=str(root / model))
        start = time.perf_counter()

        def progress(msg: str, start: float = start) -> None:
            err.print(f"[dim][{time.perf_counter() - start:6.1f}s][/dim] {msg}", highlight=False)

        result = export(cfg, progress=progress)
        console.print(result.table())
        exported[model] = {"bundle": str(result.bundle), "artifacts": result.artifacts}
        err.print(f"profiling {len(result.artifacts)} files of {model}, {runs} runs each, one process each")
        results += ekp.profile_all(result.bundle, runs=runs, warmup=5, threads=2, progress=True)
    console.print(ekp.summary_table(results))
    paths = write_report(results, root, baseline=0,
                         title="edgekit demo: Fashion-MNIST MobileNetV2, dense vs 70% group-sparse")
    console.print(f"report: {paths['html']}  (also {paths['markdown'].name}, {paths['json'].name})")
    return {"bundles": exported, "report": {k: str(v) for k, v in paths.items()}}


def _predictions(result: ExportResult) -> dict[str, list[list[tuple[str, float]]]]:
    """Top-5 on the two sample photos, per exported file (and their preprocessing from the bundle)."""
    import edgekit
    from edgekit.models.registry import InputSpec

    inp = result.manifest["input"]
    pre = inp["preprocess"]
    spec = InputSpec(tuple(inp["shape"]), tuple(pre["mean"]), tuple(pre["std"]), pre["resize"])
    x = data.to_input(data.load("sample-images").images, spec)
    out = {}
    for art in result.artifacts:
        pred = edgekit.load(result.bundle, runtime=art["runtime"], precision=art["precision"])
        out[art["file"]] = [pred.classify(x[i:i + 1], k=5)[0] for i in range(len(x))]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="build/demo")
    ap.add_argument("--models", default=",".join(DEMO_MODELS))
    ap.add_argument("--formats", default="executorch,tflite,onnx")
    ap.add_argument("--calib-n", type=int, default=16)
    ap.add_argument("--runs", type=int, default=50, help="timed runs per file when profiling")
    ap.add_argument("--eval-n", type=int, default=1000, help="Fashion-MNIST test images for parity/accuracy")
    ap.add_argument("--skip-imagenet", action="store_true", help="only the default model and its report")
    args = ap.parse_args(argv)
    # torch's pytree deprecation notices, raised inside the exporters, say nothing to the demo's reader
    warnings.filterwarnings("ignore", category=FutureWarning)
    console = Console(width=max(120, Console().width))
    err = Console(stderr=True)
    root = Path(args.out)
    summary: dict[str, Any] = {}
    md = ["# edgekit demo: export, parity and predictions", ""]
    summary["default_model"] = _default_model_report(root, args.formats, console, err, args.runs, args.eval_n)
    for model in ([] if args.skip_imagenet else args.models.split(",")):
        cfg = ExportConfig(model=model, formats=args.formats, precisions=["fp32", "int8"],
                           calib="sample-images", calib_n=args.calib_n, eval_n=8, out=str(root / model))
        start = time.perf_counter()

        def progress(msg: str, start: float = start) -> None:
            err.print(f"[dim][{time.perf_counter() - start:6.1f}s][/dim] {msg}", highlight=False)

        result = export(cfg, progress=progress)
        console.print(result.table())
        summary[model] = {"bundle": str(result.bundle), "artifacts": result.artifacts,
                          "total_seconds": round(time.perf_counter() - start, 1)}
        md += [f"## {model}", "", parity.markdown(result.artifacts), ""]
        if result.manifest["model"]["source"].startswith("PyPI"):
            preds = _predictions(result)
            summary[model]["predictions"] = preds
            md += ["Top-5 on scikit-learn's sample photos (china.jpg, flower.jpg):", ""]
            for file, per_image in preds.items():
                for name, top in zip(("china.jpg", "flower.jpg"), per_image, strict=True):
                    line = ", ".join(f"{label} {p:.2f}" for label, p in top)
                    md.append(f"- `{file}` {name}: {line}")
                    console.print(f"{file:32s} {name:11s} {line}", highlight=False)
            md.append("")
    atomic.write_text(root / "summary.json", json.dumps(summary, indent=2) + "\n")
    atomic.write_text(root / "summary.md", "\n".join(md) + "\n")
    console.print(f"bundles and summary in {root}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
