"""The self-contained arm64 runner bundle: edgekit-run + every library it loads + glibc's own loader.

    runner_bundle.py build --runner build/backend-aarch64/edgekit-run --out build/arm64-runner
    runner_bundle.py check --bundle build/arm64-runner --work build/arm64-runner-check

Layout (starts on any aarch64 Linux kernel, Android included, without touching the device's libc):

    arm64-runner/ld-linux-aarch64.so.1      glibc's dynamic loader, from Debian's libc6-arm64-cross
    arm64-runner/lib/*.so*                  libc, libm, libstdc++, libgcc_s, ExecuTorch, edgekit backend
    arm64-runner/edgekit-run
    $ ./ld-linux-aarch64.so.1 --library-path ./lib ./edgekit-run model.pte --runs 10

`build` collects the closure of DT_NEEDED from the runner's RUNPATH/RPATH, its own directory, extra
--lib-dir's and the cross glibc; `check` proves self-containment under qemu-aarch64 with an EMPTY
sysroot (every library the loader maps must come from ./lib) and compares a sparse int8 .pte's outputs
with the x86 runner on the same input.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CROSS_GLIBC = Path("/usr/aarch64-linux-gnu/lib")
LOADER = "ld-linux-aarch64.so.1"
# Measured: x86 and aarch64 (qemu cortex-a72 / cortex-a76) outputs are bit-identical for int8 and fp32.
OUTPUT_ATOL = 1e-5
# Raspberry Pi 4 and Pi 5 class cores. Not qemu 7.2's default "max" CPU: with it XNNPACK picks int8
# kernels for features (i8mm/SVE) whose emulation gives wrong outputs (seen: top-1 changes).
QEMU_CPUS = ("cortex-a72", "cortex-a76")
RUNNER_CANDIDATES = ["build/backend-aarch64/edgekit-run", "build/native-executorch-aarch64/edgekit-run",
                     "build/executorch-aarch64/edgekit-run"]


class BundleError(Exception):
    pass


def readelf_dynamic(path: Path) -> tuple[list[str], list[str], str]:
    """(DT_NEEDED names, RUNPATH/RPATH dirs with $ORIGIN expanded, machine)."""
    out = subprocess.run(["readelf", "-d", "-h", str(path)], capture_output=True, text=True,
                         check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)
    paths = []
    for raw in re.findall(r"\((?:RUNPATH|RPATH)\)\s+Library (?:runpath|rpath): \[(.+?)\]", out):
        paths += [p.replace("$ORIGIN", str(path.resolve().parent)) for p in raw.split(":") if p]
    machine = re.search(r"Machine:\s+(.+)", out)
    return needed, paths, machine.group(1).strip() if machine else "?"


def closure(runner: Path, extra_dirs: list[Path]) -> dict[str, Path]:
    """soname -> file for every library the runner loads, transitively (the loader itself excluded)."""
    _, runner_paths, machine = readelf_dynamic(runner)
    if "AArch64" not in machine:
        raise BundleError(f"{runner} is a {machine} binary, not AArch64: build it with make backend-aarch64")
    search = [runner.resolve().parent, *map(Path, runner_paths), *extra_dirs, CROSS_GLIBC]
    found: dict[str, Path] = {}
    todo = [runner]
    while todo:
        needed, rpaths, _ = readelf_dynamic(todo.pop())
        for name in needed:
            if name in found or name == LOADER:
                continue
            hit = next((d / name for d in [*map(Path, rpaths), *search] if (d / name).is_file()), None)
            if hit is None:
                raise BundleError(f"cannot find {name} (needed by the runner's closure) in "
                                  f"{', '.join(map(str, search))}: pass --lib-dir")
            found[name] = hit
            todo.append(hit)
    return found


def build(runner: Path, out: Path, extra_dirs: list[Path]) -> dict[str, Path]:
    libs = closure(runner, extra_dirs)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        (tmp / "lib").mkdir()
        shutil.copy2(CROSS_GLIBC / LOADER, tmp / LOADER)
        shutil.copy2(runner, tmp / "edgekit-run")
        for name, src in libs.items():
            shutil.copy2(src.resolve(), tmp / "lib" / name)  # resolve: copy the file, not a symlink
        (tmp / "README.txt").write_text(
            "edgekit-run for aarch64 Linux with its own glibc loader and libraries.\n"
            "On a device (Android: adb push this folder to /data/local/tmp/edgekit-runner, then adb shell):\n"
            "  cd /data/local/tmp/edgekit-runner\n"
            "  ./ld-linux-aarch64.so.1 --library-path ./lib ./edgekit-run model.pte --runs 10\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return libs


def qemu_runner(bundle: Path, args: list[str], empty: Path, cpu: str) -> list[str]:
    # -L an empty dir: the guest gets no sysroot from qemu; the loader is started explicitly.
    return ["qemu-aarch64", "-cpu", cpu, "-L", str(empty), f"./{LOADER}", "--library-path", "./lib",
            "./edgekit-run", *args]


def check(bundle: Path, work: Path, pte: Path, input_shape: list[int], x86_runner: Path) -> dict:
    work, bundle = work.resolve(), bundle.resolve()  # the runners run with cwd set: no relative paths
    work.mkdir(parents=True, exist_ok=True)
    empty = Path(tempfile.mkdtemp(prefix="empty-sysroot-"))
    try:
        # 1. Every library the aarch64 loader maps comes from the bundle's ./lib.
        listed = subprocess.run(["qemu-aarch64", "-L", str(empty), f"./{LOADER}", "--library-path", "./lib",
                                 "--list", "./edgekit-run"], cwd=bundle, capture_output=True, text=True)
        if listed.returncode != 0:
            detail = listed.stderr.strip() or listed.stdout
            raise BundleError(f"the loader cannot resolve the runner: {detail}")
        resolved = re.findall(r"=> (\S+)", listed.stdout)
        # The PT_INTERP entry (/lib/ld-linux-aarch64.so.1) maps to the bundle's own loader.
        outside = [p for p in resolved if not (p.startswith("./lib/") or p == f"./{LOADER}")]
        if outside or not resolved:
            raise BundleError(f"libraries resolved outside ./lib: {outside or listed.stdout}")
        # 2. Same input through the x86 runner and the bundle under qemu -> same outputs.
        import numpy as np

        x = np.random.default_rng(0).standard_normal(input_shape).astype("<f4")
        x.tofile(work / "input.bin")
        ref = _run([str(x86_runner), str(pte.resolve()), "--runs", "1", "--input", str(work / "input.bin"),
                    "--output", str(work / "x86.bin")], cwd=work)
        shutil.copyfile(pte, bundle / "check-model.pte")
        shutil.copyfile(work / "input.bin", bundle / "check-input.bin")
        y86 = np.fromfile(work / "x86.bin", dtype="<f4")
        per_cpu = {}
        try:
            for cpu in QEMU_CPUS:
                argv = ["check-model.pte", "--runs", "3", "--input", "check-input.bin", "--output",
                        "check-output.bin"]
                arm = _run(qemu_runner(bundle, argv, empty, cpu), cwd=bundle)
                shutil.copyfile(bundle / "check-output.bin", work / f"arm64-{cpu}.bin")
                yarm = np.fromfile(work / f"arm64-{cpu}.bin", dtype="<f4")
                if y86.shape != yarm.shape or y86.size == 0:
                    raise BundleError(f"output sizes differ: x86 {y86.size}, arm64 {yarm.size}")
                per_cpu[cpu] = {"max_abs_diff": float(np.max(np.abs(y86 - yarm))),
                                "top1_same": int(np.argmax(y86)) == int(np.argmax(yarm)),
                                "bit_identical": bool(np.array_equal(y86, yarm)), "runner": arm}
        finally:
            for f in ("check-model.pte", "check-input.bin", "check-output.bin"):
                (bundle / f).unlink(missing_ok=True)
        return {"libraries": len(resolved), "outputs": int(y86.size), "x86": ref, "qemu": per_cpu,
                "max_abs_diff": max(c["max_abs_diff"] for c in per_cpu.values()),
                "top1_same": all(c["top1_same"] for c in per_cpu.values())}
    finally:
        shutil.rmtree(empty, ignore_errors=True)


def _run(cmd: list[str], cwd: Path) -> dict:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise BundleError(f"{' '.join(cmd[:4])} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check_one(args: argparse.Namespace, pte: Path, shape: list[int]) -> bool:
    result = check(args.bundle, args.work, pte, shape, args.x86_runner)
    meta = pte.with_suffix(".json")
    result["model"] = json.loads(meta.read_text()) if meta.exists() else {"file": str(pte)}
    (args.work / f"check-{pte.stem}.json").write_text(json.dumps(result, indent=1))
    for cpu, r in result["qemu"].items():
        print(f"  qemu -cpu {cpu:<11} max |x86 - arm64| {r['max_abs_diff']:.3g}  bit-identical "
              f"{r['bit_identical']}  median {r['runner']['median_ms']:.1f} ms (emulated)")
    ok = result["top1_same"] and result["max_abs_diff"] <= OUTPUT_ATOL
    print(f"runner bundle check: {'PASSED' if ok else 'FAILED'}: {pte.name}: {result['libraries']} libraries "
          f"all from the bundle under an empty sysroot; {result['model'].get('precision', '?')} .pte "
          f"(delegates {', '.join(result['model'].get('delegates', []))}); max |x86 - arm64| = "
          f"{result['max_abs_diff']:.3g} over {result['outputs']} outputs")
    return ok


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--runner", type=Path, help="aarch64 edgekit-run (default: the backend's cross build)")
    b.add_argument("--lib-dir", type=Path, action="append", default=[], help="more aarch64 library dirs")
    b.add_argument("--out", type=Path, default=REPO / "build/arm64-runner")
    c = sub.add_parser("check")
    c.add_argument("--bundle", type=Path, default=REPO / "build/arm64-runner")
    c.add_argument("--work", type=Path, default=REPO / "build/arm64-runner-check")
    c.add_argument("--pte", type=Path, help="sparse int8 .pte (default: exported into --work)")
    c.add_argument("--input-shape", default="", help="with --pte: N,C,H,W of its input")
    c.add_argument("--x86-runner", type=Path, default=REPO / "build/native-executorch/edgekit-run")
    args = p.parse_args()
    try:
        if args.cmd == "build":
            runner = args.runner or next((REPO / c for c in RUNNER_CANDIDATES if (REPO / c).is_file()), None)
            if runner is None:
                raise BundleError("no aarch64 edgekit-run found (looked in "
                                  f"{', '.join(RUNNER_CANDIDATES)}): run make backend-aarch64 or "
                                  "pass --runner")
            libs = build(runner, args.out.resolve(), args.lib_dir)
            size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
            print(f"runner bundle: {args.out} ({len(libs)} libraries + loader, {size / 2**20:.1f} MiB)")
            for name, src in sorted(libs.items()):
                print(f"  lib/{name:<36} <- {os.path.normpath(src)}")
        else:
            from sparse_pte import sparse_pte

            if args.pte:
                cases = [(args.pte, [int(d) for d in args.input_shape.split(",") if d])]
            else:  # edgekit's backend runs sparse fp32 layers; int8 goes to XNNPACK (both matter on a phone)
                cases = [sparse_pte(args.work, int8=False), sparse_pte(args.work, int8=True)]
            all_ok = True
            for pte, shape in cases:
                all_ok &= _check_one(args, pte, shape)
            return 0 if all_ok else 1
    except BundleError as exc:
        print(f"runner bundle: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    sys.exit(main())
