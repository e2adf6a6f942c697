/* What the AVX-512 VBMI + VNNI int8 CHW kernels share (qs8-dwconv-chw, qs8-conv-chw): the target
 * attribute, the byte mask of lanes inside a row, and the CPU check. x86-64 GCC / clang only. */
#ifndef EDGEKIT_QS8_AVX512_VNNI_H
#define EDGEKIT_QS8_AVX512_VNNI_H
#include <immintrin.h>
#include <stdint.h>

#define EK_TARGET_ATTR __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx512vnni")))
#define EK_INLINE EK_TARGET_ATTR static inline __attribute__((always_inline))

/* Lanes l < n whose column c0 + l lies in [0, W). */
EK_INLINE __mmask64 lane_mask(int32_t c0, int32_t W, int32_t n) {
  const int32_t lo = c0 < 0 ? -c0 : 0;
  const int32_t hi = W - c0 < n ? W - c0 : n;
  if (hi <= lo) return 0;
  const uint64_t upto = hi >= 64 ? ~0ull : ((1ull << hi) - 1ull);
  const uint64_t from = lo >= 64 ? 0ull : ~((1ull << lo) - 1ull);
  return (__mmask64)(upto & from);
}

/* 1 when this CPU runs the kernels (vpermb needs VBMI, vpdpbusd VNNI). */
static inline int ek_cpu_has_avx512_vbmi_vnni(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi") &&
         __builtin_cpu_supports("avx512vnni");
}
#endif
