"""`edgekit-pi BUNDLE [IMAGES...] [--camera pi|usb]`: classify frames with an edgekit bundle.

Prints top-k labels, per-frame latency and a rolling FPS for every frame; optionally writes the
frames with the labels drawn on them (--overlay DIR) and all predictions as JSON (--json FILE).
`--benchmark` runs edgekit's profiler on the bundle instead and writes its report.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import deque
from pathlib import Path

from edgekit_pi.classify import RUNTIME_MODULES, Classifier, RuntimeUnavailable, top_k
from edgekit_pi.overlay import draw_labels
from edgekit_pi.sources import SourceUnavailable, open_source


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="edgekit-pi", description=__doc__.split("\n")[0])
    p.add_argument("bundle", help="edgekit bundle directory (edgekit.json inside) or a model file")
    p.add_argument("images", nargs="*", help="image files, folders or globs to classify")
    p.add_argument("--camera", choices=["pi", "usb"], help="read frames from the Pi camera or a USB webcam")
    p.add_argument("--camera-index", type=int, default=0, help="USB webcam number (/dev/videoN)")
    p.add_argument("--runtime", choices=sorted(RUNTIME_MODULES),
                   help="default: the bundle's first artifact whose runtime is installed")
    p.add_argument("--threads", type=int, help="inference threads (default: the runtime's)")
    p.add_argument("--top", type=int, default=3, help="labels to show per frame")
    p.add_argument("--frames", type=int, help="stop after N frames (cameras run until Ctrl-C otherwise)")
    p.add_argument("--overlay", metavar="DIR", help="write each frame with its labels drawn on it")
    p.add_argument("--json", metavar="FILE", help="write all predictions (and raw logits) as JSON")
    p.add_argument("--quiet", action="store_true", help="no per-frame lines, only the summary")
    p.add_argument("--benchmark", action="store_true", help="profile the bundle with edgekit's profiler")
    p.add_argument("--runs", type=int, default=50, help="--benchmark: timed runs")
    p.add_argument("--warmup", type=int, default=5, help="--benchmark: warm-up runs")
    p.add_argument("--report", metavar="DIR", default="edgekit-pi-report",
                   help="--benchmark: where the profiler writes its results and report")
    return p


def classify(args: argparse.Namespace) -> int:
    frames = open_source(args.images, args.camera, args.camera_index, args.frames)
    clf = Classifier(args.bundle, runtime=args.runtime, threads=args.threads)
    print(f"edgekit-pi: {clf.bundle.name} on {clf.runtime} ({Path(clf.predictor.file).name}), "
          f"input {list(clf.predictor.input_shape)}", flush=True)
    recent: deque[float] = deque(maxlen=10)
    records, latencies = [], []
    last = time.perf_counter()
    for frame in frames:
        start = time.perf_counter()
        logits = clf.logits(frame.image)
        latency_ms = (time.perf_counter() - start) * 1e3
        now = time.perf_counter()
        recent.append(now - last)
        last = now
        fps = len(recent) / sum(recent)
        best = top_k(logits, clf.labels, args.top)
        latencies.append(latency_ms)
        records.append({"frame": frame.name, "top": [{"index": i, "label": lbl, "prob": round(p, 6)}
                                                     for i, lbl, p in best],
                        "latency_ms": round(latency_ms, 3), "logits": [float(v) for v in logits]})
        if not args.quiet:
            labels = "  ".join(f"{lbl} {p:.2f}" for _, lbl, p in best)
            print(f"[{frame.index:4d}] {frame.name}: {labels}  | {latency_ms:.1f} ms  {fps:.1f} FPS",
                  flush=True)
        if args.overlay:
            draw_labels(frame.image, best, latency_ms, fps).save(
                Path(args.overlay) / f"{frame.index:05d}.png")
    if not records:
        raise SourceUnavailable("the source delivered no frames")
    latencies.sort()
    print(f"edgekit-pi: {len(records)} frames, median {latencies[len(latencies) // 2]:.1f} ms/frame "
          f"on {clf.runtime}")
    if args.json:
        payload = {"bundle": str(clf.bundle), "runtime": clf.runtime, "frames": records}
        _write_atomic(Path(args.json), json.dumps(payload, indent=1))
    return 0


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.overlay:
            Path(args.overlay).mkdir(parents=True, exist_ok=True)
        if args.benchmark:
            from edgekit_pi.benchmark import benchmark

            return benchmark(args)
        return classify(args)
    except (SourceUnavailable, RuntimeUnavailable) as exc:
        print(f"edgekit-pi: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("edgekit-pi: stopped", file=sys.stderr)
        return 130
    except Exception as exc:  # edgekit's own errors carry a one-line fix
        from edgekit.errors import EdgekitError

        if isinstance(exc, EdgekitError):
            print(f"edgekit-pi: error: {exc.one_line()}", file=sys.stderr)
            return exc.exit_code
        raise


if __name__ == "__main__":
    sys.exit(main())
