/* qs8 depthwise CHW: the plain-loop int32 reference and the dispatcher. */
#include "qs8-dwconv-chw.h"

void ek_qs8_dwconv_chw_ref(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias, float scale,
                           const ek_qs8_dwconv_params* p, int8_t* y, float* scratch) {
  (void)scratch;
  for (int32_t oy = 0; oy < g->OH; oy++)
    for (int32_t ox = 0; ox < g->OW; ox++) {
      uint32_t acc = (uint32_t)bias; /* wraps like the vector adds */
      for (int32_t ky = 0; ky < g->kh; ky++) {
        const int32_t iy = oy * g->sh - g->pad_top + ky;
        if (iy < 0 || iy >= g->H) continue;
        for (int32_t kx = 0; kx < g->kw; kx++) {
          const int32_t ix = ox * g->sw - g->pad_left + kx;
          if (ix < 0 || ix >= g->W) continue;
          acc += (uint32_t)((int32_t)w[ky * g->kw + kx] * ((int32_t)x[(size_t)iy * g->W + ix] - p->input_zero_point));
        }
      }
      y[(size_t)oy * g->OW + ox] = ek_qs8_chw_requant((int32_t)acc, scale, p);
    }
}

void ek_qs8_dwconv_chw(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias, float scale,
                       const ek_qs8_dwconv_params* p, int8_t* y, float* scratch) {
  static ek_qs8_dwconv_chw_fn best = 0;
  static int resolved = 0;
  if (!__atomic_load_n(&resolved, __ATOMIC_ACQUIRE)) {
    const char* names[4];
    ek_qs8_dwconv_chw_fn fns[4];
    const int n = ek_qs8_dwconv_chw_variants(names, fns, 4);
    __atomic_store_n(&best, n > 0 ? fns[n - 1] : ek_qs8_dwconv_chw_ref, __ATOMIC_RELAXED);
    __atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
  }
  best(g, x, w, bias, scale, p, y, scratch);
}

void ek_qs8_dwconv_chw_multi(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld, const int8_t* w,
                             const int32_t* bias, const float* mult, const ek_qs8_dwconv_params* p, int8_t* y,
                             int64_t y_ld, float* scratch) {
  static int avx512 = -1; /* benign race: every thread computes the same value */
  if (avx512 < 0) {
    const char* name;
    ek_qs8_dwconv_chw_fn fn;
    avx512 = ek_qs8_dwconv_chw_avx512_variant(&name, &fn);
  }
  if (ek_qs8_dwconv_chw_flat_available(g)) {
    ek_qs8_dwconv_chw_multi__avx512_flat(g, C, x, x_ld, w, bias, mult, p, y, y_ld);
  } else if (!avx512 && ek_qs8_dwconv_chw_avx2_flat_available(g) && (g->W <= 12 || g->W >= 17)) {
    /* Only where the row kernel wastes many lanes (16-column blocks). Zen 3, flat vs rows: 12x12 c576 0.044
     * vs 0.046 ms, 14x14 c384 0.041 vs 0.036, 16x16 0.051 vs 0.042, 19x19 c192 0.036 vs 0.043. */
    ek_qs8_dwconv_chw_multi__avx2_flat(g, C, x, x_ld, w, bias, mult, p, y, y_ld);
  } else if (!avx512 && ek_qs8_dwconv_chw_multi__avx2_rows_available(g)) {
    ek_qs8_dwconv_chw_multi__avx2_rows(g, C, x, x_ld, w, bias, mult, p, y, y_ld, scratch);
  } else {
    const int64_t taps = (int64_t)g->kh * g->kw;
    for (int32_t c = 0; c < C; c++)
      ek_qs8_dwconv_chw(g, x + c * x_ld, w + c * taps, bias[c], mult[c], p, y + c * y_ld, scratch);
  }
}
