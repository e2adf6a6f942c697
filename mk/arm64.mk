# arm64: Debian arm64 root under qemu binfmt, the Raspberry Pi proof, the self-contained runner bundle.
#
#   make arm64-root            debootstrap bookworm arm64 into build/arm64-root (cached; ~250 MB,
#                              1.5 min on an idle machine, ~10 min on a busy one: ca-certificates'
#                              triggers under qemu dominate)
#   make arm64-proof           install the Pi app into a fresh copy of the root the way a Pi user
#                              would (apps/raspberry-pi/install.sh), classify the sample images with a
#                              dense and a sparse int8 bundle on ONNX Runtime and LiteRT, compare with
#                              the x86 run. Measured 34 min on the busy 2-core machine (install.sh
#                              under qemu: 27.7 min; 8.6 min when quieter): run by hand, not a CI leg.
#                              `--reuse-root` (via ARM64_PROOF_ARGS) re-runs only the comparisons.
#   make arm64-runner-bundle   build/arm64-runner/: ld-linux-aarch64.so.1 + lib/ + edgekit-run
#   make arm64-runner-check    run that bundle under qemu-aarch64 (cortex-a72 and cortex-a76) with an
#                              EMPTY sysroot on a sparse int8 .pte; outputs must equal the x86 runner's
ARM64_ROOT   := build/arm64-root
ARM64_RUNNER := build/arm64-runner
# The aarch64 edgekit-run comes from the ExecuTorch backend's cross build (`make backend-aarch64`);
# set ARM64_RUNNER_BIN to use another build of it.
ARM64_RUNNER_BIN ?=

.PHONY: arm64-root arm64-proof arm64-runner-bundle arm64-runner-check

arm64-root: $(STAMPS)/apt
	scripts/arm64-root.sh $(ARM64_ROOT)

arm64-proof: setup arm64-root
	nice $(PY) tests/arm64/pi_proof.py --root $(ARM64_ROOT) --out build/arm64-proof $(ARM64_PROOF_ARGS)

arm64-runner-bundle: setup backend-aarch64
	$(PY) tests/arm64/runner_bundle.py build --out $(ARM64_RUNNER) $(if $(ARM64_RUNNER_BIN),--runner $(ARM64_RUNNER_BIN))

arm64-runner-check: arm64-runner-bundle
	$(PY) tests/arm64/runner_bundle.py check --bundle $(ARM64_RUNNER) --work build/arm64-runner-check
