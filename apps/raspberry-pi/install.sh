#!/usr/bin/env bash
# Install the edgekit Raspberry Pi app on Raspberry Pi OS 64-bit (Bookworm) or any arm64 Debian 12.
# Run from a clone of the edgekit repository:
#
#   apps/raspberry-pi/install.sh                         # venv in ~/edgekit-pi, ONNX Runtime + LiteRT
#   apps/raspberry-pi/install.sh --runtimes onnx,tflite,executorch --webcam --service
#
# Options:
#   --venv DIR        where the virtualenv goes (default: ~/edgekit-pi)
#   --runtimes LIST   comma list of onnx, tflite, executorch (default: onnx,tflite)
#   --webcam          also install OpenCV (opencv-python-headless) for USB webcams
#   --native DIR      aarch64 build of edgekit's native library + ExecuTorch backend + edgekit-run
#                     (the output of `make backend-aarch64` / `make arm64-runner-bundle`), copied into the venv
#   --wheels DIR      install Python wheels from DIR only (offline; used by `make arm64-proof`)
#   --no-apt          do not apt-get Picamera2 (Raspberry Pi OS ships it as python3-picamera2)
#   --service         install and enable the systemd unit (edgekit-pi.service)
set -euo pipefail
APP_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$APP_DIR/../.." && pwd)
VENV="$HOME/edgekit-pi"
RUNTIMES="onnx,tflite"
WEBCAM=0; NATIVE=""; WHEELS=""; APT=1; SERVICE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --venv) VENV=$2; shift 2 ;;
    --runtimes) RUNTIMES=$2; shift 2 ;;
    --webcam) WEBCAM=1; shift ;;
    --native) NATIVE=$2; shift 2 ;;
    --wheels) WHEELS=$2; shift 2 ;;
    --no-apt) APT=0; shift ;;
    --service) SERVICE=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "edgekit-pi install: $*"; }
die() { echo "edgekit-pi install: error: $*" >&2; exit 1; }

arch=$(uname -m)
[ "$arch" = aarch64 ] || say "warning: this is $arch, not aarch64 (Raspberry Pi OS 64-bit); continuing"
command -v python3 >/dev/null || die "python3 is missing: sudo apt install python3 python3-venv"
python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
  say "warning: Python $(python3 -V 2>&1) — the pinned aarch64 wheels below are for CPython 3.11 (Bookworm)"

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
if [ "$APT" = 1 ] && command -v apt-get >/dev/null; then
  pkgs="python3-venv"
  # Raspberry Pi OS: Picamera2 only comes from apt (it wraps libcamera); other Debian has no such package.
  if apt-cache show python3-picamera2 >/dev/null 2>&1; then pkgs="$pkgs python3-picamera2"; fi
  say "apt-get install $pkgs"
  $SUDO apt-get install -y -q $pkgs
fi

# --system-site-packages: Picamera2 from apt stays importable inside the venv.
[ -x "$VENV/bin/python" ] || python3 -m venv --system-site-packages "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
[ -n "$WHEELS" ] && PIP+=(--no-index --find-links "$WHEELS")

# Versions that publish Linux aarch64 CPython 3.11 wheels (checked 2026-11, see README):
#   onnxruntime 1.31.1 yes; ai-edge-litert: 2.x has none, 1.4.0 is the newest; executorch 1.5.1 yes,
#   but its Python runtime imports torch, whose PyPI aarch64 wheel is a CUDA build (multi-GB): use
#   torch's CPU index instead.
reqs=("numpy==2.4.6" "pillow==13.0.0")
IFS=, read -ra wanted <<< "$RUNTIMES"
for r in "${wanted[@]}"; do
  case "$r" in
    onnx) reqs+=("onnxruntime==1.31.1") ;;
    tflite) reqs+=("ai-edge-litert==1.4.0") ;;
    executorch) reqs+=("executorch==1.5.1") ;;
    *) die "unknown runtime '$r' (choose from onnx, tflite, executorch)" ;;
  esac
done
[ "$WEBCAM" = 1 ] && reqs+=("opencv-python-headless")
if [[ ",$RUNTIMES," == *",executorch,"* ]]; then
  say "installing torch (CPU) for ExecuTorch's Python runtime"
  if [ -n "$WHEELS" ]; then "${PIP[@]}" torch==2.13.0
  else "${PIP[@]}" torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu; fi
fi
say "pip install ${reqs[*]}"
"${PIP[@]}" "${reqs[@]}"
# edgekit itself without its x86 export stack (torch, litert-torch, ...): the board only loads and runs.
say "pip install edgekit and the app from $REPO"
"${PIP[@]}" --no-deps "$REPO" "$APP_DIR"

if [ -n "$NATIVE" ]; then
  [ -d "$NATIVE" ] || die "--native $NATIVE is not a directory (build it with make backend-aarch64)"
  dest="$VENV/lib/edgekit-native"
  mkdir -p "$dest"
  cp -a "$NATIVE"/. "$dest"/
  # edgekit.load() loads its ExecuTorch backend from $EDGEKIT_EXECUTORCH_LIB; the venv's activate sets it.
  [ -f "$dest/libedgekit_executorch.so" ] || say "warning: no libedgekit_executorch.so in $NATIVE"
  grep -q EDGEKIT_EXECUTORCH_LIB "$VENV/bin/activate" ||
    echo "export EDGEKIT_EXECUTORCH_LIB=\"$dest/libedgekit_executorch.so\"" >> "$VENV/bin/activate"
  say "native aarch64 libraries copied to $dest"
fi

if [ "$SERVICE" = 1 ]; then
  unit=/etc/systemd/system/edgekit-pi.service
  sed -e "s|@VENV@|$VENV|g" -e "s|@USER@|$(id -un)|g" -e "s|@HOME@|$HOME|g" \
    "$APP_DIR/edgekit-pi.service" | $SUDO tee "$unit" >/dev/null
  $SUDO systemctl daemon-reload
  $SUDO systemctl enable edgekit-pi.service
  say "service installed: edit EDGEKIT_PI_ARGS in $unit, then sudo systemctl start edgekit-pi"
fi
"$VENV/bin/edgekit-pi" --help >/dev/null || die "the app does not start from $VENV"
say "done: $VENV/bin/edgekit-pi BUNDLE_DIR IMAGES... (or --camera pi)"
