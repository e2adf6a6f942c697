/* Dense (groups = 1) 2D convolution, CHW in and CHW out, int8 (XNNPACK qs8 arithmetic, per-output-
 * channel weight scales), fused clamp: the int8 network stem (3x3 stride 2, 3 -> 16..32 channels) run
 * inside the edgekit delegate, so the quantized image never goes through NHWC. The int8 twin of
 * f32-conv-chw.h (same geometry struct, same row-range contract).
 *
 *   acc[m] = bias[m] + sum over in-bounds taps (c, ky, kx) of w[m][c][ky][kx] * (x[c][iy][ix] - input_zero_point)
 *   y[m]   = clamp(round_half_even((float)acc[m] * mult[m]), output_min - zp_out, output_max - zp_out) + zp_out
 *
 * with iy = oy*sh - pad_top + ky, ix = ox*sw - pad_left + kx; taps outside the plane contribute nothing
 * (XNNPACK's zero buffer holds the input zero point). acc wraps mod 2^32 like the vector adds.
 * mult[m] = input_scale * w_scale[m] / output_scale, computed by the caller in fp32 in that order.
 * The requantization is ek_qs8_chw_requant's, so every variant is bit-identical to the reference. */
#ifndef EDGEKIT_QS8_CONV_CHW_H
#define EDGEKIT_QS8_CONV_CHW_H
#include <stddef.h>
#include <stdint.h>

#include "f32-conv-chw/f32-conv-chw.h"   /* ek_conv_geom, EK_CONV_CHW_MAX_* */
#include "qs8-dwconv-chw/qs8-dwconv-chw.h" /* ek_qs8_dwconv_params, ek_qs8_chw_requant */
#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the kernels run this geometry: kh, kw <= EK_CONV_CHW_MAX_KERNEL, sh, sw in {1, 2},
 * C * kh * kw <= EK_CONV_CHW_MAX_TAPS, M <= EK_QS8_CONV_CHW_MAX_M, pads >= 0 and < the kernel size. */
#define EK_QS8_CONV_CHW_MAX_M 256
int ek_qs8_conv_chw_supported(const ek_conv_geom* g);

/* Floats of scratch one call of any variant needs (0 allowed). */
size_t ek_qs8_conv_chw_scratch(const ek_conv_geom* g);

/* Output rows [oy0, oy1) (0 <= oy0 <= oy1 <= OH). x: C x H x W int8 dense. w: M x C x kh x kw int8
 * (PyTorch OIHW). bias, mult: M each. y points at output row oy0 of channel 0; channel m's rows start
 * at y + m * y_ld, rows OW bytes apart. scratch: ek_qs8_conv_chw_scratch(g) floats. */
void ek_qs8_conv_chw(const ek_conv_geom* g, const int8_t* x, const int8_t* w, const int32_t* bias,
                     const float* mult, const ek_qs8_dwconv_params* p, int32_t oy0, int32_t oy1, int8_t* y,
                     int64_t y_ld, float* scratch);

typedef void (*ek_qs8_conv_chw_fn)(const ek_conv_geom* g, const int8_t* x, const int8_t* w, const int32_t* bias,
                                   const float* mult, const ek_qs8_dwconv_params* p, int32_t oy0, int32_t oy1,
                                   int8_t* y, int64_t y_ld, float* scratch);
/* Plain loops in int32: the reference every variant must match bit for bit. */
void ek_qs8_conv_chw_ref(const ek_conv_geom* g, const int8_t* x, const int8_t* w, const int32_t* bias,
                         const float* mult, const ek_qs8_dwconv_params* p, int32_t oy0, int32_t oy1, int8_t* y,
                         int64_t y_ld, float* scratch);
/* Fills up to max (name, function) pairs of the variants this CPU runs, best last; returns how many. */
int ek_qs8_conv_chw_variants(const char** names, ek_qs8_conv_chw_fn* fns, int max);

#ifdef __cplusplus
}
#endif
#endif
