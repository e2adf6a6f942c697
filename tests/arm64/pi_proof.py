"""`make arm64-proof`: the Raspberry Pi app installed and run on arm64 Debian (qemu binfmt) like on a Pi.

    .venv/bin/python tests/arm64/pi_proof.py --root build/arm64-root --out build/arm64-proof

1. copies the cached arm64 root to a fresh one (a new Pi), copies the repo in, and runs
   apps/raspberry-pi/install.sh inside it (offline, aarch64 wheels downloaded on the host);
2. exports a dense and a sparse int8 bundle on x86 with edgekit's export API (or takes --bundle DIRs);
3. runs the app on x86 on the sample images (apps/raspberry-pi/samples) -> predictions;
4. runs the same app inside the root for each bundle x runtime with an aarch64 wheel, and checks the
   predictions match x86 (same top-1 on every image, logits within a tolerance).
Prints a table and writes out/proof.json with every timing. Exit 1 if anything differs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "apps/raspberry-pi"
SAMPLES = APP / "samples"
PY = Path(sys.executable)
# What install.sh pulls on the Pi (see its comments); these are downloaded once for aarch64 cp311.
ARM64_WHEELS = ["numpy==2.4.6", "pillow==13.0.0", "onnxruntime==1.31.1", "ai-edge-litert==1.4.0",
                "setuptools==84.2.1", "wheel==0.48.0"]
# Runtimes whose Python package has an aarch64 wheel usable without torch (ExecuTorch's Python runtime
# imports libtorch; .pte on arm64 is proven with the native runner bundle instead, see runner_bundle.py).
ARM64_RUNTIMES = ["onnx", "tflite"]
# Logit tolerance per runtime (the int8 output step of fmnist_mobilenet_v2 is 0.023).
# ONNX Runtime is the same version on both: measured 0-2 steps (rounding in x86 vs NEON int8 kernels).
# LiteRT is NOT: Linux aarch64 wheels stop at 1.4.0 while x86 runs 2.3.0; measured up to 35 steps
# (0.81) on the trained model with identical top-1. Top-1 must agree wherever it is decisive.
LOGIT_ATOL = {"onnx": 0.1, "tflite": 1.0}


def log(msg: str) -> None:
    print(f"arm64-proof: {msg}", flush=True)


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, text=True, capture_output=True, **kw)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"arm64-proof: failed ({proc.returncode}): {' '.join(cmd)[:300]}")
    return proc


def export_bundles(out: Path) -> dict[str, Path]:
    """name -> bundle dir: dense and group-sparse int8 Fashion-MNIST MobileNetV2, all three formats."""
    from edgekit.config import ExportConfig
    from edgekit.export import export
    from edgekit.models.trained import weights_path

    sparse_model = "fmnist_mobilenet_v2_s70"  # fine-tuned at 70% 4x1, when its weights are built
    sparse_kw: dict = {}
    if not weights_path(sparse_model).is_file():
        sparse_model = f"{Path(__file__).parent / 'fmnist_sparse.py'}:fmnist_s70"
        sparse_kw = {"input_shape": (1, 1, 28, 28), "name": "fmnist_s70"}
    bundles = {}
    plan = (("dense_int8", "fmnist_mobilenet_v2", {}), ("sparse_int8", sparse_model, sparse_kw))
    for name, model, kw in plan:
        dest = out / "bundles" / name
        if not (dest / "edgekit.json").exists():
            t = time.perf_counter()
            export(ExportConfig(model=model, formats=["onnx", "tflite", "executorch"], precisions=["int8"],
                                calib="fashion-mnist", out=str(dest), **kw))
            log(f"exported {name} ({model}) in {time.perf_counter() - t:.0f} s")
        bundles[name] = dest
    return bundles


def download_wheels(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    plats = [f"--platform={p}" for p in ("manylinux_2_28_aarch64", "manylinux_2_27_aarch64",
                                         "manylinux2014_aarch64", "manylinux_2_17_aarch64")]
    sh([str(PY), "-m", "pip", "download", "-q", "--only-binary=:all:", *plats, "--python-version", "3.11",
        "--implementation", "cp", "-d", str(cache), *ARM64_WHEELS])


def app_run(python_cmd: list[str], bundle: str, runtime: str, images: str, out_json: str) -> None:
    sh([*python_cmd, bundle, images, "--runtime", runtime, "--top", "1", "--quiet", "--json", out_json])


class Root:
    """A fresh arm64 root copied from the cached one, with /proc and /dev bound in while used.

    /sys stays out: it would describe the x86 host, and ONNX Runtime's cpuinfo crashes (SIGSEGV at
    import) parsing x86 CPU topology as ARM. Without it cpuinfo warns and falls back. A real Pi's /sys
    is its own, so this only concerns emulation.
    """

    def __init__(self, cached: Path, dest: Path, reuse: bool = False) -> None:
        self.path = dest
        self.copy_s = 0.0
        self.mounts: list[Path] = []
        self.installed = reuse and (dest / "home/pi/edgekit-pi/bin/edgekit-pi").exists()
        if self.installed:
            self._umount_all()
            return
        if dest.exists():
            self._umount_all()
            if any(os.path.ismount(dest / fs) for fs in ("proc", "dev", "sys")):  # never rm the host's /dev
                raise SystemExit(f"arm64-proof: {dest}/proc or /dev is still mounted; unmount it first")
            shutil.rmtree(dest)
        t = time.perf_counter()
        sh(["cp", "-a", "--reflink=auto", str(cached), str(dest)])
        self.copy_s = time.perf_counter() - t

    def __enter__(self) -> Root:
        for fs in ("proc", "dev"):
            target = self.path / fs
            sh(["mount", "--rbind", f"/{fs}", str(target)])
            self.mounts.append(target)
        shutil.copyfile("/etc/resolv.conf", self.path / "etc/resolv.conf")
        return self

    def __exit__(self, *exc: object) -> None:
        self._umount_all()

    def _umount_all(self) -> None:
        for fs in ("dev", "proc"):
            target = self.path / fs
            if os.path.ismount(target):
                subprocess.run(["umount", "-R", "-l", str(target)], capture_output=True)

    def run(self, shell: str) -> subprocess.CompletedProcess[str]:
        # PIP_NO_COMPILE: byte-compiling every installed file under emulation is most of pip's time;
        # modules the app uses still get compiled when first imported.
        env = {"HOME": "/home/pi", "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8",
               "PIP_NO_COMPILE": "1"}
        return sh(["chroot", str(self.path), "/bin/sh", "-c", shell], env=env)


def copy_repo_into(root: Path) -> None:
    """What `git clone` gives a Pi user: the tracked source files of the working tree."""
    dest = root / "home/pi/edgekit"
    files = sh(["git", "ls-files", "--cached", "--others", "--exclude-standard", "edgekit", "apps",
                "pyproject.toml", "README.md"], cwd=REPO).stdout.split()
    for rel in files:
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def compare(x86: dict, arm: dict, atol: float) -> dict:
    """Top-1 must agree on every frame whose x86 top-2 margin exceeds atol (a near-tie may flip
    within the tolerance); every logit must be within atol."""
    import numpy as np

    frames = list(zip(x86["frames"], arm["frames"], strict=True))
    same = [a["top"][0]["index"] == b["top"][0]["index"] for a, b in frames]
    margins = [float(np.diff(np.sort(np.asarray(a["logits"]))[-2:])[0]) for a, _ in frames]
    diffs = [float(np.max(np.abs(np.asarray(a["logits"]) - np.asarray(b["logits"])))) for a, b in frames]
    decisive_flips = sum(not s and m > atol for s, m in zip(same, margins, strict=True))
    return {"frames": len(frames), "top1_same": sum(same), "decisive_flips": decisive_flips,
            "max_abs_logit_diff": max(diffs), "logit_atol": atol,
            "ok": decisive_flips == 0 and max(diffs) <= atol}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", type=Path, default=REPO / "build/arm64-root")
    p.add_argument("--out", type=Path, default=REPO / "build/arm64-proof")
    p.add_argument("--bundle", action="append", type=Path, help="use these bundles instead of exporting")
    p.add_argument("--reuse-root", action="store_true",
                   help="keep out/root if install.sh already ran there (re-run only the comparisons)")
    p.add_argument("--wait-bundles", type=float, default=0,
                   help="wait up to this many seconds for --bundle dirs still being exported")
    args = p.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("arm64-proof: needs root (chroot, bind mounts)")
    if not (args.root / ".edgekit-arm64-root").exists():
        raise SystemExit(f"arm64-proof: no arm64 root at {args.root}: run `make arm64-root`")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    t = time.perf_counter()
    download_wheels(REPO / "build/arm64-wheels")
    timings["download_wheels_s"] = time.perf_counter() - t
    root = Root(args.root.resolve(), out / "root", reuse=args.reuse_root)
    timings["fresh_root_copy_s"] = root.copy_s
    with root:
        if root.installed:
            log(f"reusing {root.path} (install.sh already ran there)")
        else:  # the Pi user's part first: clone, install.sh
            copy_repo_into(root.path)
            shutil.copytree(REPO / "build/arm64-wheels", root.path / "wheels")
            t = time.perf_counter()
            root.run("cd /home/pi/edgekit && apps/raspberry-pi/install.sh --no-apt --wheels /wheels "
                     f"--runtimes {','.join(ARM64_RUNTIMES)}")
            timings["install_in_root_s"] = time.perf_counter() - t
            log(f"install.sh inside the arm64 root took {timings['install_in_root_s']:.0f} s")
        deadline = time.time() + args.wait_bundles
        while args.bundle and time.time() < deadline and not all((b / "edgekit.json").exists()
                                                                  for b in args.bundle):
            time.sleep(10)

        t = time.perf_counter()
        bundles = {b.name: b.resolve() for b in args.bundle} if args.bundle else export_bundles(out)
        timings["export_bundles_s"] = time.perf_counter() - t
        # x86 reference run, same app, same images.
        t = time.perf_counter()
        host_app = [str(PY), "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); "
                    "from edgekit_pi.app import main; sys.exit(main())", str(APP)]
        for name, bundle in bundles.items():
            for rt in ARM64_RUNTIMES:
                app_run(host_app, str(bundle), rt, str(SAMPLES), str(out / f"x86-{name}-{rt}.json"))
            shutil.copytree(bundle, root.path / "home/pi/bundles" / name, dirs_exist_ok=True)
        timings["x86_runs_s"] = time.perf_counter() - t
        arch = root.run("uname -m; /home/pi/edgekit-pi/bin/python -c "
                        "'import platform; print(platform.machine())'").stdout.split()
        rows = []
        for name in bundles:
            for rt in ARM64_RUNTIMES:
                t = time.perf_counter()
                app_run(["chroot", str(root.path), "/home/pi/edgekit-pi/bin/edgekit-pi"],
                        f"/home/pi/bundles/{name}", rt, "/home/pi/edgekit/apps/raspberry-pi/samples",
                        f"/home/pi/arm64-{name}-{rt}.json")
                secs = time.perf_counter() - t
                result = f"arm64-{name}-{rt}.json"
                shutil.copyfile(root.path / "home/pi" / result, out / result)
                x86 = json.loads((out / f"x86-{name}-{rt}.json").read_text())
                arm = json.loads((out / result).read_text())
                rows.append({"bundle": name, "runtime": rt, "arm64_run_s": round(secs, 1),
                             **compare(x86, arm, LOGIT_ATOL[rt]),
                             "arm64_top1": [f["top"][0]["label"] for f in arm["frames"]]})
    timings["total_s"] = time.perf_counter() - t0
    ok = all(r["ok"] for r in rows) and arch[:2] == ["aarch64", "aarch64"]
    report = {"ok": ok, "arch_in_root": arch, "timings_s": {k: round(v, 1) for k, v in timings.items()},
              "logit_atol": LOGIT_ATOL, "results": rows}
    (out / "proof.json").write_text(json.dumps(report, indent=1))
    print(f"\n{'bundle':<12} {'runtime':<8} {'top-1 same':>10} {'decisive flips':>14} {'max |dlogit|':>12} "
          f"{'arm64 run':>9}  result")
    for r in rows:
        print(f"{r['bundle']:<12} {r['runtime']:<8} {r['top1_same']:>5}/{r['frames']:<4} "
              f"{r['decisive_flips']:>14} {r['max_abs_logit_diff']:>12.4f} {r['arm64_run_s']:>8.1f}s  "
              f"{'OK' if r['ok'] else 'DIFFERS'}")
    print("timings: " + ", ".join(f"{k} {v:.0f}" for k, v in report["timings_s"].items()))
    print(f"arm64-proof: {'PASSED' if ok else 'FAILED'} (uname -m in root: {arch[0]}; "
          f"app python: {arch[1]}); details in {out / 'proof.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
