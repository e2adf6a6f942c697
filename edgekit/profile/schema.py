"""The profile results file: one JSON per (target, runtime, device), versioned by `schema_version`.

Top-level keys (schema_version 1):
    schema_version, kind="edgekit.profile", edgekit_version, created, label,
    model {name, target, target_kind, file, variant, precision, sparse, size_bytes, sha256, input_shapes},
    runtime {name, version}, device {url, hostname}, settings {runs, warmup, threads, per_op_runs},
    load_ms, first_inference_ms, latency_ms {mean, std, min, max, p50, p90, p99, samples},
    memory {peak_rss_bytes, rss_before_load_bytes, model_file_bytes},
    per_op {available, timed, source, notes, iterations, op_count, ops [{name, op_type, layer, delegate,
            p50_ms, mean_ms}]},
    environment {hostname, cpu_model, arch, isa, cores_logical, cores_usable, threads, os, python, versions},
    accuracy {top1} | null
Readers refuse other kinds and other schema versions with a one-line error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit import atomic
from edgekit.errors import InvalidInputError

SCHEMA_VERSION = 1
KIND = "edgekit.profile"
REQUIRED_KEYS = ("label", "model", "runtime", "device", "settings", "latency_ms", "memory", "environment")


class ResultsSchemaError(InvalidInputError):
    """A results file from another schema version, or not a results file at all."""


@dataclass
class Result:
    """One profile: a thin view over the JSON dict (`data` is what gets saved)."""

    data: dict[str, Any]

    @property
    def label(self) -> str:
        return self.data["label"]

    @property
    def runtime(self) -> str:
        return self.data["runtime"]["name"]

    @property
    def variant(self) -> str:
        return self.data["model"].get("variant") or ""

    @property
    def device(self) -> str:
        return self.data["device"]["url"]

    @property
    def latency(self) -> dict[str, float]:
        return self.data["latency_ms"]

    @property
    def size_bytes(self) -> int:
        return int(self.data["model"]["size_bytes"])

    @property
    def peak_rss_bytes(self) -> int:
        return int(self.data["memory"]["peak_rss_bytes"])

    @property
    def accuracy(self) -> float | None:
        acc = self.data.get("accuracy")
        return acc.get("top1") if isinstance(acc, dict) else None

    @property
    def per_op(self) -> dict[str, Any]:
        return self.data.get("per_op") or {"available": False, "ops": [], "notes": []}

    def save(self, path: str | Path) -> Path:
        atomic.write_text(path, json.dumps(self.data, indent=1) + "\n")
        return Path(path)


def validate(data: Any, origin: str) -> Result:
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise ResultsSchemaError(f"{origin} is not an edgekit profile result",
                                 hint="pass JSON files written by `edgekit profile --json`")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        older = isinstance(version, int) and version < SCHEMA_VERSION
        raise ResultsSchemaError(
            f"{origin} has results schema_version {version!r}, this edgekit reads {SCHEMA_VERSION}",
            hint="re-run `edgekit profile` to refresh it" if older else "upgrade edgekit to read it")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise ResultsSchemaError(f"{origin} lacks {', '.join(missing)}",
                                 hint="the file is truncated or edited: re-run `edgekit profile`")
    return Result(data)


def load_result(path: str | Path) -> Result:
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"results file {path} does not exist",
                                hint="pass files written by `edgekit profile --json`")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsSchemaError(f"{path} is not valid JSON ({exc})",
                                 hint="re-run `edgekit profile`") from None
    return validate(data, str(path))
