/* Depthwise 2D convolution on one CHW channel plane, int8 (XNNPACK qs8 arithmetic), fused clamp.
 *
 *   acc = bias + sum over in-bounds taps of w[ky*kw + kx] * (x[iy][ix] - input_zero_point)   (int32)
 *   y   = clamp(round_half_even((float)acc * scale), output_min - zp_out, output_max - zp_out) + zp_out
 *
 * scale = input_scale * w_scale[c] / output_scale (computed by the caller in fp32, in that order).
 * Padding contributes nothing, as XNNPACK's zero buffer filled with the input zero point does. */
#ifndef EDGEKIT_QS8_DWCONV_CHW_H
#define EDGEKIT_QS8_DWCONV_CHW_H
#include <stddef.h>
#include <stdint.h>

#include "f32-dwconv-chw/f32-dwconv-chw.h" /* ek_dwconv_geom */
#ifdef __cplusplus
extern "C" {
#endif

typedef struct ek_qs8_dwconv_params {
  int32_t input_zero_point;
  int32_t output_zero_point;
  /* output_min <= output_max (as XNNPACK requires; the delegate's blob validator rejects others):
   * the vector kernels apply the two bounds in different orders, so an empty range is undefined. */
  int8_t output_min, output_max;
} ek_qs8_dwconv_params;

/* The requantization every qs8 CHW kernel shares (bit-identical to the gspmm kernels'). */
static inline int8_t ek_qs8_chw_requant(int32_t acc, float scale, const ek_qs8_dwconv_params* p) {
  const float lo = (float)(p->output_min - p->output_zero_point);
  const float hi = (float)(p->output_max - p->output_zero_point);
  float f = (float)acc * scale;
  f = f < lo ? lo : f;
  f = f > hi ? hi : f;
  return (int8_t)((int32_t)__builtin_nearbyintf(f) + p->output_zero_point);
}

/* Floats of scratch one call of any variant needs. */
size_t ek_qs8_dwconv_chw_scratch(const ek_dwconv_geom* g);

/* x: H x W int8, w: kh*kw int8, y: OH x OW int8. The caller validated the geometry (kh, kw <= 16). */
void ek_qs8_dwconv_chw(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias, float scale,
                       const ek_qs8_dwconv_params* p, int8_t* y, float* scratch);

typedef void (*ek_qs8_dwconv_chw_fn)(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias,
                                     float scale, const ek_qs8_dwconv_params* p, int8_t* y, float* scratch);
/* Plain loops in int32: the reference every variant must match bit for bit (scratch unused). */
void ek_qs8_dwconv_chw_ref(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias, float scale,
                           const ek_qs8_dwconv_params* p, int8_t* y, float* scratch);
/* Fills up to max (name, function) pairs of the SIMD variants this CPU runs, best last. */
int ek_qs8_dwconv_chw_variants(const char** names, ek_qs8_dwconv_chw_fn* fns, int max);
/* Many channels of a small stride-1 plane at once (qs8-dwconv-chw-avx512-flat.c): 3x3, OW == W <= 23,
 * OH * OW <= EK_QS8_DWCONV_FLAT_MAX_PLANE. Channel c reads x + c * x_ld, w + 9c, bias[c], mult[c] and
 * writes y + c * y_ld: the same bits as ek_qs8_dwconv_chw per channel. _available: 1 when g runs there. */
#define EK_QS8_DWCONV_FLAT_MAX_PLANE 512
int ek_qs8_dwconv_chw_flat_available(const ek_dwconv_geom* g);
void ek_qs8_dwconv_chw_multi__avx512_flat(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld,
                                          const int8_t* w, const int32_t* bias, const float* mult,
                                          const ek_qs8_dwconv_params* p, int8_t* y, int64_t y_ld);
/* The same on AVX2 (qs8-dwconv-chw-avx2-flat.c): 3x3, stride 1, OW == W <= 23 (wider planes lose to the row
 * kernel), pads < 3, OH * OW <= 1024. */
#define EK_QS8_DWCONV_FLAT_AVX2_MAX_W 23
#define EK_QS8_DWCONV_FLAT_AVX2_MAX_PLANE 1024
int ek_qs8_dwconv_chw_avx2_flat_available(const ek_dwconv_geom* g);
void ek_qs8_dwconv_chw_multi__avx2_flat(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld,
                                        const int8_t* w, const int32_t* bias, const float* mult,
                                        const ek_qs8_dwconv_params* p, int8_t* y, int64_t y_ld);
/* The AVX2 row kernel (qs8-dwconv-chw-avx2.c) on C channels per call (any kernel <= 16, column stride 1 or
 * 2; scratch: ek_qs8_dwconv_chw_scratch(g) floats): per-call setup once. _available: 1 when g runs there. */
int ek_qs8_dwconv_chw_multi__avx2_rows_available(const ek_dwconv_geom* g);
void ek_qs8_dwconv_chw_multi__avx2_rows(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld,
                                        const int8_t* w, const int32_t* bias, const float* mult,
                                        const ek_qs8_dwconv_params* p, int8_t* y, int64_t y_ld, float* scratch);
/* C channels (as the flat kernels' arguments, w + kh * kw * c) through the best kernel this CPU runs for g:
 * the AVX-512 flat kernel, else (CPUs without the AVX-512 variant) the AVX2 flat or row kernel, else
 * ek_qs8_dwconv_chw per channel (with scratch,
 * ek_qs8_dwconv_chw_scratch(g) floats). Same bits as ek_qs8_dwconv_chw per channel. */
void ek_qs8_dwconv_chw_multi(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld, const int8_t* w,
                             const int32_t* bias, const float* mult, const ek_qs8_dwconv_params* p, int8_t* y,
                             int64_t y_ld, float* scratch);
/* The AVX-512 VBMI + VNNI variant (in-place int8 plane, vpdpbusd): 1 and the pair if this CPU runs it. */
int ek_qs8_dwconv_chw_avx512_variant(const char** name, ek_qs8_dwconv_chw_fn* fn);
/* The AArch64 NEON variant (int16 multiply-accumulate on interior columns): 1 on AArch64. */
int ek_qs8_dwconv_chw_neon_variant(const char** name, ek_qs8_dwconv_chw_fn* fn);

#ifdef __cplusplus
}
#endif
#endif
