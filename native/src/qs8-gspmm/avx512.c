/* qs8 group-sparse x CHW, AVX-512 F/BW + VNNI (vpdpbusd). Dispatch selects it only on CPUs with
 * AVX512_VNNI; others run the AVX2 kernel for int8.
 *
 * Kept groups are taken four at a time (input channels k0..k3, zero-padded at open, like NEON
 * sdot). Four int8 pixel rows (64 pixels) are interleaved with two unpack levels so each int32 lane
 * holds one pixel's 4 channels; X is made unsigned (x ^ 0x80 = x + 128) for vpdpbusd and the 128 *
 * sum(w) it adds is taken out of the initial accumulator. The in-lane unpack order is undone for
 * free by the packs at requantization. Tile: 4 rows x 64 pixels (16 accumulators); 8x1 blocks run
 * as two 4-row halves. Outputs over 1 MiB are written with non-temporal stores when aligned (see the
 * f32 kernel: wide early layers are bound by output bandwidth). */
#include <immintrin.h>
#include <string.h>

#include "../internal.h"

#define EK_INLINE static inline __attribute__((always_inline))

EK_INLINE void tile(const ek_weights* w, int32_t b, int GM, int ROWS, int r0, const int8_t* X, size_t ldx, int8_t* Y,
                    size_t ldy, const float* mult, const int32_t* acc0, const ek_qs8_rq* rq, __mmask64 tail, int stream) {
  __m512i acc[4][4];
  const int32_t m0 = b * GM + r0;
  for (int r = 0; r < ROWS; r++) {
    const int32_t m = m0 + r < w->M ? m0 + r : 0;
    const __m512i a0 = _mm512_set1_epi32((int32_t)((uint32_t)acc0[m] - 128u * (uint32_t)w->q_wsum[m]));
    for (int v = 0; v < 4; v++) acc[r][v] = a0;
  }
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  const int32_t q_end = w->block_ptr[b + 1] / 4;
  const int8_t* wq = w->q8_quads + (int64_t)(w->block_ptr[b] / 4) * GM * 4 + 4 * r0;
  for (int32_t q = w->block_ptr[b] / 4; q < q_end; q++, wq += 4 * GM) {
    const int32_t* k = w->idx + 4 * q;
    __m512i rows[4];
    for (int j = 0; j < 4; j++) {
      const int8_t* x = X + (size_t)k[j] * ldx;
      rows[j] = _mm512_xor_si512(tail ? _mm512_maskz_loadu_epi8(tail, x) : _mm512_loadu_si512(x), flip);
    }
    const __m512i t0 = _mm512_unpacklo_epi8(rows[0], rows[1]), t1 = _mm512_unpackhi_epi8(rows[0], rows[1]);
    const __m512i t2 = _mm512_unpacklo_epi8(rows[2], rows[3]), t3 = _mm512_unpackhi_epi8(rows[2], rows[3]);
    const __m512i xq[4] = {_mm512_unpacklo_epi16(t0, t2), _mm512_unpackhi_epi16(t0, t2),
                           _mm512_unpacklo_epi16(t1, t3), _mm512_unpackhi_epi16(t1, t3)};
    for (int r = 0; r < ROWS; r++) {
      int32_t quad;
      memcpy(&quad, wq + 4 * r, 4);
      const __m512i wv = _mm512_set1_epi32(quad);
      for (int v = 0; v < 4; v++) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], xq[v], wv);
    }
  }
  /* Requantization in the integer domain after rounding: clamp(round(f) + zp) to the int8 range
   * [qmin, qmax] equals the reference's round(clamp(f, qmin - zp, qmax - zp)) + zp because rounding
   * is monotonic and the bounds are integers. f is capped at 2^30 first so vcvtps2dq never returns
   * its out-of-range value (INT_MIN) for a large positive f; the packs saturate, and zp is added in
   * saturating int16, so no intermediate wraps. 4 vector ops per 16 outputs fewer than float clamps. */
  const __m512 fcap = _mm512_set1_ps(0x1.0p30f);
  const __m512i zp16 = _mm512_set1_epi16((short)rq->zp_out);
  const __m512i qmin = _mm512_set1_epi8(rq->qmin), qmax = _mm512_set1_epi8(rq->qmax);
  for (int r = 0; r < ROWS && m0 + r < w->M; r++) {
    const __m512 mv = _mm512_set1_ps(mult[m0 + r]);
    __m512i q[4];
    for (int v = 0; v < 4; v++)
      q[v] = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc[r][v]), mv), fcap));
    /* Lane L of q[v] holds pixels 16L+4v..16L+4v+3; two in-lane packs restore pixel order. */
    const __m512i h0 = _mm512_adds_epi16(_mm512_packs_epi32(q[0], q[1]), zp16);
    const __m512i h1 = _mm512_adds_epi16(_mm512_packs_epi32(q[2], q[3]), zp16);
    const __m512i out = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(h0, h1), qmin), qmax);
    int8_t* dst = Y + (size_t)(m0 + r) * ldy;
    if (tail) _mm512_mask_storeu_epi8(dst, tail, out);
    else if (stream) _mm512_stream_si512((void*)dst, out);
    else _mm512_storeu_si512(dst, out);
  }
}

EK_INLINE void run(const ek_weights* w, int GM, int32_t N, const int8_t* X, size_t ldx, int8_t* Y, size_t ldy,
                   const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  const int ROWS = GM < 4 ? GM : 4;
  const int stream = ((uintptr_t)Y % 64 == 0) && (ldy % 64 == 0) && (size_t)w->M * ldy >= ((size_t)1 << 20);
  int32_t n = 0;
  for (; n < N; n += 64) {
    const __mmask64 tail = N - n >= 64 ? 0 : (((__mmask64)1 << (N - n)) - 1);
    for (int32_t b = 0; b < w->num_blocks; b++)
      for (int r0 = 0; r0 < GM; r0 += ROWS) tile(w, b, GM, ROWS, r0, X + n, ldx, Y + n, ldy, mult, acc0, rq, tail, stream);
  }
  if (stream) _mm_sfence();
}

void ek_qs8_gspmm__avx512(const ek_weights* w, int32_t N, const int8_t* X, size_t ldx, int8_t* Y, size_t ldy,
                          const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  switch (w->group_m) {
    case 8: run(w, 8, N, X, ldx, Y, ldy, mult, acc0, rq); break;
    case 4: run(w, 4, N, X, ldx, Y, ldy, mult, acc0, rq); break;
    default: run(w, 1, N, X, ldx, Y, ldy, mult, acc0, rq); break;
  }
}
