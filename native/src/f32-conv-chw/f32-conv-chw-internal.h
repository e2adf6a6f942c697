/* Shared by the dense CHW convolution's reference and vector kernels (not public API). */
#ifndef EDGEKIT_F32_CONV_CHW_INTERNAL_H
#define EDGEKIT_F32_CONV_CHW_INTERNAL_H
#include "f32-conv-chw.h"

/* Floats per phase row: the widest vector read (output columns rounded up to 16, plus the tap
 * shift (kw - 1) / sw), rounded to 16. */
int32_t ek_conv_chw_phase_width(const ek_conv_geom* g);
/* off[k] for tap k = (c*kh + ky)*kw + kx: the float offset of its phase row plus its column shift. */
void ek_conv_chw_tap_offsets(const ek_conv_geom* g, int32_t* off);
/* Phase rows for output row oy: phases[((c*kh + ky)*sw + p)*PW + j] = x[c][oy*sh - pt + ky][j*sw + p - pl],
 * zero outside the plane. */
void ek_conv_chw_fill_phases_scalar(const ek_conv_geom* g, const float* x, int32_t oy, float* phases);

/* Portable C, compiler-vectorized: the fallback where no hand-written variant runs. */
void ek_f32_conv_chw__portable(const ek_conv_geom* g, const float* x, const float* w, const float* bias,
                               int32_t oy0, int32_t oy1, float* y, int64_t y_ld, float lo, float hi,
                               float* scratch);
#if defined(__x86_64__) && defined(__GNUC__)
void ek_f32_conv_chw__avx2(const ek_conv_geom* g, const float* x, const float* w, const float* bias, int32_t oy0,
                           int32_t oy1, float* y, int64_t y_ld, float lo, float hi, float* scratch);
void ek_f32_conv_chw__avx512(const ek_conv_geom* g, const float* x, const float* w, const float* bias,
                             int32_t oy0, int32_t oy1, float* y, int64_t y_ld, float lo, float hi,
                             float* scratch);
#endif
#endif
