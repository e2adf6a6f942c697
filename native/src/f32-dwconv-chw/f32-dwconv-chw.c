/* Depthwise CHW convolution: the plain-C reference (compiler-vectorized). ek_f32_dwconv_chw in
 * f32-dwconv-chw-simd.c runs the hand-tiled per-ISA kernels and falls back to this for other shapes.
 *
 * The plane is first copied into a zero-padded scratch plane of width Wp, so every tap is a plain
 * shifted load. Stride 1 then treats the padded plane as one long row: output i = oy*Wp + ox for
 * all oy at once (the Wp - OW columns past the edge are computed and dropped), which gives long
 * vector loops even for 7x7 or 14x14 planes. Stride 2 loads every other column. Kernel sizes 3 and 5 are compiled as
 * constants so the taps unroll into registers. */
#include "f32-dwconv-chw.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EK_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define EK_MULTIVERSION
#endif

static int32_t padded_h(const ek_dwconv_geom* g) { return (g->OH - 1) * g->sh + g->kh + 1; }
static int32_t padded_w(const ek_dwconv_geom* g) {
  int32_t wp = (g->OW - 1) * g->sw + g->kw;
  int32_t min = g->pad_left + g->W;
  return (wp > min ? wp : min) + 1;
}

size_t ek_f32_dwconv_chw_ref_scratch(const ek_dwconv_geom* g) {
  const size_t hp = (size_t)padded_h(g), wp = (size_t)padded_w(g);
  const size_t stage = (size_t)g->OH * wp;      /* stride 1: full padded-width output rows */
  const size_t split = hp * (wp + 2);            /* stride 2: even + odd column planes */
  return hp * wp + 16 + (stage > split ? stage : split) + 16;
}

static void pad_plane(const ek_dwconv_geom* g, const float* x, float* xp, int32_t hp, int32_t wp) {
  memset(xp, 0, sizeof(float) * (size_t)hp * (size_t)wp);
  for (int32_t iy = 0; iy < g->H; iy++) {
    const int32_t py = iy + g->pad_top;
    if (py >= hp) break;
    int32_t n = g->W;
    if (g->pad_left + n > wp) n = wp - g->pad_left;
    memcpy(xp + (size_t)py * wp + g->pad_left, x + (size_t)iy * g->W, sizeof(float) * (size_t)n);
  }
}

static inline float clampf(float v, float lo, float hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

/* Stride 1, K x K: flat over the padded plane. */
#define DEFINE_S1(K)                                                                                 \
  EK_MULTIVERSION static void dw_s1_k##K(const float* restrict xp, int32_t wp, int32_t oh, int32_t ow, \
                                         const float* restrict w, float bias, float* restrict stage,   \
                                         float* restrict y, float lo, float hi) {                      \
    float wk[K * K];                                                                                   \
    for (int t = 0; t < K * K; t++) wk[t] = w[t];                                                      \
    const int32_t n = oh * wp;                                                                         \
    for (int32_t i = 0; i < n; i++) {                                                                  \
      float acc = bias;                                                                                \
      for (int ky = 0; ky < K; ky++)                                                                   \
        for (int kx = 0; kx < K; kx++) acc += wk[ky * K + kx] * xp[i + ky * wp + kx];                  \
      stage[i] = clampf(acc, lo, hi);                                                                  \
    }                                                                                                  \
    for (int32_t oy = 0; oy < oh; oy++) memcpy(y + (size_t)oy * ow, stage + (size_t)oy * wp, sizeof(float) * (size_t)ow); \
  }
DEFINE_S1(3)
DEFINE_S1(5)

/* Stride 2, K x K: per output row, taps as stride-2 loads from the padded plane (the compiler
 * vectorizes them with permutes). */
#define DEFINE_S2(K)                                                                                   \
  EK_MULTIVERSION static void dw_s2_k##K(const float* restrict xp, int32_t wp, int32_t oh, int32_t ow,  \
                                         const float* restrict w, float bias, float* restrict y,       \
                                         float lo, float hi) {                                         \
    float wk[K * K];                                                                                   \
    for (int t = 0; t < K * K; t++) wk[t] = w[t];                                                      \
    for (int32_t oy = 0; oy < oh; oy++) {                                                              \
      const float* restrict base = xp + (size_t)(2 * oy) * wp;                                         \
      float* restrict yrow = y + (size_t)oy * ow;                                                      \
      for (int32_t ox = 0; ox < ow; ox++) {                                                            \
        float acc = bias;                                                                              \
        for (int ky = 0; ky < K; ky++)                                                                 \
          for (int kx = 0; kx < K; kx++) acc += wk[ky * K + kx] * base[ky * wp + 2 * ox + kx];         \
        yrow[ox] = clampf(acc, lo, hi);                                                                \
      }                                                                                                \
    }                                                                                                  \
  }
DEFINE_S2(3)
DEFINE_S2(5)

/* Any other geometry: direct loops over the padded plane. */
static void dw_generic(const ek_dwconv_geom* g, const float* xp, int32_t wp, const float* w, float bias,
                       float* y, float lo, float hi) {
  for (int32_t oy = 0; oy < g->OH; oy++)
    for (int32_t ox = 0; ox < g->OW; ox++) {
      float acc = bias;
      for (int32_t ky = 0; ky < g->kh; ky++)
        for (int32_t kx = 0; kx < g->kw; kx++)
          acc += w[ky * g->kw + kx] * xp[(size_t)(oy * g->sh + ky) * wp + ox * g->sw + kx];
      y[(size_t)oy * g->OW + ox] = clampf(acc, lo, hi);
    }
}

void ek_f32_dwconv_chw_ref(const ek_dwconv_geom* g, const float* x, const float* w, float bias,
                           float* y, float out_min, float out_max, float* scratch) {
  const int32_t hp = padded_h(g), wp = padded_w(g);
  float* xp = scratch;
  float* rest = scratch + (size_t)hp * wp + 16;
  pad_plane(g, x, xp, hp, wp);
  const int square = g->kh == g->kw;
  if (square && g->sh == 1 && g->sw == 1 && g->kh == 3) {
    dw_s1_k3(xp, wp, g->OH, g->OW, w, bias, rest, y, out_min, out_max);
  } else if (square && g->sh == 1 && g->sw == 1 && g->kh == 5) {
    dw_s1_k5(xp, wp, g->OH, g->OW, w, bias, rest, y, out_min, out_max);
  } else if (square && g->sh == 2 && g->sw == 2 && g->kh == 3) {
    dw_s2_k3(xp, wp, g->OH, g->OW, w, bias, y, out_min, out_max);
  } else if (square && g->sh == 2 && g->sw == 2 && g->kh == 5) {
    dw_s2_k5(xp, wp, g->OH, g->OW, w, bias, y, out_min, out_max);
  } else {
    dw_generic(g, xp, wp, w, bias, y, out_min, out_max);
  }
}
