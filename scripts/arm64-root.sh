#!/usr/bin/env bash
# Build (once) an arm64 Debian bookworm root that runs under qemu-user binfmt, cached under build/.
#
#   scripts/arm64-root.sh [DIR]        # default: build/arm64-root
#   chroot DIR python3 -c 'import platform; print(platform.machine())'   # -> aarch64
#
# Idempotent: a finished root carries DIR/.edgekit-arm64-root (its package list); a second call
# only re-registers binfmt (lost on reboot) and exits. The root is built in DIR.tmp and renamed at
# the end, so an interrupted run never leaves a half-made root behind.
# Shared by the Raspberry Pi proof (mk/arm64.mk) and the sparse-TFLite arm64 checks.
# Extra Debian packages for the root: ARM64_ROOT_EXTRA="pkg1 pkg2" (part of the cache key).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${1:-build/arm64-root}
SUITE=bookworm
MIRROR=${ARM64_ROOT_MIRROR:-http://deb.debian.org/debian}
# python3-venv brings ensurepip, so `python3 -m venv` + pip works as on Raspberry Pi OS.
PACKAGES="python3,python3-venv,ca-certificates,libgomp1"
if [ -n "${ARM64_ROOT_EXTRA:-}" ]; then PACKAGES="$PACKAGES,$(echo "$ARM64_ROOT_EXTRA" | tr ' ' ',')"; fi
STAMP="$ROOT/.edgekit-arm64-root"

SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

enable_binfmt() {
  # qemu-user-static registers aarch64 with the F flag: the kernel keeps the interpreter open,
  # so chroot works without copying qemu into the root.
  if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    $SUDO update-binfmts --enable qemu-aarch64
  fi
  grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 || {
    echo "arm64-root: qemu-aarch64 binfmt is not enabled (install qemu-user-static binfmt-support: scripts/setup-apt.sh)" >&2
    exit 1
  }
}

for tool in debootstrap update-binfmts qemu-aarch64-static; do
  command -v "$tool" >/dev/null || {
    echo "arm64-root: '$tool' is missing; run scripts/setup-apt.sh (requirements/apt/arm64.txt)" >&2
    exit 1
  }
done
enable_binfmt

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SUITE $PACKAGES" ]; then
  echo "arm64-root: $ROOT is ready (cached)"
  exit 0
fi

TMP="$ROOT.tmp"
$SUDO rm -rf "$TMP"
mkdir -p "$(dirname "$ROOT")"
echo "arm64-root: debootstrap $SUITE arm64 into $ROOT (about 1.5 min)"
start=$(date +%s)
$SUDO debootstrap --arch=arm64 --variant=minbase --include="$PACKAGES" "$SUITE" "$TMP" "$MIRROR" \
  > "$ROOT.debootstrap.log" 2>&1 || {
  echo "arm64-root: debootstrap failed; last lines of $ROOT.debootstrap.log:" >&2
  tail -5 "$ROOT.debootstrap.log" >&2
  exit 1
}
# Sanity: the root's own python runs through binfmt.
arch=$($SUDO chroot "$TMP" python3 -c 'import platform; print(platform.machine())')
[ "$arch" = aarch64 ] || { echo "arm64-root: expected aarch64 python in the root, got '$arch'" >&2; exit 1; }
$SUDO rm -rf "$TMP/var/cache/apt/archives/"*.deb
echo "$SUITE $PACKAGES" > "$TMP/.edgekit-arm64-root"
$SUDO rm -rf "$ROOT"
mv "$TMP" "$ROOT"
echo "arm64-root: $ROOT ready in $(( $(date +%s) - start )) s ($(du -sh "$ROOT" | cut -f1))"
