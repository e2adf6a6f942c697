/* Depthwise 2D convolution on one CHW channel plane, fp32, fused bias and clamp. */
#ifndef EDGEKIT_F32_DWCONV_CHW_H
#define EDGEKIT_F32_DWCONV_CHW_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct ek_dwconv_geom {
  int32_t H, W;          /* input plane */
  int32_t OH, OW;        /* output plane */
  int32_t kh, kw;        /* kernel */
  int32_t sh, sw;        /* stride */
  int32_t pad_top, pad_left;
} ek_dwconv_geom;

/* Floats of scratch one call needs (a zero-padded copy of the plane plus an output staging area). */
size_t ek_f32_dwconv_chw_scratch(const ek_dwconv_geom* g);

/* y[OH x OW] = clamp(bias + sum_{ky,kx} w[ky*kw + kx] * x[oy*sh - pad_top + ky][ox*sw - pad_left + kx])
 * with zero padding. x: H x W, y: OH x OW, both dense rows. The caller validated the geometry;
 * scratch holds ek_f32_dwconv_chw_scratch(g) floats. */
void ek_f32_dwconv_chw(const ek_dwconv_geom* g, const float* x, const float* w, float bias,
                       float* y, float out_min, float out_max, float* scratch);

/* C channels at once: channel c reads x + c*x_ld and writes y + c*y_ld with weights w + c*kh*kw and
 * bias[c]; the same results as calling ek_f32_dwconv_chw per channel, bit for bit. Small stride-1
 * planes (OH*OW <= EK_DWCONV_FLAT_MAX_PLANE, OW == W) run the flat multi-channel AVX-512 kernel
 * (f32-dwconv-chw-avx512-flat.c) where the CPU has it; on AVX2 CPUs without AVX-512 the AVX2 kernels
 * take all C channels per call (f32-dwconv-chw-avx2-direct.c). The dispatch is in
 * f32-dwconv-chw-simd.c. scratch: ek_f32_dwconv_chw_scratch(g). */
#define EK_DWCONV_FLAT_MAX_PLANE 1024
void ek_f32_dwconv_chw_multi(const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld, const float* w,
                             const float* bias, float* y, int64_t y_ld, float out_min, float out_max,
                             float* scratch);
/* The flat kernel alone (tests, benchmarks): 1 when it runs g on this CPU. */
int ek_f32_dwconv_chw_flat_available(const ek_dwconv_geom* g);
void ek_f32_dwconv_chw_multi__avx512_flat(const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld,
                                          const float* w, const float* bias, float* y, int64_t y_ld, float lo,
                                          float hi);

/* The plain-C reference (compiler-vectorized, any geometry) and every kernel variant this CPU can
 * run, for tests and benchmarks. All take ek_f32_dwconv_chw_scratch(g) floats of scratch. */
typedef void (*ek_f32_dwconv_chw_fn)(const ek_dwconv_geom* g, const float* x, const float* w, float bias,
                                     float* y, float out_min, float out_max, float* scratch);
void ek_f32_dwconv_chw_ref(const ek_dwconv_geom* g, const float* x, const float* w, float bias,
                           float* y, float out_min, float out_max, float* scratch);
size_t ek_f32_dwconv_chw_ref_scratch(const ek_dwconv_geom* g);
/* Fills up to max (name, function) pairs, best last; returns how many. */
int ek_f32_dwconv_chw_variants(const char** names, ek_f32_dwconv_chw_fn* fns, int max);

#ifdef __cplusplus
}
#endif
#endif
