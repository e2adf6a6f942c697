"""The profiler's Python API: validate the request, connect the device, run one worker per artifact."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from edgekit.device import Transport, connect
from edgekit.errors import InvalidInputError
from edgekit.profile.schema import Result
from edgekit.profile.session import ProgressFn, make_result, run_worker
from edgekit.profile.target import Artifact, Target, resolve, select

RUNTIMES = ("executorch", "tflite", "onnx")


def _settings(runs: int, warmup: int, threads: int | None, per_op_runs: int) -> dict[str, int]:
    if runs < 1:
        raise InvalidInputError(f"--runs must be at least 1 (got {runs})", hint="try --runs 50")
    if warmup < 0:
        raise InvalidInputError(f"--warmup must be >= 0 (got {warmup})", hint="try --warmup 5")
    if threads is not None and threads < 1:
        raise InvalidInputError(f"--threads must be >= 1 (got {threads})",
                                hint="omit it to use every core")
    if per_op_runs < 0:
        raise InvalidInputError(f"--per-op-runs must be >= 0 (got {per_op_runs})", hint="0 turns it off")
    return {"runs": runs, "warmup": warmup, "threads": threads or 0, "per_op_runs": per_op_runs}


def _check_runtime(runtime: str | None) -> None:
    if runtime is not None and runtime not in RUNTIMES:
        raise InvalidInputError(f"unknown runtime {runtime!r}", hint=f"valid: {', '.join(RUNTIMES)}")


@contextlib.contextmanager
def _progress_bar(enabled: bool, label: str, settings: dict[str, int]) -> Iterator[ProgressFn | None]:
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    offsets = {"warmup": 0, "timed": settings["warmup"], "per-op": settings["warmup"] + settings["runs"]}
    total = settings["warmup"] + settings["runs"] + (1 if settings["per_op_runs"] else 0)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[phase]}"), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task(label, total=total, phase="loading")

        def update(phase: str, done: int, _total: int) -> None:
            bar.update(task, completed=offsets.get(phase, 0) + done, phase=phase)

        yield update


def _profile_artifacts(dev: Transport, tgt: Target, arts: list[Artifact], settings: dict[str, int],
                       progress: bool, timeout: float) -> list[Result]:
    results = []
    for art in arts:
        with _progress_bar(progress, f"{art.path.name} [{art.runtime}]", settings) as update:
            raw = run_worker(dev, art, settings, timeout=timeout, progress=update)
        results.append(make_result(raw, art, tgt, dev, settings))
    return results


def profile(target: str | Path, runtime: str | None = None, *, runs: int = 50, warmup: int = 5,
            threads: int | None = None, device: str = "local", precision: str | None = None,
            per_op_runs: int = 10, progress: bool = False, timeout: float = 1800) -> Result:
    """Profile one model (a file, or the first bundle artifact matching runtime/precision)."""
    settings = _settings(runs, warmup, threads, per_op_runs)
    _check_runtime(runtime)
    tgt = resolve(target)
    arts = select(tgt, runtime, precision)
    with connect(device) as dev:
        return _profile_artifacts(dev, tgt, arts, settings, progress, timeout)[0]


def profile_all(target: str | Path, runtime: str | None = None, *, runs: int = 50, warmup: int = 5,
                threads: int | None = None, device: str = "local", precision: str | None = None,
                per_op_runs: int = 10, progress: bool = False, timeout: float = 1800) -> list[Result]:
    """Profile every model of a bundle (filtered by runtime/precision) over one device connection."""
    settings = _settings(runs, warmup, threads, per_op_runs)
    _check_runtime(runtime)
    tgt = resolve(target)
    arts = select(tgt, runtime, precision, every=True)
    with connect(device) as dev:
        return _profile_artifacts(dev, tgt, arts, settings, progress, timeout)
