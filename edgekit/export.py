"""`export(config)`: model -> (int8) -> every format -> parity in the real runtimes -> bundle.

    from edgekit.export import export
    result = export(ExportConfig(model="mobilenet_v2", precisions=["fp32", "int8"], calib="sample-images"))
    result.bundle, result.manifest["artifacts"]

Everything is written into a temp directory beside the bundle and renamed at the end, so a failed
export leaves nothing behind. fp32 parity beyond tolerance fails the export; int8 reports its drift.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import edgekit
from edgekit import atomic, bundle, data, formats, models, parity
from edgekit.config import ExportConfig
from edgekit.errors import EdgekitError, InvalidInputError
from edgekit.formats.base import WriteJob, explain_failure
from edgekit.models.registry import InputSpec

Progress = Callable[[str], None]


@dataclass
class ExportResult:
    bundle: Path
    manifest: dict[str, Any]

    @property
    def artifacts(self) -> list[dict[str, Any]]:
        return self.manifest["artifacts"]

    def table(self) -> Any:
        name = self.manifest["model"]["name"]
        return parity.render(self.artifacts, title=f"{name}: parity vs eager PyTorch")


def _describe_sparsity(model: torch.nn.Module) -> dict[str, Any] | None:
    try:
        from edgekit.sparsity import manifest_sparsity
    except ImportError:
        try:
            from edgekit.sparsity.describe import manifest_sparsity
        except ImportError:
            return None
    return manifest_sparsity(model)


def _model_source(cfg: ExportConfig) -> str:
    if cfg.model.endswith(".pt2"):
        return f"torch.export program {cfg.model}"
    if ".py" in cfg.model:
        return f"user factory {cfg.model}"
    meta = models.MODELS.meta(cfg.model)
    return meta.get("source") or ("edgekit zoo, pretrained" if meta.get("pretrained") else
                                  "edgekit zoo, random init (seed 0)")


def _eval_source(cfg: ExportConfig, spec: InputSpec) -> str | None:
    """Parity inputs: --eval-data, else the calibration data, else real images matching the channels."""
    return cfg.eval_data or cfg.calib or {3: "sample-images", 1: "fashion-mnist"}.get(spec.channels)


def _eager(model: torch.nn.Module, xs: np.ndarray, batch: int) -> np.ndarray:
    outs = []
    with torch.no_grad():
        for i in range(0, len(xs), batch):
            outs.append(model(torch.from_numpy(xs[i:i + batch])).reshape(batch, -1).numpy())
    return np.concatenate(outs)


@contextlib.contextmanager
def _stdout_to_stderr(enabled: bool) -> Iterator[None]:
    """Converters print progress to fd 1; keep it off stdout when stdout carries --json output."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def prepare(cfg: ExportConfig) -> tuple[torch.nn.Module, InputSpec]:
    """The eager model and its input, checked to run on that input."""
    torch.manual_seed(0)  # random-init zoo models are reproducible
    model = models.create(cfg.model, **cfg.model_kwargs)
    spec = models.input_spec(cfg.model, input_shape=cfg.input_shape, **cfg.model_kwargs)
    try:
        with torch.no_grad():
            out = model(torch.zeros(spec.shape))
    except (RuntimeError, ValueError, IndexError) as exc:
        first = str(exc).splitlines()[0][:200]
        raise InvalidInputError(f"{cfg.model} does not run on input shape {spec.shape}: {first}",
                                hint="pass the shape the model expects with --input-shape N,C,H,W") from None
    if not isinstance(out, torch.Tensor):
        raise InvalidInputError(f"{cfg.model} returns {type(out).__name__}, not one tensor",
                                hint="export a model whose forward returns a single logits tensor")
    return model, spec


