"""Drive one worker process per profile, on this machine or on a device, and turn its output into a Result.

Locally the worker runs as `python -m edgekit.profile.worker` on the files in place. On a remote device
the worker's five files, the model and its ETRecord are copied to a temp dir there and run with the
device's own Python (`?python=` in the URL, default python3): edgekit need not be installed remotely.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import edgekit
from edgekit.device import Transport
from edgekit.errors import EdgekitError, InvalidInputError, MissingDependencyError
from edgekit.profile import worker
from edgekit.profile.environment import RUNTIME_PACKAGES
from edgekit.profile.schema import KIND, SCHEMA_VERSION, Result, validate
from edgekit.profile.target import Artifact, Target

ProgressFn = Callable[[str, int, int], None]
WORKER_DIR = Path(worker.__file__).parent


class ProfileFailedError(EdgekitError):
    """The worker process died without a result (crash, OOM, killed)."""


def _is_local(dev: Transport) -> bool:
    return bool(getattr(dev, "is_local", False))  # duck-typed transports (adb) may lack the attribute


def _python(dev: Transport) -> str:
    return str(getattr(dev, "python", "python3"))


def _worker_argv(dev: Transport, model: str, etrecord: str | None, out: str, runtime: str,
                 settings: dict[str, int], remote_dir: str | None) -> list[str]:
    if remote_dir:
        entry = [_python(dev), f"{remote_dir}/worker.py"]
    else:
        entry = [_python(dev), "-m", "edgekit.profile.worker"]
    argv = [*entry, "--model", model, "--runtime", runtime, "--runs", str(settings["runs"]),
            "--warmup", str(settings["warmup"]), "--threads", str(settings["threads"]),
            "--per-op-runs", str(settings["per_op_runs"]), "--out", out]
    return [*argv, "--etrecord", etrecord] if etrecord else argv


def _stderr_handler(progress: ProgressFn | None, errors: list[str]) -> Callable[[str], None]:
    def on_line(line: str) -> None:
        if line.startswith("EKPROGRESS "):
            _, phase, done, total = ([*line.split(), "0", "0"])[:4]
            if progress is not None:
                progress(phase, int(done), int(total))
        elif line.startswith("EKERROR "):
            errors.append(line[len("EKERROR "):])

    return on_line


def _raise_for_worker(rc: int, err: str, errors: list[str], dev: Transport, art: Artifact) -> None:
    where = "this machine" if _is_local(dev) else dev.url
    if errors:
        kind, _, message = errors[-1].partition(" ")
        if kind == "missing_runtime":
            pkg = RUNTIME_PACKAGES.get(art.runtime, art.runtime)
            raise MissingDependencyError(f"the {art.runtime} runtime is not usable on {where}: {message}",
                                         hint=f"pip install {pkg} there, or pick another --runtime")
        raise InvalidInputError(message, hint="check the model file; re-export it if it is corrupt")
    tail = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("EKPROGRESS")]
    last = tail[-1].strip() if tail else "no output"
    if rc == 127 or ("no such file or directory" in last.lower() and _python(dev) in last):
        raise MissingDependencyError(f"no Python interpreter {_python(dev)!r} on {where}",
                                     hint="install python3 there or pass ?python=/path/to/python in the URL")
    raise ProfileFailedError(f"profiling {art.path.name} on {where} failed (exit {rc}): {last}",
                             hint="re-run with --debug, or lower --runs")


def _call_run(dev: Transport, argv: list[str], timeout: float, on_line: Callable[[str], None]):
    # Transports that cannot stream stderr (e.g. adb) still work, just without a live progress bar.
    if "on_stderr_line" in inspect.signature(dev.run).parameters:
        return dev.run(argv, timeout, on_stderr_line=on_line)
    rc, out, err = dev.run(argv, timeout)
    for line in err.splitlines():
        on_line(line)
    return rc, out, err


def run_worker(dev: Transport, art: Artifact, settings: dict[str, int], *, timeout: float = 1800,
               progress: ProgressFn | None = None) -> dict[str, Any]:
    """Run the worker for one artifact on `dev`; return its raw JSON dict."""
    if hasattr(dev, "profile_model"):  # devices without Python (adb): edgekit's native runner bundle
        return dev.profile_model(art.path, settings, timeout)
    errors: list[str] = []
    on_line = _stderr_handler(progress, errors)
    with tempfile.TemporaryDirectory(prefix="edgekit-profile-") as local_tmp:
        local_out = Path(local_tmp) / "result.json"
        if _is_local(dev):
            argv = _worker_argv(dev, str(art.path), str(art.etrecord) if art.etrecord else None,
                                str(local_out), art.runtime, settings, None)
        else:
            remote = dev.tempdir()
            for name in worker.WORKER_FILES:
                dev.push(WORKER_DIR / name, f"{remote}/{name}")
            model = f"{remote}/model{art.path.suffix}"
            dev.push(art.path, model)
            etrecord = None
            if art.etrecord:
                etrecord = f"{remote}/model.etrecord"
                dev.push(art.etrecord, etrecord)
            argv = _worker_argv(dev, model, etrecord, f"{remote}/result.json", art.runtime, settings, remote)
        rc, _, err = _call_run(dev, argv, timeout, on_line)
        if rc != 0:
            _raise_for_worker(rc, err, errors, dev, art)
        if not _is_local(dev):
            dev.pull(f"{remote}/result.json", local_out)
        try:
            return json.loads(local_out.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ProfileFailedError(f"the worker on {dev.url} wrote no readable result ({exc})") from None


def make_result(raw: dict[str, Any], art: Artifact, target: Target, dev: Transport,
                settings: dict[str, int]) -> Result:
    env = raw["environment"]
    env["edgekit_version"] = edgekit.__version__
    runtime = raw["runtime"]["name"]
    name = f"{target.model_name} {art.variant}" if art.variant else target.model_name
    label = f"{name} · {runtime}"
    if not _is_local(dev):
        label += f" @ {env.get('hostname', dev.url)}"
    data = {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "edgekit_version": edgekit.__version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "label": label,
        "model": {"name": target.model_name, "target": str(target.path), "target_kind": target.kind,
                  "file": art.path.name, "variant": art.variant, "precision": art.precision,
                  "sparse": art.sparse, "size_bytes": raw["model"]["size_bytes"], "sha256": art.sha256,
                  "input_shapes": raw["model"]["input_shapes"]},
        "runtime": raw["runtime"],
        "device": {"url": dev.url, "hostname": env.get("hostname")},
        "settings": settings,
        "load_ms": raw["load_ms"],
        "first_inference_ms": raw["first_inference_ms"],
        "latency_ms": raw["latency_ms"],
        "memory": raw["memory"],
        "per_op": raw.get("per_op"),
        "environment": env,
        "accuracy": {"top1": art.accuracy} if art.accuracy is not None else None,
    }
    return validate(data, "worker output")
