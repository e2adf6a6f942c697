/* Depthwise CHW convolution, stride 1, AVX-512F, small planes, many channels per call.
 *
 * On planes of 28x28 and smaller the row kernels waste lanes (a 7-wide row in a 16-lane vector)
 * and pay per-channel setup (masks, row loops) for few outputs: MobileNetV2's 7x7 layer took ~190
 * cycles per channel for 49 outputs. Here the plane is treated as one flat vector of OH*OW outputs
 * (OW == W at stride 1 with "same" padding, so output i and its tap (ky, kx) input sit at a fixed
 * flat distance (ky - pad_top) * W + kx - pad_left): every 16 consecutive outputs take one masked
 * load per tap, the mask holding the lanes whose tap lies inside the plane (padding = masked
 * lanes, which never fault). Masks depend only on the geometry: they are computed once per call
 * and reused for every channel. Two 16-output chunks run at once (independent FMA chains). */
#include "f32-dwconv-chw.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define MAX_TAPS 25

/* Measured (ekx_dwconv_test --bench, MobileNetV2 layers, AVX-512 host): 7x7 c960 0.062 -> 0.038 ms,
 * 14x14 no gain (0.044 vs 0.048), 28x28 slower (0.080 vs 0.116: the row kernel loads each input row
 * once for 3 output rows, the flat one once per tap). So only rows narrower than 14 go flat. */
#define FLAT_MAX_W 13

static int flat_shape(const ek_dwconv_geom* g) {
  return g->sh == 1 && g->sw == 1 && g->kh == g->kw && (g->kh == 3 || g->kh == 5) && g->OW == g->W &&
         g->W <= FLAT_MAX_W &&
         g->pad_top >= 0 && g->pad_left >= 0 && g->OH >= 1 && (int64_t)g->OH * g->OW <= EK_DWCONV_FLAT_MAX_PLANE;
}

int ek_f32_dwconv_chw_flat_available(const ek_dwconv_geom* g) {
  static int has_avx512 = -1; /* benign race: every thread computes the same value */
  int h = __atomic_load_n(&has_avx512, __ATOMIC_RELAXED);
  if (h < 0) {
    __builtin_cpu_init();
    h = __builtin_cpu_supports("avx512f") ? 1 : 0;
    __atomic_store_n(&has_avx512, h, __ATOMIC_RELAXED);
  }
  return h && flat_shape(g);
}

/* K is a constant after inlining: the K*K broadcast weights stay in registers and the taps unroll. */
__attribute__((target("avx512f"), always_inline)) static inline void channels(
    const int32_t K, const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld, const float* w,
    const float* bias, float* y, int64_t y_ld, float lo, float hi) {
  const int32_t W = g->W, H = g->H, n = g->OH * g->OW, taps = K * K;
  const int32_t chunks = (n + 15) / 16;
  __mmask16 mask[(EK_DWCONV_FLAT_MAX_PLANE / 16) * MAX_TAPS];
  int32_t shift[MAX_TAPS];
  for (int32_t t = 0; t < taps; t++) {
    const int32_t ky = t / K, kx = t % K;
    shift[t] = (ky - g->pad_top) * W + kx - g->pad_left;
    for (int32_t j = 0; j < chunks; j++) {
      uint32_t bits = 0;
      for (int32_t l = 0; l < 16; l++) {
        const int32_t i = j * 16 + l, oy = i / W, ox = i % W;
        const int32_t iy = oy + ky - g->pad_top, ix = ox + kx - g->pad_left;
        if (i < n && iy >= 0 && iy < H && ix >= 0 && ix < W) bits |= 1u << l;
      }
      mask[j * taps + t] = (__mmask16)bits;
    }
  }
  const int32_t tail = n - (chunks - 1) * 16;
  const __mmask16 last = (__mmask16)(tail >= 16 ? 0xFFFFu : (1u << tail) - 1u);
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  for (int32_t c = 0; c < C; c++) {
    const float* xc = x + c * x_ld;
    const float* wc = w + (int64_t)c * taps;
    float* yc = y + c * y_ld;
    __m512 wv[MAX_TAPS];
    for (int32_t t = 0; t < taps; t++) wv[t] = _mm512_set1_ps(wc[t]);
    const __m512 vb = _mm512_set1_ps(bias[c]);
    int32_t j = 0;
    for (; j + 2 <= chunks; j += 2) {
      __m512 a0 = vb, a1 = vb;
      const __mmask16* m = mask + j * taps;
      const float* p = xc + j * 16;
      for (int32_t t = 0; t < taps; t++) {
        const float* q = p + shift[t];
        a0 = _mm512_fmadd_ps(wv[t], _mm512_maskz_loadu_ps(m[t], q), a0);
        a1 = _mm512_fmadd_ps(wv[t], _mm512_maskz_loadu_ps(m[taps + t], q + 16), a1);
      }
      float* o = yc + j * 16;
      _mm512_storeu_ps(o, _mm512_min_ps(_mm512_max_ps(a0, vlo), vhi));
      _mm512_mask_storeu_ps(o + 16, j + 2 == chunks ? last : (__mmask16)0xFFFF,
                            _mm512_min_ps(_mm512_max_ps(a1, vlo), vhi));
    }
    if (j < chunks) {
      __m512 a = vb;
      const __mmask16* m = mask + j * taps;
      const float* p = xc + j * 16;
      for (int32_t t = 0; t < taps; t++) a = _mm512_fmadd_ps(wv[t], _mm512_maskz_loadu_ps(m[t], p + shift[t]), a);
      _mm512_mask_storeu_ps(yc + j * 16, last, _mm512_min_ps(_mm512_max_ps(a, vlo), vhi));
    }
  }
}

__attribute__((target("avx512f"))) void ek_f32_dwconv_chw_multi__avx512_flat(
    const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld, const float* w, const float* bias, float* y,
    int64_t y_ld, float lo, float hi) {
  if (g->kh == 3) channels(3, g, C, x, x_ld, w, bias, y, y_ld, lo, hi);
  else channels(5, g, C, x, x_ld, w, bias, y, y_ld, lo, hi);
}
#else
int ek_f32_dwconv_chw_flat_available(const ek_dwconv_geom* g) {
  (void)g;
  return 0;
}
void ek_f32_dwconv_chw_multi__avx512_flat(const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld,
                                          const float* w, const float* bias, float* y, int64_t y_ld, float lo,
                                          float hi) {
  (void)g, (void)C, (void)x, (void)x_ld, (void)w, (void)bias, (void)y, (void)y_ld, (void)lo, (void)hi;
}
#endif
