/* Dense CHW convolution, AVX2+FMA: 8 output columns per vector, 8 output channels per block, phase
 * rows filled by the scalar loop (f32-conv-chw.c); a partial last vector goes through a masked
 * store. Layout and scratch: f32-conv-chw.c. */
#include "f32-conv-chw-internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define EK_TARGET __attribute__((target("avx2,fma"), always_inline)) static inline

EK_TARGET void block(int NB, int32_t K, int32_t M, const int32_t* off, const float* phases, int32_t ox0,
                     const float* w, const float* bias, float* y, int64_t y_ld, int32_t n, __m256 lo, __m256 hi) {
  __m256 acc[8];
  for (int o = 0; o < NB; o++) acc[o] = _mm256_set1_ps(bias[o]);
  const float* p = phases + ox0;
  for (int32_t k = 0; k < K; k++) {
    const __m256 v = _mm256_loadu_ps(p + off[k]);
    const float* wk = w + (size_t)k * M;
    for (int o = 0; o < NB; o++) acc[o] = _mm256_fmadd_ps(v, _mm256_broadcast_ss(wk + o), acc[o]);
  }
  if (n == 8) {
    for (int o = 0; o < NB; o++) _mm256_storeu_ps(y + o * y_ld, _mm256_min_ps(_mm256_max_ps(acc[o], lo), hi));
    return;
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane);
  for (int o = 0; o < NB; o++) _mm256_maskstore_ps(y + o * y_ld, mask, _mm256_min_ps(_mm256_max_ps(acc[o], lo), hi));
}

__attribute__((target("avx2,fma"))) void ek_f32_conv_chw__avx2(const ek_conv_geom* g, const float* x,
                                                               const float* w, const float* bias, int32_t oy0,
                                                               int32_t oy1, float* y, int64_t y_ld, float lo,
                                                               float hi, float* scratch) {
  int32_t off[EK_CONV_CHW_MAX_TAPS];
  ek_conv_chw_tap_offsets(g, off);
  const int32_t K = g->C * g->kh * g->kw, M = g->M;
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  for (int32_t oy = oy0; oy < oy1; oy++) {
    ek_conv_chw_fill_phases_scalar(g, x, oy, scratch);
    float* yrow = y + (int64_t)(oy - oy0) * g->OW;
    for (int32_t ox0 = 0; ox0 < g->OW; ox0 += 8) {
      const int32_t n = g->OW - ox0 < 8 ? g->OW - ox0 : 8;
      int32_t m = 0;
      for (; m + 8 <= M; m += 8)
        block(8, K, M, off, scratch, ox0, w + m, bias + m, yrow + m * y_ld + ox0, y_ld, n, vlo, vhi);
      for (; m + 4 <= M; m += 4)
        block(4, K, M, off, scratch, ox0, w + m, bias + m, yrow + m * y_ld + ox0, y_ld, n, vlo, vhi);
      for (; m < M; m++)
        block(1, K, M, off, scratch, ox0, w + m, bias + m, yrow + m * y_ld + ox0, y_ld, n, vlo, vhi);
    }
  }
}
#endif
