/* qs8 add with requantization. Plain loops (the compiler vectorizes the integer ops). */
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

void ek_qs8_add(size_t n, const int8_t* restrict a, const int8_t* restrict b, int8_t* restrict y,
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
