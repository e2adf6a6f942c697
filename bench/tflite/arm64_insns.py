"""Does XNNPACK's sparse NCHW path engage on ARM for edgekit's sparse .tflite? Count instructions.

    .venv/bin/python bench/tflite/arm64_insns.py [--root build/arm64-root] [--work build/tflite-arm64]

x86 CPUs with AVX never take XNNPACK's sparse path, so the evidence comes from emulation: the
aarch64 ai-edge-litert wheel (1.4.0 is the newest with a cp311 aarch64 wheel) runs under Debian's
qemu-aarch64 inside the arm64 Debian root (`make arm64-root`), and ../shared/tools/count-insns.sh
counts executed instructions (-c cortex-a72, Raspberry Pi 4 class). Per-inference instructions
are (count at R=1+N invokes - count at R=1) / N, which removes Python start-up and model load.

Compared on the same 90% group-sparse MobileNetV2 graph: the sparse file (1x1-conv weights behind
DENSIFY) vs its dense twin (same graph and weights, no DENSIFY). A large drop means the sparse
path engaged. The wheels are unpacked into a site directory (no pip or chroot in the guest).
Writes build/bench/tflite_arm64_insns.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.tflite.models import convert_fp32, pruned_mobilenet_v2  # noqa: E402
from edgekit import atomic  # noqa: E402
from edgekit.formats.tflite_sparse import Policy, sparsify_bytes  # noqa: E402

COUNT_INSNS = REPO.parent / "shared" / "tools" / "count-insns.sh"
LITERT_AARCH64 = "ai-edge-litert==1.4.0"
NUMPY_AARCH64 = "numpy==2.4.6"
SHAPE = (1, 3, 96, 96)


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("+", " ".join(map(str, cmd)), flush=True)
    return subprocess.run(cmd, check=True, text=True, **kw)


def guest_site(work: Path) -> Path:
    """aarch64 wheels unpacked into one site directory (what `pip install --target` would do)."""
    site, wheels = work / "site", work / "wheels"
    stamp = site / ".edgekit-wheels"
    if stamp.exists():
        return site
    wheels.mkdir(parents=True, exist_ok=True)
    sh([sys.executable, "-m", "pip", "download", LITERT_AARCH64, NUMPY_AARCH64, "--only-binary=:all:",
        "--python-version", "3.11", "--platform", "manylinux_2_28_aarch64", "--platform",
        "manylinux2014_aarch64", "--platform", "manylinux_2_17_aarch64", "-d", str(wheels), "-q"])
    tmp = work / "site.tmp"
    subprocess.run(["rm", "-rf", str(tmp)], check=True)
    for whl in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(whl) as z:
            z.extractall(tmp)
            for info in z.infolist():  # keep the executable bits of shared libraries
                mode = info.external_attr >> 16
                if mode:
                    os.chmod(tmp / info.filename, mode)
    (tmp / ".edgekit-wheels").write_text("\n".join(p.name for p in sorted(wheels.glob("*.whl"))))
    subprocess.run(["rm", "-rf", str(site)], check=True)
    tmp.rename(site)
    return site


def make_models(work: Path) -> dict[str, Path]:
    out = {"sparse": work / "mbv2_sparse.tflite", "dense_twin": work / "mbv2_dense_twin.tflite"}
    if all(p.exists() for p in out.values()):
        return out
    dense = convert_fp32(pruned_mobilenet_v2(0.9), SHAPE)
    sparse = sparsify_bytes(dense)
    assert sparse.xnnpack.qualifies, sparse.xnnpack.reason
    twin = sparsify_bytes(dense, Policy(min_direct_block_sparsity=1.01, max_densify_ratio=0.0))
    atomic.write_bytes(out["sparse"], sparse.data)
    atomic.write_bytes(out["dense_twin"], twin.data)
    return out


# XNNPACK's NCHW-only kernels sit together in the wheel's libpywrap_litert_common.so: from the f32
# SpMM (sparse 1x1 conv) kernel through the CHW stem/depthwise kernels, up to the dense GEMMs.
# Instructions executed there are non-zero only when the sparse NCHW path runs.
NCHW_FIRST = "xnn_f32_spmm_minmax_ukernel_32x1__neonfma_pipelined"
NCHW_END = "xnn_f32_gemm_minmax_ukernel_1x16__aarch64_neonfma_lane_ld128"
XNNPACK_LIB = "libpywrap_litert_common.so"


def guest_argv(root: Path, site: Path, model: Path, repeats: int, out_npy: Path) -> list[str]:
    python = (root / "usr" / "bin" / "python3").resolve()
    return [str(python), str(Path(__file__).with_name("arm64_guest.py")), str(site), str(model),
            str(repeats), str(out_npy)]


def nchw_range(root: Path, site: Path, model: Path, cpu: str, work: Path) -> str | None:
    """Guest address range of XNNPACK's NCHW kernels (load base from a plain qemu run + nm offsets)."""
    lib = site / "ai_edge_litert" / XNNPACK_LIB
    nm = subprocess.run(["aarch64-linux-gnu-nm", str(lib)], capture_output=True, text=True)
    syms = {parts[2]: int(parts[0], 16) for parts in (ln.split() for ln in nm.stdout.splitlines())
            if len(parts) == 3}
    if NCHW_FIRST not in syms or NCHW_END not in syms:
        print("nm found no XNNPACK NCHW kernel symbols: counting totals only")
        return None
    res = sh(["env", "-i", "/usr/bin/qemu-aarch64", "-cpu", cpu, "-L", str(root),
              *guest_argv(root, site, model, 0, work / "probe.npy")], capture_output=True)
    base = int(res.stdout.split("base " + XNNPACK_LIB)[1].split()[0], 16)
    return f"{base + syms[NCHW_FIRST]:x}-{base + syms[NCHW_END]:x}"


