# backend: edgekit's ExecuTorch backend (libedgekit_executorch.so) + the `edgekit-run` runner,
# CMake against the SDK inside the executorch wheel (needs CMake >= 3.28: the venv's pip cmake).
#
#   make backend               build/native-executorch/{libedgekit_executorch.so,edgekit-run}
#   make backend-fuzz          libFuzzer run over the delegate blob parser (bounded; a TEST_TARGET)
#   make backend-dwconv-test   depthwise CHW kernel variants (fp32 and int8) and the int8 table / add vs
#                              the plain-C references (a TEST_TARGET)
#                              + the dense CHW stem conv variants, fp32 and int8 (ekx_conv_test,
#                              ekx_qs8_conv_test)
#   make backend-kernels-asan  the same testers built with ASan + UBSan (a TEST_TARGET)
#   make backend-aarch64       cross-build both for arm64 against the executorch aarch64 wheel:
#                              build/native-executorch-aarch64/{libedgekit_executorch.so,edgekit-run}
#   make backend-aarch64-check run a sparse .pte under qemu-aarch64 and compare with x86
BACKEND_BUILD   := build/native-executorch
BACKEND_FUZZ    := build/native-executorch-fuzz
BACKEND_ASAN    := build/native-executorch-asan
BACKEND_A64     := build/native-executorch-aarch64
BACKEND_CMAKE   := $(abspath $(VENV))/bin/cmake
ET_WHEEL_ROOT    = $(shell $(PY) -c "import importlib.util as u; print(list(u.find_spec('executorch').submodule_search_locations)[0])")
ET_A64_VERSION  := 1.5.1
ET_A64_ROOT     := build/executorch-aarch64/executorch

SETUP_TARGETS += backend
TEST_TARGETS  += backend-fuzz backend-dwconv-test backend-kernels-asan

.PHONY: backend backend-fuzz backend-dwconv-test backend-kernels-asan backend-aarch64 backend-aarch64-check

backend: $(STAMPS)/venv $(STAMPS)/apt
	$(BACKEND_CMAKE) -S native/executorch -B $(BACKEND_BUILD) -DEXECUTORCH_ROOT=$(ET_WHEEL_ROOT) -DCMAKE_BUILD_TYPE=Release
	$(BACKEND_CMAKE) --build $(BACKEND_BUILD) -j2

backend-dwconv-test: backend
	$(BACKEND_BUILD)/ekx_dwconv_test
	$(BACKEND_BUILD)/ekx_conv_test
	$(BACKEND_BUILD)/ekx_qs8_dwconv_test
	$(BACKEND_BUILD)/ekx_qs8_conv_test
	$(BACKEND_BUILD)/ekx_qs8_eltwise_test

EKX_TESTERS := ekx_dwconv_test ekx_conv_test ekx_qs8_dwconv_test ekx_qs8_conv_test ekx_qs8_eltwise_test
backend-kernels-asan: $(STAMPS)/venv $(STAMPS)/apt
	$(BACKEND_CMAKE) -S native/executorch -B $(BACKEND_ASAN) -DEXECUTORCH_ROOT=$(ET_WHEEL_ROOT) -DEKX_SANITIZE=ON \
	  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
	$(BACKEND_CMAKE) --build $(BACKEND_ASAN) -j2 --target $(EKX_TESTERS)
	set -e; for t in $(EKX_TESTERS); do $(BACKEND_ASAN)/$$t; done

backend-fuzz: $(STAMPS)/venv $(STAMPS)/apt backend
	$(BACKEND_CMAKE) -S native/executorch -B $(BACKEND_FUZZ) -DEKX_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
	$(BACKEND_CMAKE) --build $(BACKEND_FUZZ) -j2 --target ekx_fuzz_blob
	$(PY) native/executorch/fuzz/make_corpus.py $(BACKEND_FUZZ)/corpus
	$(BACKEND_FUZZ)/ekx_fuzz_blob -max_total_time=30 -max_len=65536 -rss_limit_mb=2048 $(BACKEND_FUZZ)/corpus

# arm64: the executorch aarch64 wheel's lib/ + include/ (same version as the venv), then a cross build.
$(ET_A64_ROOT)/lib/libexecutorch.so: | $(STAMPS)/venv
	mkdir -p build/executorch-aarch64
	$(PY) -m pip download --no-deps --platform manylinux_2_28_aarch64 --python-version 3.11 \
	  --only-binary=:all: executorch==$(ET_A64_VERSION) -d build/executorch-aarch64
	cd build/executorch-aarch64 && $(PY) -m zipfile -e executorch-$(ET_A64_VERSION)-*.whl .
	touch $@

backend-aarch64: $(STAMPS)/apt $(ET_A64_ROOT)/lib/libexecutorch.so
	$(BACKEND_CMAKE) -S native/executorch -B $(BACKEND_A64) -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_TOOLCHAIN_FILE=$(abspath native/cmake/aarch64-linux-gnu.cmake) \
	  -DEXECUTORCH_ROOT=$(abspath $(ET_A64_ROOT))
	$(BACKEND_CMAKE) --build $(BACKEND_A64) -j2

# Runs the tiny sparse model's .pte with the arm64 edgekit-run under qemu and compares with x86.
backend-aarch64-check: backend backend-aarch64
	$(PY) -m tests.backend.aarch64_check --runner $(BACKEND_A64)/edgekit-run --lib-dir $(ET_A64_ROOT)/lib
