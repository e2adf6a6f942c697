# Sparse TFLite (edgekit/formats/tflite_sparse): benchmarks and the arm64 instruction-count check.
#
#   make bench-tflite         bench/tflite: dense vs sparse .tflite sizes and LiteRT latency
#                             (edgekit profile, 1 and 2 threads) -> build/bench/tflite_sparse.json
#   make tflite-arm64-insns   90% group-sparse MobileNetV2 fp32: sparse file vs its dense twin run by
#                             the aarch64 ai-edge-litert wheel under qemu (-cpu cortex-a72) in the
#                             arm64 root; executed instructions per inference from
#                             ../shared/tools/count-insns.sh -> build/bench/tflite_arm64_insns.json
#                             (about 10 minutes; not a CI test leg)
.PHONY: bench-tflite tflite-arm64-insns

bench-tflite: setup
	nice $(PY) bench/tflite/bench_sparse.py

tflite-arm64-insns: setup arm64-root
	nice $(PY) bench/tflite/arm64_insns.py --root $(ARM64_ROOT)
