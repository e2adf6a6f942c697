/* qs8 dense CHW convolution: the geometry rules, the plain-loop int32 reference and the dispatch
 * (AVX-512 VBMI + VNNI where the CPU has it, else AVX2, else the portable C variant). */
#include "qs8-conv-chw.h"

#include "qs8-conv-chw-internal.h"

int ek_qs8_conv_chw_supported(const ek_conv_geom* g) {
  return g->C >= 1 && g->M >= 1 && g->M <= EK_QS8_CONV_CHW_MAX_M && g->H >= 1 && g->W >= 1 && g->OH >= 1 &&
         g->OW >= 1 && g->kh >= 1 && g->kw >= 1 && g->kh <= EK_CONV_CHW_MAX_KERNEL && g->kw <= EK_CONV_CHW_MAX_KERNEL &&
         g->sh >= 1 && g->sw >= 1 && g->sh <= EK_CONV_CHW_MAX_STRIDE && g->sw <= EK_CONV_CHW_MAX_STRIDE &&
         g->pad_top >= 0 && g->pad_left >= 0 && g->pad_top < g->kh && g->pad_left < g->kw &&
         g->C * g->kh * g->kw <= EK_CONV_CHW_MAX_TAPS;
}

size_t ek_qs8_conv_chw_scratch(const ek_conv_geom* g) { /* the largest of the variants' (AVX-512 may fall back) */
  const size_t a = ek_qs8_conv_chw_portable_scratch(g), b = ek_qs8_conv_chw_avx512_scratch(g);
  const size_t c = ek_qs8_conv_chw_avx2_scratch(g), ab = a > b ? a : b;
  return ab > c ? ab : c;
}

void ek_qs8_conv_chw_ref(const ek_conv_geom* g, const int8_t* x, const int8_t* w, const int32_t* bias,
                         const float* mult, const ek_qs8_dwconv_params* p, int32_t oy0, int32_t oy1, int8_t* y,
                         int64_t y_ld, float* scratch) {
  (void)scratch;
  for (int32_t m = 0; m < g->M; m++)
    for (int32_t oy = oy0; oy < oy1; oy++)
      for (int32_t ox = 0; ox < g->OW; ox++) {
        uint32_t acc = (uint32_t)bias[m]; /* wraps like the vector adds */
        for (int32_t c = 0; c < g->C; c++)
          for (int32_t ky = 0; ky < g->kh; ky++) {
            const int32_t iy = oy * g->sh - g->pad_top + ky;
            if (iy < 0 || iy >= g->H) continue;
            for (int32_t kx = 0; kx < g->kw; kx++) {
              const int32_t ix = ox * g->sw - g->pad_left + kx;
              if (ix < 0 || ix >= g->W) continue;
              const int32_t wv = w[(((size_t)m * g->C + c) * g->kh + ky) * g->kw + kx];
              acc += (uint32_t)(wv * ((int32_t)x[((size_t)c * g->H + iy) * g->W + ix] - p->input_zero_point));
            }
          }
        y[m * y_ld + (int64_t)(oy - oy0) * g->OW + ox] = ek_qs8_chw_requant((int32_t)acc, mult[m], p);
      }
}

int ek_qs8_conv_chw_variants(const char** names, ek_qs8_conv_chw_fn* fns, int max) {
  int n = 0;
  if (n < max) {
    names[n] = "portable";
    fns[n++] = ek_qs8_conv_chw__portable;
  }
  const char* name;
  ek_qs8_conv_chw_fn fn;
  if (n < max && ek_qs8_conv_chw_avx2_variant(&name, &fn)) {
    names[n] = name;
    fns[n++] = fn;
  }
  if (n < max && ek_qs8_conv_chw_avx512_variant(&name, &fn)) {
    names[n] = name;
    fns[n++] = fn;
  }
  return n;
}

void ek_qs8_conv_chw(const ek_conv_geom* g, const int8_t* x, const int8_t* w, const int32_t* bias,
                     const float* mult, const ek_qs8_dwconv_params* p, int32_t oy0, int32_t oy1, int8_t* y,
                     int64_t y_ld, float* scratch) {
  static ek_qs8_conv_chw_fn best = 0; /* benign race: every thread computes the same pointer */
  ek_qs8_conv_chw_fn fn = __atomic_load_n(&best, __ATOMIC_ACQUIRE);
  if (!fn) {
    const char* names[4];
    ek_qs8_conv_chw_fn fns[4];
    const int n = ek_qs8_conv_chw_variants(names, fns, 4);
    fn = n > 0 ? fns[n - 1] : ek_qs8_conv_chw_ref;
    __atomic_store_n(&best, fn, __ATOMIC_RELEASE);
  }
  fn(g, x, w, bias, mult, p, oy0, oy1, y, y_ld, scratch);
}
