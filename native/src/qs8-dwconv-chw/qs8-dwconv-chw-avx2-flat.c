/* qs8 depthwise CHW, AVX2, many channels of a small 3x3 stride-1 plane per call.
 *
 * The row kernel (qs8-dwconv-chw-avx2.c) pads every row to whole 16-column blocks: a 7-wide plane
 * fills 7 of 16 lanes and per-channel setup dominates. Here the plane is flat, as in
 * qs8-dwconv-chw-avx512-flat.c: with OW == W, output i = oy * W + ox reads input
 * i + (ky - pad_top) * W + (kx - pad_left), so 16 consecutive outputs read 16 consecutive bytes per tap.
 * Each channel is copied into a buffer whose margins hold the input zero point (rows above and below
 * the plane); a tap column that leaves the row (ox + kx - pad_left outside [0, W)) reads the previous
 * or next row instead, and a blend with masks computed once per call for every channel sends those
 * lanes to the zero point. Then, as in the row kernel,
 *
 *   acc = bias - zp * sum(w) + sum over taps of w * x'
 *       = bias + sum over in-bounds taps of w * (x - zp)          (the reference, mod 2^32)
 *
 * with tap pairs (kx 0, 1) of each row and (ky 0, 1), (2, -) of column 2 through vpmaddwd, and the same
 * requantization (bit-identical to ek_qs8_chw_requant). Blocks go in pairs (one pack for 32 outputs);
 * the last block ends at OH * OW (overlapping the previous one), so every store is whole and inside
 * the plane unless the plane has fewer than 16 outputs. */
#include "qs8-dwconv-chw.h"

#define EK_MAX_BLOCKS (EK_QS8_DWCONV_FLAT_AVX2_MAX_PLANE / 16)
#define EK_MARGIN (2 * EK_QS8_DWCONV_FLAT_AVX2_MAX_W + 32) /* >= 2 rows + 2 columns + a vector, x32 */

#if defined(__x86_64__) && defined(__GNUC__)
#include "qs8-dwconv-chw-avx2.h"

int ek_qs8_dwconv_chw_avx2_flat_available(const ek_dwconv_geom* g) {
  static int cpu = -1; /* benign race: every thread computes the same value */
  if (cpu < 0) {
    __builtin_cpu_init();
    cpu = __builtin_cpu_supports("avx2") != 0;
  }
  return cpu && g->kh == 3 && g->kw == 3 && g->sh == 1 && g->sw == 1 && g->OW == g->W && g->OH >= 1 && g->W >= 1 &&
         g->H >= 1 && g->pad_top >= 0 && g->pad_top < 3 && g->pad_left >= 0 && g->pad_left < 3 &&
         g->W <= EK_QS8_DWCONV_FLAT_AVX2_MAX_W && (int64_t)g->OH * g->OW <= EK_QS8_DWCONV_FLAT_AVX2_MAX_PLANE;
}

/* Sums of the 16 outputs from i0 (lanes {0-3, 8-11} in lo, {4-7, 12-15} in hi). m[kx]: lanes whose
 * tap column kx leaves the row; column PL (kx == pad_left) never does. wv: the five weight pairs. */
EK_INLINE void block(const int8_t* base, int32_t i0, int32_t W, int32_t pt, const __m256i* m, __m256i zp16,
                     const __m256i* wv, __m256i acc0, __m256i* lo, __m256i* hi, const int32_t PL) {
  __m256i a = acc0, b = acc0, c[3];
#pragma GCC unroll 3
  for (int32_t ky = 0; ky < 3; ky++) {
    const int8_t* p = base + i0 + (ky - pt) * W - PL;
    __m256i v0 = sx16(p), v1 = sx16(p + 1), v2 = sx16(p + 2);
    if (PL != 0) v0 = _mm256_blendv_epi8(v0, zp16, m[0]);
    if (PL != 1) v1 = _mm256_blendv_epi8(v1, zp16, m[1]);
    if (PL != 2) v2 = _mm256_blendv_epi8(v2, zp16, m[2]);
    a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_unpacklo_epi16(v0, v1), wv[ky]));
    b = _mm256_add_epi32(b, _mm256_madd_epi16(_mm256_unpackhi_epi16(v0, v1), wv[ky]));
    c[ky] = v2;
  }
  a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_unpacklo_epi16(c[0], c[1]), wv[3]));
  b = _mm256_add_epi32(b, _mm256_madd_epi16(_mm256_unpackhi_epi16(c[0], c[1]), wv[3]));
  a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_unpacklo_epi16(c[2], c[2]), wv[4]));
  b = _mm256_add_epi32(b, _mm256_madd_epi16(_mm256_unpackhi_epi16(c[2], c[2]), wv[4]));
  *lo = a, *hi = b;
}

/* The blocks of one channel (pairs share a pack; an odd last block packs with itself). */
EK_INLINE void blocks(const consts* k, const int8_t* base, const int32_t* i0, int32_t nb, int32_t n, int32_t W,
                      int32_t pt, const __m256i (*mask)[3], __m256i zp16, const __m256i* wv, int8_t* yc,
                      const int32_t PL, const int fclamp) {
  int32_t bi = 0;
  for (; bi + 2 <= nb; bi += 2) {
    __m256i l0, h0, l1, h1;
    block(base, i0[bi], W, pt, mask[bi], zp16, wv, k->acc0, &l0, &h0, PL);
    block(base, i0[bi + 1], W, pt, mask[bi + 1], zp16, wv, k->acc0, &l1, &h1, PL);
    const __m256i b = pack_rows(k, requant16(k, l0, h0, fclamp), requant16(k, l1, h1, fclamp));
    _mm_storeu_si128((__m128i*)(yc + i0[bi]), _mm256_castsi256_si128(b));
    _mm_storeu_si128((__m128i*)(yc + i0[bi + 1]), _mm256_extracti128_si256(b, 1));
  }
  if (bi < nb) {
    __m256i l0, h0;
    block(base, i0[bi], W, pt, mask[bi], zp16, wv, k->acc0, &l0, &h0, PL);
    const __m256i q = requant16(k, l0, h0, fclamp);
    const __m128i b = _mm256_castsi256_si128(pack_rows(k, q, q));
    if (n >= 16) _mm_storeu_si128((__m128i*)(yc + i0[bi]), b);
    else store_partial(yc, b, n);
  }
}

