/* Elementwise and pooling ops on CHW fp32 tensors (flat ranges; callers slice for threads). */
#ifndef EDGEKIT_F32_ELTWISE_CHW_H
#define EDGEKIT_F32_ELTWISE_CHW_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

void ek_f32_add_clamp(size_t n, const float* a, const float* b, float* y, float out_min, float out_max);
void ek_f32_clamp(size_t n, const float* x, float* y, float out_min, float out_max);
/* x * relu6(x + 3) / 6, as torch computes it. */
void ek_f32_hardswish(size_t n, const float* x, float* y);
/* y[c] = mean of x[c, 0..hw) for c in [0, channels). */
void ek_f32_gavgpool_chw(size_t channels, size_t hw, const float* x, float* y);

#ifdef __cplusplus
}
#endif
#endif
