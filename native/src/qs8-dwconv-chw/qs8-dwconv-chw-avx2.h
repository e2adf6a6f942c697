/* What the AVX2 qs8 depthwise CHW kernels share (qs8-dwconv-chw-avx2.c, qs8-dwconv-chw-avx2-flat.c):
 * byte copies that never store out of bounds, sign-extending loads, and the requantization of 16
 * int32 sums to int8. Not a public header; x86-64 GCC / clang only. */
#ifndef EDGEKIT_QS8_DWCONV_CHW_AVX2_H
#define EDGEKIT_QS8_DWCONV_CHW_AVX2_H
#include <immintrin.h>
#include <string.h>

#include "qs8-dwconv-chw.h"

#define EK_TARGET __attribute__((target("avx2")))
#define EK_INLINE EK_TARGET static inline __attribute__((always_inline))

/* n bytes; every store inside [d, d + n). */
EK_INLINE void copy_bytes(int8_t* d, const int8_t* s, int32_t n) {
  if (n >= 32) {
    int32_t i = 0;
    for (; i + 32 <= n; i += 32) {
      _mm256_storeu_si256((__m256i*)(d + i), _mm256_loadu_si256((const __m256i*)(s + i)));
      __asm__("" : "+r"(i)); /* else GCC calls memcpy (spilling every live vector around the call) */
    }
    if (i < n) _mm256_storeu_si256((__m256i*)(d + n - 32), _mm256_loadu_si256((const __m256i*)(s + n - 32)));
  } else if (n >= 16) {
    const __m128i a = _mm_loadu_si128((const __m128i*)s), b = _mm_loadu_si128((const __m128i*)(s + n - 16));
    _mm_storeu_si128((__m128i*)d, a);
    _mm_storeu_si128((__m128i*)(d + n - 16), b);
  } else if (n >= 8) {
    uint64_t a, b;
    memcpy(&a, s, 8), memcpy(&b, s + n - 8, 8);
    memcpy(d, &a, 8), memcpy(d + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    memcpy(&a, s, 4), memcpy(&b, s + n - 4, 4);
    memcpy(d, &a, 4), memcpy(d + n - 4, &b, 4);
  } else if (n >= 2) {
    uint16_t a, b;
    memcpy(&a, s, 2), memcpy(&b, s + n - 2, 2);
    memcpy(d, &a, 2), memcpy(d + n - 2, &b, 2);
  } else if (n == 1) {
    d[0] = s[0];
  }
}

/* The first n bytes of v at d (the last output row of a plane narrower than 16). */
EK_INLINE void store_partial(int8_t* d, __m128i v, int32_t n) {
  int8_t t[16];
  _mm_storeu_si128((__m128i*)t, v);
  copy_bytes(d, t, n);
}

/* Per call: acc0 = bias - zp * sum(w) (the sums start there), requantization constants, the dword
 * permute that puts each row of a packed pair of rows in its own 128-bit half. */
typedef struct consts {
  __m256i acc0, zp16, min8, max8, perm;
  __m256 scale, hi;
} consts;

EK_INLINE __m256i sx16(const int8_t* p) { return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)p)); }

/* Two int32 halves of 16 sums -> 16 int16: fp32 multiply, min with the upper bound in fp32 (cvtps2dq
 * turns f >= 2^31 into INT_MIN; without fclamp the caller knows |scale| < 1, so f cannot get there),
 * round half to even, saturating pack, + zp. With pack_rows' int8 clamps: clamp(round(f), lo, hi) + zp
 * == ek_qs8_chw_requant bit for bit, as rounding is monotone and lo, hi are integers. */
EK_INLINE __m256i requant16(const consts* k, __m256i a, __m256i b, const int fclamp) {
  __m256 fa = _mm256_mul_ps(_mm256_cvtepi32_ps(a), k->scale), fb = _mm256_mul_ps(_mm256_cvtepi32_ps(b), k->scale);
  if (fclamp) fa = _mm256_min_ps(fa, k->hi), fb = _mm256_min_ps(fb, k->hi);
  return _mm256_adds_epi16(_mm256_packs_epi32(_mm256_cvtps_epi32(fa), _mm256_cvtps_epi32(fb)), k->zp16);
}

/* Two rows of 16 int16 from requant16 -> int8 (saturating packs exact in range), output_min /
 * output_max clamps; perm puts row q0 in the low 128 bits, q1 in the high ones. */
EK_INLINE __m256i pack_rows(const consts* k, __m256i q0, __m256i q1) {
  const __m256i b = _mm256_min_epi8(_mm256_max_epi8(_mm256_packs_epi16(q0, q1), k->min8), k->max8);
  return _mm256_permutevar8x32_epi32(b, k->perm);
}

/* Fills the requantization constants of k (not acc0, perm). */
EK_INLINE void set_requant(consts* k, float scale, const ek_qs8_dwconv_params* p) {
  k->zp16 = _mm256_set1_epi16((short)p->output_zero_point);
  k->min8 = _mm256_set1_epi8((char)p->output_min);
  k->max8 = _mm256_set1_epi8((char)p->output_max);
  k->scale = _mm256_set1_ps(scale);
  k->hi = _mm256_set1_ps((float)(p->output_max - p->output_zero_point));
}
#endif