EK_INLINE void channels(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld, const int8_t* w,
                        const int32_t* bias, const float* mult, const ek_qs8_dwconv_params* p, int8_t* y,
                        int64_t y_ld, const int32_t PL) {
  const int32_t H = g->H, W = g->W, OH = g->OH, pt = g->pad_top, n = OH * W;
  const int32_t rows = OH - pt + 2 < H ? OH - pt + 2 : H; /* rows the outputs read */
  const int32_t nb = (n + 15) / 16;
  /* Zero-point margins around the plane: rows above (from -2 W - 2), below, and past the last block. */
  int8_t buf[EK_MARGIN + EK_QS8_DWCONV_FLAT_AVX2_MAX_PLANE + 16 + EK_MARGIN];
  int8_t* base = buf + EK_MARGIN;
  memset(buf, p->input_zero_point, sizeof buf);
  /* Per block: first output, masks of the lanes whose tap column kx leaves the row. */
  int32_t i0[EK_MAX_BLOCKS];
  __m256i mask[EK_MAX_BLOCKS][3];
  for (int32_t bi = 0; bi < nb; bi++) {
    i0[bi] = bi + 1 < nb ? 16 * bi : (n >= 16 ? n - 16 : 0);
    for (int32_t kx = 0; kx < 3; kx++) {
      int16_t lanes[16];
      for (int32_t l = 0; l < 16; l++) {
        const int32_t ix = (i0[bi] + l) % W + kx - PL;
        lanes[l] = (int16_t)(ix < 0 || ix >= W ? -1 : 0);
      }
      mask[bi][kx] = _mm256_loadu_si256((const __m256i*)lanes);
    }
  }
  const __m256i zp16 = _mm256_set1_epi16((short)p->input_zero_point);
  /* Weight pairs (w0, w1), (w3, w4), (w6, w7), (w2, w5) from the int16 weights, then (w8, 0). */
  const __m128i pairs = _mm_setr_epi8(0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 4, 5, 10, 11);
  consts k;
  set_requant(&k, 0.0f, p);
  k.perm = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
  for (int32_t c = 0; c < C; c++) {
    const int8_t* wc = w + 9 * c;
    const __m128i w8 = _mm_loadl_epi64((const __m128i*)wc); /* w0..w7 */
    const __m256i q = _mm256_broadcastsi128_si256(_mm_shuffle_epi8(_mm_cvtepi8_epi16(w8), pairs));
    const __m256i wv[5] = {_mm256_shuffle_epi32(q, 0x00), _mm256_shuffle_epi32(q, 0x55), _mm256_shuffle_epi32(q, 0xAA),
                           _mm256_shuffle_epi32(q, 0xFF), _mm256_set1_epi32((int32_t)(uint16_t)(int16_t)wc[8])};
    /* sum(w0..w7) = sum of the bytes ^ 0x80 (as unsigned) - 8 * 128 */
    const __m128i u = _mm_xor_si128(w8, _mm_set1_epi8((char)0x80));
    const int32_t sum8 = _mm_cvtsi128_si32(_mm_sad_epu8(u, _mm_setzero_si128())) - 1024;
    const uint32_t sum = (uint32_t)(sum8 + wc[8]);
    k.acc0 = _mm256_set1_epi32((int32_t)((uint32_t)bias[c] - (uint32_t)p->input_zero_point * sum));
    k.scale = _mm256_set1_ps(mult[c]);
    copy_bytes(base, x + c * x_ld, rows * W);
    /* |scale| < 1 keeps |acc * scale| < 2^31: no fp32 upper clamp (see requant16). */
    if (mult[c] > -1.0f && mult[c] < 1.0f) blocks(&k, base, i0, nb, n, W, pt, mask, zp16, wv, y + c * y_ld, PL, 0);
    else blocks(&k, base, i0, nb, n, W, pt, mask, zp16, wv, y + c * y_ld, PL, 1);
  }
}

EK_TARGET void ek_qs8_dwconv_chw_multi__avx2_flat(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld,
                                                  const int8_t* w, const int32_t* bias, const float* mult,
                                                  const ek_qs8_dwconv_params* p, int8_t* y, int64_t y_ld) {
  if (g->pad_left == 1) channels(g, C, x, x_ld, w, bias, mult, p, y, y_ld, 1);
  else if (g->pad_left == 0) channels(g, C, x, x_ld, w, bias, mult, p, y, y_ld, 0);
  else channels(g, C, x, x_ld, w, bias, mult, p, y, y_ld, 2);
}
#else
int ek_qs8_dwconv_chw_avx2_flat_available(const ek_dwconv_geom* g) {
  (void)g;
  return 0;
}
void ek_qs8_dwconv_chw_multi__avx2_flat(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld,
                                        const int8_t* w, const int32_t* bias, const float* mult,
                                        const ek_qs8_dwconv_params* p, int8_t* y, int64_t y_ld) {
  (void)g, (void)C, (void)x, (void)x_ld, (void)w, (void)bias, (void)mult, (void)p, (void)y, (void)y_ld;
}
#endif