def export(cfg: ExportConfig, progress: Progress | None = None, *,
           quiet_stdout: bool = False) -> ExportResult:
    say = progress or (lambda _msg: None)
    cfg.validate()
    say(f"building {cfg.model}")
    model, spec = prepare(cfg)
    calib = None
    if "int8" in cfg.precisions:
        say(f"calibration set: {cfg.calib_n} samples of {cfg.calib} (seed {cfg.calib_seed})")
        calib = data.calibration_set(cfg.calib, spec, cfg.calib_n, cfg.calib_seed)
    source = _eval_source(cfg, spec)
    if source:
        eval_x, images = data.eval_set(source, spec, cfg.eval_n)
        eval_labels = images.labels
    else:  # no image data fits this input: seeded random inputs, and the manifest says so
        source, eval_labels = "random-normal(seed 0)", None
        eval_x = np.random.default_rng(0).standard_normal((cfg.eval_n, *spec.shape[1:])).astype(np.float32)
    batch = spec.shape[0]
    eval_x = eval_x[: max(batch, len(eval_x) // batch * batch)]
    if len(eval_x) < batch:
        eval_x = np.resize(eval_x, (batch, *eval_x.shape[1:]))
    eval_labels = eval_labels[: len(eval_x)] if eval_labels is not None and len(eval_labels) >= len(eval_x) \
        else None
    ref = _eager(model, eval_x, batch)
    job = WriteJob(model, torch.zeros(spec.shape), cfg, calib, _describe_sparsity(model))
    if calib is not None:
        job.example = torch.from_numpy(calib[:batch].copy()) if len(calib) >= batch else job.example

    entries: list[dict[str, Any]] = []
    with atomic.atomic_dir(cfg.out_dir, overwrite=cfg.overwrite) as tmp:
        for fmt_name in cfg.formats:
            fmt = formats.get(fmt_name)
            for precision in cfg.precisions:
                entries.append(_write_one(job, fmt, precision, tmp, eval_x, eval_labels, ref, say,
                                          quiet_stdout))
        manifest = _manifest(cfg, model, spec, job, entries, source, eval_labels, ref)
        bundle.write(tmp, manifest)
        failed = [e for e in entries if e["precision"] == "fp32" and not e["parity_ok"]]
        if failed:
            worst = max(failed, key=lambda e: e["parity"]["max_abs_diff"])
            p = worst["parity"]
            raise parity.ParityError(
                f"{worst['file']} differs from eager PyTorch: max|diff| {p['max_abs_diff']:.3g} "
                f"> {cfg.fp32_atol:g} + {cfg.fp32_rtol:g}*{p['ref_max_abs']:.3g}",
                hint="the export is wrong for this model; report it, or raise --fp32-rtol to accept it")
    say(f"bundle written: {cfg.out_dir}")
    return ExportResult(cfg.out_dir, manifest)


def _write_one(job: WriteJob, fmt: formats.Format, precision: str, tmp: Path, eval_x: np.ndarray,
               eval_labels: np.ndarray | None, ref: np.ndarray, say: Progress, quiet_stdout: bool
               ) -> dict[str, Any]:
    name = fmt.filename(job.config.stem, precision)
    path = tmp / name
    say(f"{fmt.name} {precision}: converting -> {name}")
    start = time.perf_counter()
    try:
        with _stdout_to_stderr(quiet_stdout):
            extra = fmt.load_writer()(job, precision, path)
    except EdgekitError:
        raise
    except Exception as exc:
        raise explain_failure(fmt.name, precision, exc, job) from exc
    seconds = time.perf_counter() - start
    say(f"{fmt.name} {precision}: running {len(eval_x)} samples in {fmt.runtime_label}")
    predictor = fmt.load_runner()(path)
    out = predictor.run_batches(eval_x)
    metrics = parity.compare(ref, out, eval_labels)
    ok = precision != "fp32" or parity.within_tolerance(metrics, job.config.fp32_atol, job.config.fp32_rtol)
    return {"file": name, "format": fmt.name, "runtime": fmt.runtime, "precision": precision,
            "sparse_backend": bool(extra.pop("sparse_backend", False)), **bundle.file_facts(path),
            "export_seconds": round(seconds, 2), "parity": metrics, "parity_ok": ok, **extra}


def _manifest(cfg: ExportConfig, model: torch.nn.Module, spec: InputSpec, job: WriteJob,
              entries: list[dict[str, Any]], source: str, labels: np.ndarray | None, ref: np.ndarray
              ) -> dict[str, Any]:
    accuracy = None
    eager_acc = parity.eager_accuracy(ref, labels)
    if eager_acc is not None:
        accuracy = {"dataset": source, "split": "test", "n": len(ref), "eager": {"top1": eager_acc}}
        accuracy.update({e["file"]: {"top1": e["parity"]["top1_accuracy"]} for e in entries})
    num_classes = int(ref.shape[1])
    return {
        "schema_version": bundle.SCHEMA_VERSION,
        "edgekit_version": edgekit.__version__,
        "created": bundle.manifest.now(),
        "model": {"name": cfg.stem, "source": _model_source(cfg), "factory": cfg.model,
                  "options": cfg.model_kwargs, "params": sum(p.numel() for p in model.parameters()),
                  "num_classes": num_classes},
        "input": spec.to_json(),
        "labels": data.resolve_labels(spec.labels),
        "artifacts": entries,
        "sparsity": job.sparsity,
        "calibration": {"source": cfg.calib, "n": cfg.calib_n, "seed": cfg.calib_seed}
        if job.calib is not None else None,
        "parity_inputs": {"source": source, "n": len(ref),
                          "fp32_tolerance": {"atol": cfg.fp32_atol, "rtol": cfg.fp32_rtol}},
        "accuracy": accuracy,
        "versions": bundle.versions(),
        "config": cfg.to_json(),
    }
