# native/: the group-sparse kernel library and its non-pytest test legs.
#
#   make native            build/native/libedgekit.so (+ .a, ek_tests), Release, this host's ISAs
#   make native-test       all legs: x86 | NEON via SIMDe on x86 | aarch64 under qemu (cortex-a72,
#                          max) | ASan+UBSan | libFuzzer smoke (NATIVE_FUZZ_SECONDS, default 30)
#   make bench-native      bench/native: MobileNetV2 1x1 layers vs Debian XNNPACK, same run
NATIVE_CMAKE := cmake -G Ninja -S native
NATIVE_FUZZ_SECONDS ?= 30

.PHONY: native native-test native-test-x86 native-test-simde native-test-qemu native-test-asan \
        native-test-fuzz bench-native

SETUP_TARGETS += native
TEST_TARGETS  += native-test

native: $(STAMPS)/apt
	@$(NATIVE_CMAKE) -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build/native

native-test: native-test-x86 native-test-simde native-test-qemu native-test-asan native-test-fuzz

native-test-x86: native
	build/native/ek_tests x86

native-test-simde: $(STAMPS)/apt
	@$(NATIVE_CMAKE) -B build/native-simde -DEK_NEON_VIA_SIMDE=ON >/dev/null
	@cmake --build build/native-simde
	build/native-simde/ek_tests neon-via-simde

native-test-qemu: $(STAMPS)/apt
	@$(NATIVE_CMAKE) -B build/native-aarch64 -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/native/cmake/aarch64-linux-gnu.cmake \
	  -DEK_STATIC_TESTS=ON >/dev/null
	@cmake --build build/native-aarch64
	qemu-aarch64 -cpu cortex-a72 build/native-aarch64/ek_tests qemu-aarch64-cortex-a72
	qemu-aarch64 -cpu max build/native-aarch64/ek_tests qemu-aarch64-max

native-test-asan: $(STAMPS)/apt
	@$(NATIVE_CMAKE) -B build/native-asan -DCMAKE_BUILD_TYPE=Debug -DEK_SANITIZE=ON >/dev/null
	@cmake --build build/native-asan
	build/native-asan/ek_tests asan-ubsan

native-test-fuzz: $(STAMPS)/apt
	@$(NATIVE_CMAKE) -B build/native-fuzz -DCMAKE_C_COMPILER=clang -DEK_FUZZ=ON >/dev/null
	@cmake --build build/native-fuzz
	@rm -rf build/native-fuzz/corpus && mkdir -p build/native-fuzz/corpus
	@build/native-fuzz/ek_tests --write-seeds build/native-fuzz/corpus
	@build/native-fuzz/ek_fuzz_open -max_total_time=$(NATIVE_FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	  build/native-fuzz/corpus 2>build/native-fuzz/fuzz.log \
	  && echo "fuzz: $$(grep -o 'stat::number_of_executed_units: *[0-9]*' build/native-fuzz/fuzz.log | grep -o '[0-9]*$$') runs, 0 crashes" \
	  || { tail -30 build/native-fuzz/fuzz.log; echo "fuzz: crash found (see build/native-fuzz/fuzz.log)"; exit 1; }

bench-native: native
	nice $(PY) bench/native/bench_gspmm.py
