/* qs8 add with requantization (plain loops: the compiler vectorizes the integer ops) and the 256-entry
 * lookup table (AVX-512 VBMI: four 64-byte table registers, two vpermi2b and a blend per 64 bytes). */
#include "qs8-eltwise-chw.h"

#include <math.h>
#include <string.h>

#ifndef EK_QS8_ADD_MULT_BITS
#define EK_QS8_ADD_MULT_BITS 20 /* the larger multiplier has this many bits below its leading one */
#endif

static uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

int ek_qs8_add_init(ek_qs8_add_params* p, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp, float y_scale,
                    int32_t y_zp, int8_t output_min, int8_t output_max) {
  const float a_ratio = a_scale / y_scale, b_ratio = b_scale / y_scale;
  if (!(a_ratio >= 0x1.0p-10f && a_ratio < 0x1.0p+8f && b_ratio >= 0x1.0p-10f && b_ratio < 0x1.0p+8f)) return -1;
  const float max_ratio = a_ratio > b_ratio ? a_ratio : b_ratio;
  const int32_t exponent = (int32_t)(float_bits(max_ratio) >> 23) - 127; /* max_ratio in [2^e, 2^(e+1)) */
  const int32_t shift = EK_QS8_ADD_MULT_BITS - exponent;
  if (shift < 1 || shift > 31) return -1;
  const float two_shift = ldexpf(1.0f, shift);
  p->a_mult = (int32_t)lrintf(a_ratio * two_shift);
  p->b_mult = (int32_t)lrintf(b_ratio * two_shift);
  p->shift = (uint32_t)shift;
  p->bias = (int32_t)((uint32_t)1 << (shift - 1)) - p->a_mult * a_zp - p->b_mult * b_zp;
  p->zp_out = y_zp;
  p->lo = (int32_t)output_min - y_zp;
  p->hi = (int32_t)output_max - y_zp;
  return 0;
}

/* The plain loop below, auto-vectorized once per ISA (ifunc): the SSE2 baseline has no 32-bit multiply. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EK_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define EK_CLONES
#endif

EK_CLONES void ek_qs8_add(size_t n, const int8_t* restrict a, const int8_t* restrict b, int8_t* restrict y,
                const ek_qs8_add_params* p) {
  const int32_t am = p->a_mult, bm = p->b_mult, bias = p->bias, lo = p->lo, hi = p->hi, zp = p->zp_out;
  const uint32_t shift = p->shift;
  for (size_t i = 0; i < n; i++) {
    int32_t acc = bias + (int32_t)a[i] * am + (int32_t)b[i] * bm;
    int32_t out = acc >> shift; /* arithmetic shift (gcc/clang on two's complement) */
    out = out < lo ? lo : out;
    out = out > hi ? hi : out;
    y[i] = (int8_t)(out + zp);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static void lut_vbmi(size_t n, const int8_t* x,
                                                                             const int8_t* table, int8_t* y) {
  const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
  for (size_t i = 0; i < n; i += 64) {
    const __mmask64 m = n - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1);
    const __m512i v = _mm512_maskz_loadu_epi8(m, x + i);
    /* bytes 0..127 index t0:t1 and 128..255 (negative int8) t2:t3 by their low 7 bits */
    const __m512i lo = _mm512_permutex2var_epi8(t0, v, t1), hi = _mm512_permutex2var_epi8(t2, v, t3);
    _mm512_mask_storeu_epi8(y + i, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), lo, hi));
  }
}
#endif

void ek_qs8_lut(size_t n, const int8_t* x, const int8_t* table, int8_t* y) {
#if defined(__x86_64__) && defined(__GNUC__)
  static int vbmi = -1;
  if (vbmi < 0) {
    __builtin_cpu_init();
    vbmi = __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw");
  }
  if (vbmi) {
    lut_vbmi(n, x, table, y);
    return;
  }
#endif
  for (size_t i = 0; i < n; i++) y[i] = table[(uint8_t)x[i]];
}
