"""Profile a .pte on a device without Python (Android over adb) with the self-contained arm64 runner.

The runner bundle (`make arm64-runner-bundle`: edgekit-run + its libraries + glibc's own loader) and
the model go to the device's temp dir; edgekit-run does the warm-up and timed runs and prints one JSON
line; this module turns it into the same raw result the Python worker writes, so `edgekit report`
treats the phone like any other device. Device facts come from getprop, uname and /proc/cpuinfo.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

from edgekit.device.base import Transport
from edgekit.errors import InvalidInputError, MissingDependencyError
from edgekit.profile import stats
from edgekit.profile.perop import unavailable

ENV_RUNNER = "EDGEKIT_ARM64_RUNNER"
DEFAULT_RUNNER = Path(__file__).resolve().parents[2] / "build" / "arm64-runner"
LOADER = "ld-linux-aarch64.so.1"
_GETPROPS = {"model": "ro.product.model", "manufacturer": "ro.product.manufacturer",
             "soc": "ro.soc.model", "abi": "ro.product.cpu.abi", "android": "ro.build.version.release",
             "sdk": "ro.build.version.sdk"}


def runner_bundle() -> Path:
    path = Path(os.environ.get(ENV_RUNNER) or DEFAULT_RUNNER)
    if not all((path / p).exists() for p in (LOADER, "lib", "edgekit-run")):
        raise MissingDependencyError(f"no arm64 runner bundle at {path}",
                                     hint=f"build it with `make arm64-runner-bundle` or set {ENV_RUNNER}")
    return path


def device_environment(dev: Transport, threads: int) -> dict[str, Any]:
    """The profile's environment block from getprop / uname / nproc / cpuinfo (missing ones stay empty)."""
    marker = "@@EDGEKIT@@"
    script = "; ".join([*(f"getprop {p} 2>/dev/null; echo {marker}" for p in _GETPROPS.values()),
                        f"uname -m; echo {marker}", f"uname -r; echo {marker}", f"nproc; echo {marker}",
                        "cat /proc/cpuinfo"])
    _, out, _ = dev.run(["sh", "-c", script], 60)
    parts = [p.strip() for p in out.split(marker)]
    parts += [""] * (len(_GETPROPS) + 4 - len(parts))
    props = dict(zip(_GETPROPS, parts, strict=False))
    arch, kernel, nproc, cpuinfo = parts[len(_GETPROPS):len(_GETPROPS) + 4]
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip().lower(), value.strip())
    listed = sum(1 for ln in cpuinfo.splitlines() if ln.startswith("processor"))
    cores = int(nproc) if nproc.isdigit() else listed
    name = " ".join(v for v in (props["manufacturer"], props["model"]) if v)
    return {
        "hostname": name or dev.url,
        "cpu_model": props["soc"] or fields.get("hardware") or fields.get("model name") or "unknown",
        "arch": arch or "aarch64",
        "isa": sorted(set(fields.get("features", "").split()) & {"asimd", "asimddp", "i8mm", "sve", "fphp"}),
        "cores_logical": cores or 1,
        "cores_usable": cores or 1,
        "threads": threads,
        "os": f"Android {props['android']} (SDK {props['sdk']})" if props["android"] else f"Linux {kernel}",
        "python": None,
        "versions": {"executorch": "edgekit-run (arm64 runner bundle)"},
        "android": {k: v for k, v in props.items() if v},
    }


def parse_runner_output(stdout: str, warmup: int) -> dict[str, Any]:
    """edgekit-run's JSON line -> first inference, timed samples (warm-up dropped), load time, memory."""
    try:
        report = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise InvalidInputError(f"edgekit-run printed no JSON result: {stdout.strip()[-200:]!r}",
                                hint="rebuild the runner bundle (make arm64-runner-bundle)") from None
    samples = report.get("samples_ms")
    if not samples or len(samples) < warmup + 2:
        raise InvalidInputError("this edgekit-run does not report per-run times (samples_ms)",
                                hint="rebuild the runner bundle from a current edgekit "
                                "(make arm64-runner-bundle)")
    timed = [float(v) for v in samples[1 + warmup:]]
    return {"first_inference_ms": float(samples[0]), "samples": timed, "load_ms": report.get("load_ms"),
            "peak_rss_bytes": int(report.get("peak_rss_bytes") or 0),
            "input_shapes": report.get("inputs") or [], "threads": report.get("threads")}


def profile_with_runner(dev: Transport, model: Path, settings: dict[str, int],
                        timeout: float) -> dict[str, Any]:
    """Raw worker-format result for one .pte profiled by the runner bundle on `dev`."""
    if model.suffix != ".pte":
        raise InvalidInputError(f"{dev.url} has no Python runtimes: it profiles ExecuTorch .pte files only",
                                hint="pass --runtime executorch (or the bundle's .pte)")
    bundle = runner_bundle()
    remote = dev.tempdir()
    dev.push(bundle, f"{remote}/runner")
    dev.push(model, f"{remote}/runner/model.pte")
    threads = settings["threads"] or 0
    runs = 1 + settings["warmup"] + settings["runs"]  # first inference, warm-up, timed
    cmd = (f"cd {shlex.quote(remote)}/runner && ./{LOADER} --library-path ./lib ./edgekit-run model.pte "
           f"--runs {runs}" + (f" --threads {threads}" if threads else ""))
    rc, out, err = dev.run(["sh", "-c", cmd], timeout)
    if rc != 0:
        last = (err.strip().splitlines() or [f"exit code {rc}"])[-1]
        raise InvalidInputError(f"edgekit-run failed on {dev.url}: {last}",
                                hint="check the .pte was exported for edgekit's backend/XNNPACK")
    parsed = parse_runner_output(out, settings["warmup"])
    env = device_environment(dev, parsed["threads"] or threads)
    size = model.stat().st_size
    return {
        "runtime": {"name": "executorch", "version": "edgekit-run"},
        "model": {"file": model.name, "size_bytes": size, "input_shapes": parsed["input_shapes"]},
        "settings": {"runs": settings["runs"], "warmup": settings["warmup"], "threads": threads},
        "load_ms": parsed["load_ms"],
        "first_inference_ms": parsed["first_inference_ms"],
        "latency_ms": {**stats.latency_stats(parsed["samples"]), "samples": parsed["samples"]},
        "memory": {"peak_rss_bytes": parsed["peak_rss_bytes"], "rss_before_load_bytes": 0,
                   "model_file_bytes": size},
        "per_op": unavailable("edgekit-run", "the native runner has no per-operator profiler"),
        "environment": env,
    }
