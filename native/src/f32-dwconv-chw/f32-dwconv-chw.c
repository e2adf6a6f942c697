/* Depthwise CHW convolution: one output row at a time, one pass per kernel tap over the row.
 * Each pass is a contiguous (stride 1) or strided multiply-add the compiler vectorizes; the row
 * stays in L1. Border taps are handled by clipping the output column range, never by branches
 * inside the loop. */
#include "f32-dwconv-chw.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EK_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define EK_MULTIVERSION
#endif

static inline int32_t ceil_div_nonneg(int32_t a, int32_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

EK_MULTIVERSION
void ek_f32_dwconv_chw(const ek_dwconv_geom* g, const float* x, const float* w, float bias,
                       float* y, float out_min, float out_max) {
  const int32_t H = g->H, W = g->W, OW = g->OW, sw = g->sw;
  for (int32_t oy = 0; oy < g->OH; oy++) {
    float* restrict yrow = y + (int64_t)oy * OW;
    for (int32_t ox = 0; ox < OW; ox++) yrow[ox] = bias;
    for (int32_t ky = 0; ky < g->kh; ky++) {
      const int32_t iy = oy * g->sh - g->pad_top + ky;
      if (iy < 0 || iy >= H) continue;
      const float* restrict xrow = x + (int64_t)iy * W;
      for (int32_t kx = 0; kx < g->kw; kx++) {
        const float wv = w[ky * g->kw + kx];
        const int32_t shift = kx - g->pad_left; /* ix = ox * sw + shift */
        const int32_t ox0 = ceil_div_nonneg(-shift, sw);
        int32_t ox1 = (W - 1 - shift) < 0 ? -1 : (W - 1 - shift) / sw; /* inclusive */
        if (ox1 > OW - 1) ox1 = OW - 1;
        if (sw == 1) {
          const float* restrict xs = xrow + shift;
          for (int32_t ox = ox0; ox <= ox1; ox++) yrow[ox] += wv * xs[ox];
        } else if (sw == 2) {
          const float* restrict xs = xrow + shift;
          for (int32_t ox = ox0; ox <= ox1; ox++) yrow[ox] += wv * xs[2 * ox];
        } else {
          for (int32_t ox = ox0; ox <= ox1; ox++) yrow[ox] += wv * xrow[ox * sw + shift];
        }
      }
    }
    for (int32_t ox = 0; ox < OW; ox++) {
      float v = yrow[ox];
      v = v < out_min ? out_min : v;
      yrow[ox] = v > out_max ? out_max : v;
    }
  }
}
