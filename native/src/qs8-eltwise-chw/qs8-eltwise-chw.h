/* Elementwise int8 ops on CHW tensors (flat ranges; callers slice for threads), XNNPACK qs8 arithmetic. */
#ifndef EDGEKIT_QS8_ELTWISE_CHW_H
#define EDGEKIT_QS8_ELTWISE_CHW_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/* Fixed-point add: y = clamp(asr(bias + a * a_mult + b * b_mult, shift), lo, hi) + zp_out, where
 * a_mult / b_mult are (a_scale / y_scale) / (b_scale / y_scale) in Q(shift), the larger in
 * [2^20, 2^21), and bias folds the input zero points and the rounding constant. */
typedef struct ek_qs8_add_params {
  int32_t a_mult, b_mult, bias;
  uint32_t shift;
  int32_t lo, hi; /* output_min - zp_out, output_max - zp_out */
  int32_t zp_out;
} ek_qs8_add_params;

/* 0 on success; -1 when the scale ratios are outside what the fixed-point form holds
 * (a_scale / y_scale and b_scale / y_scale must lie in [2^-10, 2^8)). */
int ek_qs8_add_init(ek_qs8_add_params* p, float a_scale, int32_t a_zp, float b_scale, int32_t b_zp, float y_scale,
                    int32_t y_zp, int8_t output_min, int8_t output_max);
void ek_qs8_add(size_t n, const int8_t* a, const int8_t* b, int8_t* y, const ek_qs8_add_params* p);
/* y[i] = table[(uint8_t)x[i]]: any int8 -> int8 activation with its own quantization (a folded
 * ReLU6 whose producer is not ours, the last ReLU6 before the pool). */
void ek_qs8_lut(size_t n, const int8_t* x, const int8_t* table, int8_t* y);

#ifdef __cplusplus
}
#endif
#endif