def count(root: Path, site: Path, model: Path, repeats: int, cpu: str, out_npy: Path,
          rng: str | None) -> tuple[int, int]:
    """(all instructions, instructions inside the NCHW-kernel range) of one guest run."""
    extra = ["-r", rng] if rng else []
    res = sh(["nice", str(COUNT_INSNS), "-L", str(root), "-c", cpu, "-e", *extra,
              *guest_argv(root, site, model, repeats, out_npy)], capture_output=True)
    if "ok" not in res.stdout:
        raise SystemExit(f"guest run failed:\n{res.stdout}\n{res.stderr}")
    lines = dict(line.split() for line in res.stdout.splitlines() if line.startswith(("all_", "sel_")))
    return int(lines["all_total"]), int(lines.get("sel_total", 0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=REPO / "build" / "arm64-root")
    ap.add_argument("--work", type=Path, default=REPO / "build" / "tflite-arm64")
    ap.add_argument("--cpu", default="cortex-a72")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", type=Path, default=REPO / "build" / "bench" / "tflite_arm64_insns.json")
    args = ap.parse_args()
    if not (args.root / "usr" / "bin" / "python3").exists():
        raise SystemExit(f"no arm64 root at {args.root}: run `make arm64-root` first")
    args.work.mkdir(parents=True, exist_ok=True)
    site = guest_site(args.work)
    models = make_models(args.work)
    rows = {}
    outputs = {}
    rng = nchw_range(args.root, site, models["sparse"], args.cpu, args.work)
    for name, path in models.items():
        base, base_nchw = count(args.root, site, path, 1, args.cpu, args.work / f"{name}.npy", rng)
        more, more_nchw = count(args.root, site, path, 1 + args.repeats, args.cpu,
                                args.work / f"{name}_r.npy", rng)
        rows[name] = {"total_r1": base, f"total_r{1 + args.repeats}": more,
                      "per_inference": (more - base) / args.repeats,
                      "nchw_kernels_per_inference": (more_nchw - base_nchw) / args.repeats}
        outputs[name] = np.load(args.work / f"{name}.npy")
    ratio = rows["sparse"]["per_inference"] / rows["dense_twin"]["per_inference"]
    max_rel = float(np.abs(outputs["sparse"] - outputs["dense_twin"]).max()
                    / max(np.abs(outputs["dense_twin"]).max(), 1e-12))
    print(f"\nMobileNetV2 90% group-sparse fp32 {SHAPE[2]}x{SHAPE[3]}, ai-edge-litert 1.4.0 aarch64, "
          f"XNNPACK 1 thread, qemu -cpu {args.cpu}")
    print(f"{'file':<12}{'insns / inference':>20}{'in XNNPACK NCHW kernels':>26}")
    for name, row in rows.items():
        print(f"{name:<12}{row['per_inference']:>20,.0f}{row['nchw_kernels_per_inference']:>26,.0f}")
    print(f"sparse / dense twin: {ratio:.3f}x   (outputs max rel diff {max_rel:.2e})")
    report = {"model": "mobilenet_v2 90% (1x1 convs 4x1, classifier 1x4)", "input": list(SHAPE),
              "runtime": LITERT_AARCH64, "cpu": args.cpu, "threads": 1, "rows": rows,
              "sparse_over_dense": ratio, "outputs_max_rel_diff": max_rel,
              "nchw_kernel_range": rng, "nchw_kernels": f"{NCHW_FIRST} .. {NCHW_END} in {XNNPACK_LIB}"}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(args.json, json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
