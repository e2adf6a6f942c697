"""The FORMATS table: one row per export format, the single source of truth for the CLI's choices,
validation, `edgekit formats` and the README's support table.

Each row names its writer (`edgekit.formats.<fmt>:write`) and its runner (a Predictor class in
`edgekit.runtime`) as import strings, so the table itself imports nothing heavy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgekit.errors import InvalidInputError
from edgekit.registry import Registry

PRECISIONS = ("fp32", "int8")


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    runtime: str                    # the runtime name edgekit.load(runtime=...) takes
    runtime_label: str              # what actually executes the file, for humans
    precisions: tuple[str, ...]
    writer: str                     # "module:function" writing one artifact
    runner: str                     # "module:Class", an edgekit.runtime Predictor
    description: str
    options: dict[str, str] = field(default_factory=dict)

    def load_writer(self) -> Callable[..., dict[str, Any]]:
        return _import(self.writer)

    def load_runner(self) -> type:
        return _import(self.runner)

    def filename(self, stem: str, precision: str) -> str:
        return f"{stem}_{precision}{self.suffix}"


def _import(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


FORMATS: Registry[Format] = Registry("format")


def _add(fmt: Format) -> None:
    FORMATS.add(fmt.name, fmt)


_add(Format(
    "executorch", ".pte", "executorch", "ExecuTorch runtime + XNNPACK delegate", PRECISIONS,
    "edgekit.formats.executorch:write", "edgekit.runtime.executorch:ExecuTorchPredictor",
    "torch.export -> XNNPACK partitioner (edgekit sparse backend first) -> .pte; int8 via PT2E "
    "XNNPACKQuantizer, per-channel symmetric weights",
    {"sparse_backend": "delegate group-sparse layers to edgekit's ExecuTorch backend"}))
_add(Format(
    "tflite", ".tflite", "tflite", "LiteRT (ai-edge-litert) Interpreter + XNNPACK", PRECISIONS,
    "edgekit.formats.tflite:write", "edgekit.runtime.tflite:TFLitePredictor",
    "litert-torch -> .tflite; int8 full-integer (int8 input/output) via PT2E per-channel symmetric",
    {"tflite_sparse": "store group-sparse weights in TFLite's sparse tensor format"}))
_add(Format(
    "onnx", ".onnx", "onnx", "ONNX Runtime (CPU execution provider)", PRECISIONS,
    "edgekit.formats.onnx:write", "edgekit.runtime.onnx:OnnxPredictor",
    "torch.onnx legacy exporter, one self-contained file; int8 via ONNX Runtime static QDQ, per-channel "
    "7-bit weights",
    {"onnx_reduce_range": "int8: 7-bit weights (default; ORT's x86 kernels without VNNI saturate 8-bit "
                          "ones); off for files that run only on ARM / VNNI CPUs"}))


def get(name: str) -> Format:
    return FORMATS.get(name)


def by_suffix(suffix: str) -> Format:
    for entry in FORMATS:
        if entry.obj.suffix == suffix.lower():
            return entry.obj
    valid = ", ".join(e.obj.suffix for e in FORMATS)
    raise InvalidInputError(f"unknown model file type {suffix or '(no suffix)'!r}",
                            hint=f"edgekit runs {valid} files or bundle directories")


def by_runtime(runtime: str) -> Format:
    for entry in FORMATS:
        if entry.obj.runtime == runtime:
            return entry.obj
    valid = ", ".join(e.obj.runtime for e in FORMATS)
    raise InvalidInputError(f"unknown runtime {runtime!r}", hint=f"valid runtimes: {valid}")


def parse_list(value: str | list[str] | tuple[str, ...], kind: str, valid: list[str] | tuple[str, ...]
               ) -> list[str]:
    """'a,b' or a list -> validated, de-duplicated names; unknown ones list the valid choices."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        if item not in valid:
            raise InvalidInputError(f"unknown {kind} {item!r}", hint=f"valid: {', '.join(valid)}")
        if item not in out:
            out.append(item)
    if not out:
        raise InvalidInputError(f"no {kind} given", hint=f"pass one or more of: {', '.join(valid)}")
    return out


def support_table_markdown(models: list[str] | None = None) -> str:
    """The model x format x precision table for the README, generated from MODELS and FORMATS."""
    from edgekit.models import MODELS

    models = models or MODELS.names()
    fmts = [e.obj for e in FORMATS]
    head = "| model | " + " | ".join(f"{f.name} (`{f.suffix}`)" for f in fmts) + " |"
    sep = "|---" * (len(fmts) + 1) + "|"
    rows = [f"| `{m}` | " + " | ".join(", ".join(f.precisions) for f in fmts) + " |" for m in models]
    runtimes = "\n".join(f"- **{f.name}** (`{f.suffix}`, run by {f.runtime_label}): {f.description}"
                         for f in fmts)
    return "\n".join([head, sep, *rows, "", runtimes])
