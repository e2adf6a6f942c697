/* qs8 group-sparse x CHW, AVX2. Kept groups of a block are taken in pairs of input channels
 * (k1, k2): their int8 rows are interleaved byte-wise and widened to int16, so one vpmaddwd with the
 * broadcast int16 weight pair (w[r][k1], w[r][k2]) adds both products into 8 int32 lanes.
 * Tile: group_m rows x 16 pixels (4x1, 1x1) or 8 pixels (8x1) - at most 8 accumulators.
 * Requantization: fp32 multiply, clamp in float, vcvtps2dq (round half even), + zero point:
 * the same operations as ek_requant_scalar, so results are bit-exact. */
#include <immintrin.h>
#include <string.h>

#include "../internal.h"

#define EK_INLINE static inline __attribute__((always_inline))

/* Loads NPX (8 or 16) pixels of row x, or `rem` < NPX of them through a zeroed buffer. */
EK_INLINE __m128i load_px(const int8_t* x, int NPX, int rem) {
  if (rem) {
    int8_t buf[16] = {0};
    memcpy(buf, x, (size_t)rem);
    return _mm_loadu_si128((const __m128i*)buf);
  }
  return NPX == 16 ? _mm_loadu_si128((const __m128i*)x) : _mm_loadl_epi64((const __m128i*)x);
}

EK_INLINE void store_requant(int8_t* dst, __m256i acc, __m256 mult, __m256 fmin, __m256 fmax, __m256i zp, int rem) {
  __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), mult);
  f = _mm256_min_ps(_mm256_max_ps(f, fmin), fmax);
  const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f), zp);
  const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  const __m128i q8 = _mm_packs_epi16(q16, q16);
  if (rem) {
    int8_t buf[16];
    _mm_storeu_si128((__m128i*)buf, q8);
    memcpy(dst, buf, (size_t)rem);
  } else {
    _mm_storel_epi64((__m128i*)dst, q8);
  }
}

EK_INLINE void tile(const ek_weights* w, int32_t b, int GM, int NPX, const int8_t* X, size_t ldx, int8_t* Y,
                    size_t ldy, const float* mult, const int32_t* acc0, const ek_qs8_rq* rq, int rem) {
  enum { NV_MAX = 2 };
  const int NV = NPX / 8;
  __m256i acc[8][NV_MAX];
  const int32_t m0 = b * GM;
  for (int r = 0; r < GM; r++) {
    const __m256i a0 = _mm256_set1_epi32(m0 + r < w->M ? acc0[m0 + r] : 0);
    for (int v = 0; v < NV; v++) acc[r][v] = a0;
  }
  const int32_t p_end = w->block_ptr[b + 1] / 2;
  const int16_t* wp = w->q16_pairs + (int64_t)(w->block_ptr[b] / 2) * GM * 2;
  for (int32_t p = w->block_ptr[b] / 2; p < p_end; p++, wp += 2 * GM) {
    const __m128i x1 = load_px(X + (size_t)w->idx[2 * p] * ldx, NPX, rem);
    const __m128i x2 = load_px(X + (size_t)w->idx[2 * p + 1] * ldx, NPX, rem);
    __m256i xv[NV_MAX];
    xv[0] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x1, x2));
    if (NV == 2) xv[1] = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x1, x2));
    for (int r = 0; r < GM; r++) {
      int32_t pair;
      memcpy(&pair, wp + 2 * r, 4);
      const __m256i wv = _mm256_set1_epi32(pair);
      for (int v = 0; v < NV; v++) acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(xv[v], wv));
    }
  }
  const __m256 fmin = _mm256_set1_ps(rq->fmin), fmax = _mm256_set1_ps(rq->fmax);
  const __m256i zp = _mm256_set1_epi32(rq->zp_out);
  for (int r = 0; r < GM && m0 + r < w->M; r++) {
    const __m256 mv = _mm256_set1_ps(mult[m0 + r]);
    int8_t* dst = Y + (size_t)(m0 + r) * ldy;
    for (int v = 0; v < NV; v++) {
      const int left = rem - 8 * v; /* pixels of this 8-lane vector that exist, when rem > 0 */
      if (rem && left <= 0) break;
      store_requant(dst + 8 * v, acc[r][v], mv, fmin, fmax, zp, rem ? (left < 8 ? left : 8) : 0);
    }
  }
}

EK_INLINE void run(const ek_weights* w, int GM, int NPX, int32_t N, const int8_t* X, size_t ldx, int8_t* Y,
                   size_t ldy, const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  int32_t n = 0;
  for (; n + NPX <= N; n += NPX)
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, NPX, X + n, ldx, Y + n, ldy, mult, acc0, rq, 0);
  for (; n + 8 <= N; n += 8)
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, 8, X + n, ldx, Y + n, ldy, mult, acc0, rq, 0);
  if (n < N)
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, 8, X + n, ldx, Y + n, ldy, mult, acc0, rq, N - n);
}

void ek_qs8_gspmm__avx2(const ek_weights* w, int32_t N, const int8_t* X, size_t ldx, int8_t* Y, size_t ldy,
                        const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  switch (w->group_m) {
    case 8: run(w, 8, 8, N, X, ldx, Y, ldy, mult, acc0, rq); break;
    case 4: run(w, 4, 16, N, X, ldx, Y, ldy, mult, acc0, rq); break;
    default: run(w, 1, 16, N, X, ldx, Y, ldy, mult, acc0, rq); break;
  }
}
