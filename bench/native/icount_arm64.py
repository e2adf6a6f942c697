"""aarch64 instruction counts of edgekit's NEON kernels (no ARM hardware here: qemu + TCG plugin).

Cross-builds bench/native/icount_gspmm.c against build/native-aarch64/libedgekit.a, runs it under
../shared/tools/count-insns.sh with REPS=1 and REPS=11 and reports (count11 - count1) / 10: the
instructions of one M=K=256, N=784 kernel call, with the class mix. `-c cortex-a72` (Raspberry Pi 4
class: NEON, no dotprod) and `-c max` (dotprod: the int8 sdot kernel).

    .venv/bin/python bench/native/icount_arm64.py      (needs `make native-test-qemu` built first)

Reference point: Debian XNNPACK's arm64 dense NHWC 1x1 conv on the same shape runs 16.4M
instructions on cortex-a72 (measured for this project, ../shared/PLATFORM.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT.parent / "shared" / "tools" / "count-insns.sh"
XNNPACK_F32_DENSE_A72 = 16.4e6
CONFIGS = [  # dtype, cpu, sparsity, group_m
    *[("f32", "cortex-a72", s, 4) for s in (0.0, 0.5, 0.7, 0.9)],
    *[("qs8", "cortex-a72", s, 4) for s in (0.0, 0.5, 0.7, 0.9)],
    *[("qs8", "max", s, 4) for s in (0.0, 0.5, 0.7, 0.9)],
    ("f32", "cortex-a72", 0.7, 1), ("f32", "cortex-a72", 0.7, 8),
    ("qs8", "max", 0.7, 1), ("qs8", "max", 0.7, 8),
]


def build() -> Path:
    lib = ROOT / "build" / "native-aarch64" / "libedgekit.a"
    if not lib.exists():
        sys.exit("aarch64 library not built: run `make native-test-qemu`")
    exe = ROOT / "build" / "native-aarch64" / "icount_gspmm"
    subprocess.run(["aarch64-linux-gnu-gcc", "-O2", "-static", "-o", str(exe),
                    str(ROOT / "bench" / "native" / "icount_gspmm.c"), f"-I{ROOT / 'native' / 'include'}",
                    str(lib), "-lm"], check=True)
    return exe


def count(exe: Path, cpu: str, args: list[str]) -> dict[str, int]:
    out = subprocess.run([str(TOOL), "-c", cpu, "-e", "-q", str(exe), *args], capture_output=True, text=True,
                         check=True).stdout
    return {k: int(v) for k, v in (line.split() for line in out.splitlines() if line.startswith("all_"))}


def main() -> None:
    exe = build()
    rows = []
    for dtype, cpu, sp, gm in CONFIGS:
        one = count(exe, cpu, [dtype, str(sp), str(gm), "1"])
        eleven = count(exe, cpu, [dtype, str(sp), str(gm), "11"])
        per = {k: (eleven[k] - one[k]) / 10 for k in one}
        rows.append({"dtype": dtype, "cpu": cpu, "sparsity": sp, "group_m": gm, "per_call": per})
        print(f"{dtype} {cpu} {sp:.0%} {gm}x1: {per['all_total'] / 1e6:.2f}M", file=sys.stderr)
    lines = ["| dtype | qemu -cpu | kernel | sparsity | group | M insns / call | vs XNNPACK f32 dense | "
             "simd_vector | fpsimd_ldst | int_alu |", "|" + "---|" * 10]
    for r in rows:
        p = r["per_call"]
        kernel = "neondot" if (r["dtype"] == "qs8" and r["cpu"] == "max") else "neon"
        lines.append(f"| {r['dtype']} | {r['cpu']} | {kernel} | {r['sparsity']:.0%} | {r['group_m']}x1 | "
                     f"{p['all_total'] / 1e6:.2f} | {p['all_total'] / XNNPACK_F32_DENSE_A72:.2f}x | "
                     f"{p.get('all_simd_vector', 0) / 1e6:.2f} | {p.get('all_fpsimd_ldst', 0) / 1e6:.2f} | "
                     f"{p.get('all_int_alu', 0) / 1e6:.2f} |")
    print("\n".join(lines))
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "native_icount_arm64.json").write_text(json.dumps(rows, indent=1))
    (out / "native_icount_arm64.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
