/* f32 group-sparse x CHW, AVX2 + FMA. Tile: group_m output rows x NV*8 pixels; each X load (one
 * input channel, NV vectors) feeds group_m FMAs per vector. Pixel loop outside, so the X tile
 * (K x NV*8) stays in cache while the blocks' weights stream. Shapes chosen by measurement
 * (see BENCHMARKS.md): 4x1 with 16 pixels (8 accumulators), 8x1 with 8 pixels, 1x1 with 32.
 * Outputs over 1 MiB are written with non-temporal stores when aligned (output-bandwidth-bound
 * wide layers; see the AVX-512 kernel). */
#include <immintrin.h>

#include "../internal.h"

#define EK_INLINE static inline __attribute__((always_inline))

EK_INLINE void tile(const ek_weights* w, int32_t b, int GM, int NV, const float* X, size_t ldx, float* Y,
                    size_t ldy, __m256 vmin, __m256 vmax, __m256i tail_mask, int masked, int stream) {
  __m256 acc[8][4];
  const int32_t m0 = b * GM;
  for (int r = 0; r < GM; r++) {
    const __m256 bias = _mm256_broadcast_ss(&w->f32_bias[m0 + r < w->M ? m0 + r : m0]);
    for (int v = 0; v < NV; v++) acc[r][v] = bias;
  }
  const float* val = w->f32_values + (int64_t)w->block_ptr[b] * GM;
  for (int32_t g = w->block_ptr[b]; g < w->block_ptr[b + 1]; g++, val += GM) {
    const float* x = X + (size_t)w->idx[g] * ldx;
    __m256 xv[4];
    for (int v = 0; v < NV; v++) xv[v] = masked ? _mm256_maskload_ps(x + 8 * v, tail_mask) : _mm256_loadu_ps(x + 8 * v);
    for (int r = 0; r < GM; r++) {
      const __m256 wv = _mm256_broadcast_ss(val + r);
      for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(wv, xv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < GM && m0 + r < w->M; r++)
    for (int v = 0; v < NV; v++) {
      const __m256 y = _mm256_min_ps(_mm256_max_ps(acc[r][v], vmin), vmax);
      float* dst = Y + (size_t)(m0 + r) * ldy + 8 * v;
      if (masked) _mm256_maskstore_ps(dst, tail_mask, y);
      else if (stream) _mm256_stream_ps(dst, y);
      else _mm256_storeu_ps(dst, y);
    }
}

EK_INLINE void run(const ek_weights* w, int GM, int NV, int32_t N, const float* X, size_t ldx, float* Y, size_t ldy,
                   float out_min, float out_max) {
  const __m256 vmin = _mm256_set1_ps(out_min), vmax = _mm256_set1_ps(out_max);
  const __m256i none = _mm256_setzero_si256();
  const int stream = ((uintptr_t)Y % 32 == 0) && (ldy % 8 == 0) && (size_t)w->M * ldy * 4 >= ((size_t)1 << 20);
  int32_t n = 0;
  for (; n + 8 * NV <= N; n += 8 * NV)
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, NV, X + n, ldx, Y + n, ldy, vmin, vmax, none, 0, stream);
  for (; n + 8 <= N; n += 8)
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, 1, X + n, ldx, Y + n, ldy, vmin, vmax, none, 0, stream);
  if (n < N) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(N - n), lanes);
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, 1, X + n, ldx, Y + n, ldy, vmin, vmax, mask, 1, 0);
  }
  if (stream) _mm_sfence();
}

void ek_f32_gspmm__avx2(const ek_weights* w, int32_t N, const float* X, size_t ldx, float* Y, size_t ldy,
                        float out_min, float out_max) {
  switch (w->group_m) {
    case 8: run(w, 8, 1, N, X, ldx, Y, ldy, out_min, out_max); break;
    case 4: run(w, 4, 2, N, X, ldx, Y, ldy, out_min, out_max); break;
    default: run(w, 1, 4, N, X, ldx, Y, ldy, out_min, out_max); break;
  }
}
