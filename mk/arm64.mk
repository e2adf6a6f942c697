# arm64: Debian arm64 root under qemu binfmt, the Raspberry Pi proof, the self-contained runner bundle.
#
#   make arm64-root            debootstrap bookworm arm64 into build/arm64-root (cached, ~225 MB)
#   make arm64-proof           install the Pi app into a fresh copy of the root the way a Pi user
#                              would, classify real images with dense + sparse int8 bundles, compare
#                              with the x86 run (minutes: not in CI's test legs, run it by hand)
#   make arm64-runner-bundle   build/arm64-runner/: ld-linux-aarch64.so.1 + lib/ + edgekit-run
#   make arm64-runner-check    run that bundle under qemu-aarch64 with an EMPTY sysroot on a sparse
#                              int8 .pte and compare its outputs with x86
ARM64_ROOT   := build/arm64-root
ARM64_RUNNER := build/arm64-runner

.PHONY: arm64-root arm64-proof arm64-runner-bundle arm64-runner-check

arm64-root: $(STAMPS)/apt
	scripts/arm64-root.sh $(ARM64_ROOT)

arm64-proof: setup arm64-root
	nice $(PY) tests/arm64/pi_proof.py --root $(ARM64_ROOT) --out build/arm64-proof

arm64-runner-bundle: setup
	$(PY) tests/arm64/runner_bundle.py build --out $(ARM64_RUNNER)

arm64-runner-check: arm64-runner-bundle
	$(PY) tests/arm64/runner_bundle.py check --bundle $(ARM64_RUNNER) --work build/arm64-runner-check
