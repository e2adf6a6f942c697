/* Dense (groups = 1) 2D convolution, CHW in and CHW out, fp32, fused bias and clamp: the network's
 * stem (MobileNet / EfficientNet-Lite: 3x3 stride 2, 3 -> 16..32 channels) run inside the edgekit
 * delegate so the image never goes through NHWC. Meant for few input channels (C * kh * kw taps
 * per output, each a vector FMA over 16 output columns); not a general convolution library. */
#ifndef EDGEKIT_F32_CONV_CHW_H
#define EDGEKIT_F32_CONV_CHW_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

#define EK_CONV_CHW_MAX_KERNEL 7 /* kh, kw <= 7 */
#define EK_CONV_CHW_MAX_STRIDE 2 /* sh, sw in {1, 2} */
#define EK_CONV_CHW_MAX_TAPS 256 /* C * kh * kw */

typedef struct ek_conv_geom {
  int32_t C, H, W;   /* input channels and plane */
  int32_t M, OH, OW; /* output channels and plane */
  int32_t kh, kw, sh, sw;
  int32_t pad_top, pad_left; /* bottom / right padding is implied by OH / OW */
} ek_conv_geom;

/* 1 when the kernels run this geometry (the caller still checks that OH / OW match it). */
int ek_f32_conv_chw_supported(const ek_conv_geom* g);

/* Floats of scratch one call needs (one output row's input rows, split by column phase). */
size_t ek_f32_conv_chw_scratch(const ek_conv_geom* g);

/* Output rows [oy0, oy1) of
 *   y[m][oy][ox] = clamp(bias[m] + sum_{c,ky,kx} w[((c*kh + ky)*kw + kx)*M + m] * x[c][iy][ix], lo, hi)
 * with iy = oy*sh - pad_top + ky, ix = ox*sw - pad_left + kx, zero outside the plane.
 * w is tap-major (K x M, K = C*kh*kw): the M weights of one tap are contiguous.
 * x: C x H x W dense. y points at output row oy0 of channel 0; channel m's rows start at
 * y + m * y_ld, rows OW floats apart. scratch: ek_f32_conv_chw_scratch(g) floats. */
void ek_f32_conv_chw(const ek_conv_geom* g, const float* x, const float* w, const float* bias, int32_t oy0,
                     int32_t oy1, float* y, int64_t y_ld, float lo, float hi, float* scratch);

/* The plain-loop reference and every variant this CPU runs (tests, benchmarks). */
typedef void (*ek_f32_conv_chw_fn)(const ek_conv_geom* g, const float* x, const float* w, const float* bias,
                                   int32_t oy0, int32_t oy1, float* y, int64_t y_ld, float lo, float hi,
                                   float* scratch);
void ek_f32_conv_chw_ref(const ek_conv_geom* g, const float* x, const float* w, const float* bias, int32_t oy0,
                         int32_t oy1, float* y, int64_t y_ld, float lo, float hi, float* scratch);
/* Fills up to max (name, function) pairs, best last; returns how many. */
int ek_f32_conv_chw_variants(const char** names, ek_f32_conv_chw_fn* fns, int max);

#ifdef __cplusplus
}
#endif
#endif
