/* Depthwise CHW convolution, AVX-512F, reading the plane in place (no padded copy).
 *
 * The ring / reference kernels copy every input row into a zero-padded buffer first; on 7x7 .. 28x28
 * planes that copy (and its per-row call overhead) cost more than the taps (MobileNetV2's 14x14 and
 * 7x7 layers ran at ~100-280 ns per channel). Here padding is done by masked loads: a lane whose
 * input column lies outside [0, W) is masked off (masked lanes never fault, so a load may start
 * before the row), and input rows outside [0, H) are skipped. Four output rows are computed at
 * once: each input row is loaded once per tap column and feeds the (up to K) output rows it
 * belongs to, and the four accumulators are independent FMA chains. Stride 2 loads two vectors per
 * tap column and keeps the even lanes (one permute).
 *
 * Square K = 3 / 5, stride 1 / 2 (the fast_shape of f32-dwconv-chw-simd.c); any padding < K. */
#include "f32-dwconv-chw.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define EK_TARGET __attribute__((target("avx512f"), always_inline)) static inline
#define ROWS 4 /* output rows per pass (8 measured no faster) */

/* Lanes l in [0, n) whose column c0 + l lies in [0, W). */
EK_TARGET __mmask16 col_mask(int32_t c0, int32_t W, int32_t n) {
  int32_t lo = -c0 > 0 ? -c0 : 0;
  int32_t hi = W - c0 < n ? W - c0 : n;
  if (hi <= lo) return 0;
  const uint32_t upto_hi = hi >= 16 ? 0xFFFFu : (1u << hi) - 1u;
  const uint32_t from_lo = lo >= 16 ? 0u : ~((1u << lo) - 1u);
  return (__mmask16)(upto_hi & from_lo);
}

EK_TARGET void conv(const ek_dwconv_geom* g, const float* x, const float* w, float bias, float* y, float lo,
                    float hi, const int32_t K, const int32_t S) {
  const int32_t H = g->H, W = g->W, OH = g->OH, OW = g->OW, pt = g->pad_top, pl = g->pad_left;
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi), vb = _mm512_set1_ps(bias);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  for (int32_t ox0 = 0; ox0 < OW; ox0 += 16) {
    /* Per tap column: where its lanes start in an input row and which lanes are inside the row
     * (stride 2: two vectors, m[kx] then m[K + kx]). */
    int32_t c0[5];
    __mmask16 m[10];
    for (int32_t kx = 0; kx < K; kx++) {
      c0[kx] = S * ox0 + kx - pl;
      m[kx] = col_mask(c0[kx], W, 16);
      if (S == 2) m[K + kx] = col_mask(c0[kx] + 16, W, 16);
    }
    const int32_t n = OW - ox0 < 16 ? OW - ox0 : 16;
    const __mmask16 store = (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
    for (int32_t oy0 = 0; oy0 < OH; oy0 += ROWS) {
      const int32_t iy_first = oy0 * S - pt;
      __m512 acc[ROWS];
      for (int32_t r = 0; r < ROWS; r++) acc[r] = vb;
      /* Input rows iy_first + t, t < (ROWS - 1) * S + K; row t feeds output row r with tap row
       * ky = t - r * S when 0 <= ky < K. */
#pragma GCC unroll 11
      for (int32_t t = 0; t < (ROWS - 1) * S + K; t++) {
        const int32_t iy = iy_first + t;
        if (iy < 0 || iy >= H) continue;
        const float* row = x + (size_t)iy * W;
#pragma GCC unroll 5
        for (int32_t kx = 0; kx < K; kx++) {
          __m512 v = _mm512_maskz_loadu_ps(m[kx], row + c0[kx]);
          if (S == 2) v = _mm512_permutex2var_ps(v, even, _mm512_maskz_loadu_ps(m[K + kx], row + c0[kx] + 16));
#pragma GCC unroll 4
          for (int32_t r = 0; r < ROWS; r++) {
            const int32_t ky = t - r * S;
            if (ky >= 0 && ky < K) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(w[ky * K + kx]), v, acc[r]);
          }
        }
      }
      for (int32_t r = 0; r < ROWS && oy0 + r < OH; r++)
        _mm512_mask_storeu_ps(y + (size_t)(oy0 + r) * OW + ox0, store,
                              _mm512_min_ps(_mm512_max_ps(acc[r], vlo), vhi));
    }
  }
}

#define EK_DEFINE(K, S)                                                                                    \
  __attribute__((target("avx512f"))) void ek_f32_dwconv_chw_direct_k##K##s##S##__avx512(                 \
      const ek_dwconv_geom* g, const float* x, const float* w, float bias, float* y, float lo, float hi) { \
    conv(g, x, w, bias, y, lo, hi, K, S);                                                                  \
  }
EK_DEFINE(3, 1)
EK_DEFINE(5, 1)
EK_DEFINE(3, 2)
EK_DEFINE(5, 2)

/* Square 3x3 / 5x5 at stride 1 / 2 (the caller checked); scratch unused. */
__attribute__((target("avx512f"))) void ek_f32_dwconv_chw__avx512_direct(const ek_dwconv_geom* g, const float* x,
                                                                        const float* w, float bias, float* y,
                                                                        float lo, float hi, float* scratch) {
  (void)scratch;
  if (g->kh == 3 && g->sh == 1) ek_f32_dwconv_chw_direct_k3s1__avx512(g, x, w, bias, y, lo, hi);
  else if (g->kh == 3) ek_f32_dwconv_chw_direct_k3s2__avx512(g, x, w, bias, y, lo, hi);
  else if (g->sh == 1) ek_f32_dwconv_chw_direct_k5s1__avx512(g, x, w, bias, y, lo, hi);
  else ek_f32_dwconv_chw_direct_k5s2__avx512(g, x, w, bias, y, lo, hi);
}
#endif
