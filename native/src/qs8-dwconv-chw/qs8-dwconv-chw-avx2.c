/* qs8 depthwise CHW, AVX2: int16 tap pairs and vpmaddwd, many channels per call.
 *
 * The old kernel widened each plane to a padded float plane and ran FMA (stride 2 computed every
 * column); 17 MobileNetV2 layers took 7.9 ms on Zen 3. Here each channel is copied into a padded int8
 * plane (a byte per pixel) whose padding - rows above and below, columns left and right - holds the
 * input zero point, as XNNPACK's zero buffer does; the zero points are written once per call, each
 * channel writes only its data rows. Every tap then reads a byte x' (x inside the plane, zp outside), and
 *
 *   acc = bias - zp * sum(w) + sum over taps of w * x'
 *       = bias + sum over in-bounds taps of w * (x - zp)          (the reference, mod 2^32)
 *
 * x' and w are int8, so vpmaddwd on sign-extended pairs sums two taps per int32 lane exactly (no
 * vpmaddubsw: it saturates). Pairs: stride 1, columns (kx, kx+1) by unpacking the rows loaded at kx
 * and kx+1 (lanes {0-3, 8-11} and {4-7, 12-15}); an odd last column pairs rows ky and ky+1. Stride 2,
 * bytes 2*ox + kx, 2*ox + kx + 1 are adjacent: the sign-extended load is the pair (an odd last column
 * pairs with weight 0). A pass computes 16 columns of R output rows (4, then 2 or 1 for the tail; 8 rows
 * of 8 columns at stride 2 when OW <= 8), each input row loaded once for every output row it feeds;
 * the last 16-column block ends at OW (overlapping), so stores are whole vectors. 3x3 and 5x5 at
 * strides 1 and 2 unroll into registers, other kernels run the same code in loops. Requantization as
 * requant16 + pack_rows (qs8-dwconv-chw-avx2.h): bit-identical to ek_qs8_chw_requant. Column strides
 * 3 and 4 run the reference. */
#include "qs8-dwconv-chw.h"


#define EK_MAX_R 8
#define EK_HALF_R 8 /* stride 2, OW <= 8: 8 output rows, only the sums of columns 0..7 (lo) */
#define EK_MAX_K 16
#define EK_MAX_NW 9                             /* weight vectors per tap row: 8 pairs + an odd column */

/* Bytes of a padded row: the last column block starts at max(OW - 16, 0) and reads 16 (stride 1) or 32
 * (stride 2) bytes from each tap column; multiple of 32 so the zero-point fill is whole vectors. */
static int32_t padded_stride(const ek_dwconv_geom* g) {
  const int32_t ox0 = g->OW > 16 ? g->OW - 16 : 0;
  int32_t need = g->sw == 1 ? ox0 + g->kw + 15 : 2 * ox0 + g->kw + 31;
  if (need < g->pad_left + g->W) need = g->pad_left + g->W;
  return (need + 31) / 32 * 32;
}

static int half_rows(const ek_dwconv_geom* g) { return g->sw == 2 && g->OW <= 8; }

/* Output rows computed: passes of 4, then the remainder as 4 (3 rows), 2 or 1; half: passes of 8. */
static int32_t rows_computed(const ek_dwconv_geom* g) {
  if (half_rows(g)) return (g->OH + 7) / 8 * 8;
  return g->OH % 4 == 3 ? g->OH + 1 : g->OH;
}

size_t ek_qs8_dwconv_chw_scratch(const ek_dwconv_geom* g) {
  /* Padded rows from iy = -pad_top, for every computed output row; the last row's right fill may
   * pass it by up to 31 bytes. */
  const size_t rows = (size_t)(rows_computed(g) - 1) * g->sh + g->kh;
  return ((size_t)padded_stride(g) * rows + 32 + sizeof(float) - 1) / sizeof(float);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include "qs8-dwconv-chw-avx2.h"

/* Data rows of the padded plane (row r of NR, stride S, holds input row r - pt from column pl); the
 * caller filled it with zero points once per call, and only data bytes are written here (the narrow
 * path's bytes past W are zero points too). Its own function: inlined into the kernels, GCC kept the
 * loop's pointers on the stack. */
EK_TARGET __attribute__((noinline)) static void copy_rows(const int8_t* x, int32_t H, int32_t W, int32_t pt,
                                                          int32_t pl, int32_t S, int32_t NR, int8_t zp, int8_t* buf) {
  const int32_t iy_end = NR - pt < H ? NR - pt : H;
  int8_t* d0 = buf + (size_t)pt * S + pl;
  if (W >= 32) { /* 32-byte pieces, the last one ending at W; up to 4 without a loop */
    for (int32_t iy = 0; iy < iy_end; iy++) {
      int8_t* d = d0 + (size_t)iy * S;
      const int8_t* src = x + (size_t)iy * W;
      _mm256_storeu_si256((__m256i*)d, _mm256_loadu_si256((const __m256i*)src));
      if (W > 64) _mm256_storeu_si256((__m256i*)(d + 32), _mm256_loadu_si256((const __m256i*)(src + 32)));
      if (W > 96) _mm256_storeu_si256((__m256i*)(d + 64), _mm256_loadu_si256((const __m256i*)(src + 64)));
      for (int32_t j = 96; j + 32 < W; j += 32)
        _mm256_storeu_si256((__m256i*)(d + j), _mm256_loadu_si256((const __m256i*)(src + j)));
      _mm256_storeu_si256((__m256i*)(d + W - 32), _mm256_loadu_si256((const __m256i*)(src + W - 32)));
    }
  } else if (W >= 16) {
    for (int32_t iy = 0; iy < iy_end; iy++) {
      int8_t* d = d0 + (size_t)iy * S;
      const int8_t* src = x + (size_t)iy * W;
      _mm_storeu_si128((__m128i*)d, _mm_loadu_si128((const __m128i*)src));
      _mm_storeu_si128((__m128i*)(d + W - 16), _mm_loadu_si128((const __m128i*)(src + W - 16)));
    }
  } else { /* 16-byte loads while 16 bytes remain in the plane; bytes past the row become zp (S >= pl + 16) */
    const __m128i tail = _mm_cmpgt_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                        _mm_set1_epi8((char)(W - 1)));
    const __m128i zp8 = _mm_set1_epi8((char)zp);
    const int32_t last = H - (16 + W - 1) / W; /* rows iy <= last have (H - iy) * W >= 16 bytes left */
    const int32_t n = last + 1 < iy_end ? (last + 1 > 0 ? last + 1 : 0) : iy_end;
    for (int32_t iy = 0; iy < n; iy++) {
      const __m128i v = _mm_loadu_si128((const __m128i*)(x + (size_t)iy * W));
      _mm_storeu_si128((__m128i*)(d0 + (size_t)iy * S), _mm_blendv_epi8(v, zp8, tail));
    }
    for (int32_t iy = n; iy < iy_end; iy++) copy_bytes(d0 + (size_t)iy * S, x + (size_t)iy * W, W);
  }
}

/* acc[r] += pair x weight pair j of tap row ky = t - r * SH, for the output rows that row t feeds
 * (even tap rows only for the stride-1 odd-column pairs). */
EK_INLINE void madd_rows(__m256i* lo, __m256i* hi, __m256i plo, __m256i phi, const __m256i* wv, int32_t t,
                         int32_t j, int even_only, const int32_t R, const int32_t KH, const int32_t NW,
                         const int32_t SH) {
#pragma GCC unroll 8
  for (int32_t r = 0; r < R; r++) {
    const int32_t ky = t - r * SH;
    if (ky < 0 || ky >= KH || (even_only && (ky & 1))) continue;
    lo[r] = _mm256_add_epi32(lo[r], _mm256_madd_epi16(plo, wv[ky * NW + j]));
    if (R == EK_HALF_R) {
      __asm__("" : "+x"(lo[r])); /* else GCC reassociates the sums: all products live, spills */
      continue;
    }
    hi[r] = _mm256_add_epi32(hi[r], _mm256_madd_epi16(phi, wv[ky * NW + j]));
    __asm__("" : "+x"(lo[r]), "+x"(hi[r]));
  }
}

/* Column pair j of input row t (p: its first byte for this block). */
EK_INLINE void column_pair(__m256i* lo, __m256i* hi, const int8_t* p, const __m256i* wv, int32_t t, int32_t j,
                           const int32_t R, const int32_t KH, const int32_t NW, const int32_t SH,
                           const int32_t SW) {
  if (SW == 1) {
    const __m256i a = sx16(p + 2 * j), b = sx16(p + 2 * j + 1);
    madd_rows(lo, hi, _mm256_unpacklo_epi16(a, b), _mm256_unpackhi_epi16(a, b), wv, t, j, 0, R, KH, NW, SH);
  } else {
    madd_rows(lo, hi, sx16(p + 2 * j), R == EK_HALF_R ? lo[0] : sx16(p + 2 * j + 16), wv, t, j, 0, R, KH, NW, SH);
  }
}

/* Input row t: its column pairs, then the odd last column. */
EK_INLINE void tap_row(__m256i* lo, __m256i* hi, __m256i* cprev, const int8_t* p, const __m256i* wv, int32_t t,
                       const int32_t R, const int32_t KH, const int32_t KW, const int32_t SH, const int32_t SW,
                       const int unroll) {
  const int32_t NP = KW / 2, NW = NP + (KW & 1);
  if (unroll) {
#pragma GCC unroll 8
    for (int32_t j = 0; j < NP; j++) column_pair(lo, hi, p, wv, t, j, R, KH, NW, SH, SW);
  } else {
    for (int32_t j = 0; j < NP; j++) column_pair(lo, hi, p, wv, t, j, R, KH, NW, SH, SW);
  }
  if (!(KW & 1)) return;
  if (SW == 2) { /* (x[2ox + KW - 1], junk) x (w, 0) */
    madd_rows(lo, hi, sx16(p + KW - 1), R == EK_HALF_R ? lo[0] : sx16(p + KW - 1 + 16), wv, t, NP, 0, R, KH, NW, SH);
    return;
  }
  /* Stride 1: the last column of rows t - 1 and t as one pair, for the output rows where t - 1 is an
   * even tap row (the pass pairs its last row with itself, weight 0 on the copy). */
  const __m256i c = sx16(p + KW - 1);
  if (t > 0)
    madd_rows(lo, hi, _mm256_unpacklo_epi16(*cprev, c), _mm256_unpackhi_epi16(*cprev, c), wv, t - 1, NP, 1, R, KH,
              NW, SH);
  *cprev = c;
}

/* 16 columns (n valid, from ox0) of R output rows, nrows of them stored. row0: the pass's first
 * padded input row (stride S); wv[ky * NW + j]: the int16 weight pair j of tap row ky. With constant R, KH, KW, SH,
 * SW and unroll, the loops unroll and the accumulators stay in registers. */
EK_INLINE void pass(const consts* k, const int8_t* row0, int32_t S, int32_t ox0, const __m256i* wv, int8_t* y,
                    int32_t OW, int32_t nrows, int32_t n, int32_t avail, const int32_t R, const int32_t KH,
                    const int32_t KW, const int32_t SH, const int32_t SW, const int unroll, const int fclamp) {
  const int32_t NW = KW / 2 + (KW & 1), T = (R - 1) * SH + KH;
  __m256i lo[EK_MAX_R], hi[EK_MAX_R];
#pragma GCC unroll 8
  for (int32_t r = 0; r < R; r++) lo[r] = hi[r] = k->acc0;
  __m256i cprev = _mm256_setzero_si256();
  if (unroll) {
#pragma GCC unroll 24
    for (int32_t t = 0; t < T; t++)
      tap_row(lo, hi, &cprev, row0 + (size_t)t * S + ox0 * SW, wv, t, R, KH, KW, SH, SW, 1);
  } else {
    for (int32_t t = 0; t < T; t++)
      tap_row(lo, hi, &cprev, row0 + (size_t)t * S + ox0 * SW, wv, t, R, KH, KW, SH, SW, 0);
  }
  if (SW == 1 && (KW & 1))
    madd_rows(lo, hi, _mm256_unpacklo_epi16(cprev, cprev), _mm256_unpackhi_epi16(cprev, cprev), wv, T - 1, NW - 1,
              1, R, KH, NW, SH);
  if (R == EK_HALF_R) { /* rows r..r+3 (lo: 8 columns each) in one vector, 8 bytes per row */
#pragma GCC unroll 2
    for (int32_t r = 0; r < R; r += 4) {
      if (r >= nrows) break;
      const __m256i q01 = requant16(k, lo[r], lo[r + 1], fclamp), q23 = requant16(k, lo[r + 2], lo[r + 3], fclamp);
      const __m256i b = pack_rows(k, q01, q23);
      const __m128i b0 = _mm256_castsi256_si128(b), b1 = _mm256_extracti128_si256(b, 1);
      const __m128i rows[4] = {b0, _mm_unpackhi_epi64(b0, b0), b1, _mm_unpackhi_epi64(b1, b1)};
#pragma GCC unroll 4
      for (int32_t j = 0; j < 4; j++) { /* 8-byte stores spill as the 16-byte ones below */
        if (r + j >= nrows) break;
        if ((r + j) * OW + 8 <= avail) _mm_storel_epi64((__m128i*)(y + (size_t)(r + j) * OW), rows[j]);
        else store_partial(y + (size_t)(r + j) * OW, rows[j], n);
      }
    }
    return;
  }
  /* Rows in pairs: packs to int8, clamps, one dword permute puts row r in the low 128 bits. */
#pragma GCC unroll 2
  for (int32_t r = 0; r < R; r += 2) {
    if (r >= nrows) break;
    const __m256i q0 = requant16(k, lo[r], hi[r], fclamp);
    const __m256i q1 = r + 1 < R ? requant16(k, lo[r + 1], hi[r + 1], fclamp) : q0;
    const __m256i b = pack_rows(k, q0, q1);
    const __m128i b0 = _mm256_castsi256_si128(b), b1 = _mm256_extracti128_si256(b, 1);
    /* n < 16: a 16-byte store spills into the next rows (rewritten later) unless it would pass the
     * plane's end (avail bytes from y). */
    if (n == 16 || r * OW + 16 <= avail) _mm_storeu_si128((__m128i*)(y + (size_t)r * OW), b0);
    else store_partial(y + (size_t)r * OW, b0, n);
    if (r + 1 < nrows) {
      if (n == 16 || (r + 1) * OW + 16 <= avail) _mm_storeu_si128((__m128i*)(y + (size_t)(r + 1) * OW), b1);
      else store_partial(y + (size_t)(r + 1) * OW, b1, n);
    }
  }
}

/* R output rows from oy0, every column block. */
EK_INLINE void row_pass(const consts* k, const int8_t* buf, int32_t S, int32_t oy0, const __m256i* wv, int8_t* y,
                        int32_t OH, int32_t OW, int32_t nrows, const int32_t R, const int32_t KH, const int32_t KW,
                        const int32_t SH, const int32_t SW, const int unroll, const int fclamp) {
  const int8_t* row0 = buf + (size_t)oy0 * SH * S;
  int8_t* yr = y + (size_t)oy0 * OW;
  if (OW < 16) {
    pass(k, row0, S, 0, wv, yr, OW, nrows, OW, (OH - oy0) * OW, R, KH, KW, SH, SW, unroll, fclamp);
    return;
  }
  for (int32_t b = 0;; b += 16) { /* the last block ends at OW (overlapping the previous one) */
    const int32_t ox0 = b + 16 > OW ? OW - 16 : b;
    /* Opaque per block: weights and constants stay memory operands, leaving registers to the sums. */
    const __m256i* wvb = wv;
    const consts* kb = k;
    __asm__("" : "+r"(wvb), "+r"(kb));
    /* avail is unused at n == 16 */
    pass(kb, row0, S, ox0, wvb, yr + ox0, OW, nrows, 16, 0, R, KH, KW, SH, SW, unroll, fclamp);
    if (b + 16 >= OW) break;
  }
}

/* Every output row of one channel (k: its acc0 and scale set). */
EK_INLINE void rows(const consts* k, const int8_t* buf, int32_t S, const __m256i* wv, int8_t* y, int32_t OH,
                    int32_t OW, const int32_t KH, const int32_t KW, const int32_t SH, const int32_t SW,
                    const int unroll, const int fclamp) {
  int32_t oy0 = 0;
  if (SW == 2 && OW <= 8) {
    for (; oy0 < OH; oy0 += 8)
      row_pass(k, buf, S, oy0, wv, y, OH, OW, OH - oy0 < 8 ? OH - oy0 : 8, EK_HALF_R, KH, KW, SH, SW, unroll, fclamp);
    return;
  }
  for (; oy0 + 4 <= OH; oy0 += 4) row_pass(k, buf, S, oy0, wv, y, OH, OW, 4, 4, KH, KW, SH, SW, unroll, fclamp);
  const int32_t rem = OH - oy0;
  if (rem == 3) row_pass(k, buf, S, oy0, wv, y, OH, OW, 3, 4, KH, KW, SH, SW, unroll, fclamp);
  else if (rem == 2) row_pass(k, buf, S, oy0, wv, y, OH, OW, 2, 2, KH, KW, SH, SW, unroll, fclamp);
  else if (rem == 1) row_pass(k, buf, S, oy0, wv, y, OH, OW, 1, 1, KH, KW, SH, SW, unroll, fclamp);
}

/* wv[ky * NW + j]: the int16 weight pair j of tap row ky (columns 2j, 2j + 1; an odd last column pairs
 * with the next tap row at stride 1, with 0 at stride 2). Returns sum(w) mod 2^32. */
EK_INLINE uint32_t weight_pairs(const int8_t* wc, __m256i* wv, const int32_t KH, const int32_t KW, const int32_t SW,
                                const int unroll) {
  if (KH == 3 && KW == 3 && unroll) { /* MobileNet's shape: one shuffle of w0..w7 */
    const __m128i w07 = _mm_loadl_epi64((const __m128i*)wc);
    const __m128i pairs = _mm_setr_epi8(0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 4, 5, 10, 11); /* w01 w34 w67 w25 */
    const __m256i q = _mm256_broadcastsi128_si256(_mm_shuffle_epi8(_mm_cvtepi8_epi16(w07), pairs));
    const uint32_t w2 = (uint16_t)(int16_t)wc[2], w5 = (uint16_t)(int16_t)wc[5], w8 = (uint16_t)(int16_t)wc[8];
    wv[0] = _mm256_shuffle_epi32(q, 0x00);
    wv[1] = SW == 1 ? _mm256_shuffle_epi32(q, 0xFF) : _mm256_set1_epi32((int32_t)w2);
    wv[2] = _mm256_shuffle_epi32(q, 0x55);
    wv[3] = _mm256_set1_epi32((int32_t)(SW == 1 ? w5 | w8 << 16 : w5));
    wv[4] = _mm256_shuffle_epi32(q, 0xAA);
    wv[5] = _mm256_set1_epi32((int32_t)w8);
    /* sum(w0..w7) = sum of the bytes ^ 0x80 as unsigned - 8 * 128 */
    const __m128i u = _mm_xor_si128(w07, _mm_set1_epi8((char)0x80));
    return (uint32_t)(_mm_cvtsi128_si32(_mm_sad_epu8(u, _mm_setzero_si128())) - 1024 + wc[8]);
  }
  const int32_t NW = KW / 2 + (KW & 1);
  uint32_t sum = 0;
  for (int32_t ky = 0; ky < KH; ky++) {
    for (int32_t j = 0; j < NW; j++) {
      const int32_t kx = 2 * j;
      const int16_t a = wc[ky * KW + kx];
      int16_t b = 0;
      if (kx + 1 < KW) b = wc[ky * KW + kx + 1];
      else if (SW == 1 && ky + 1 < KH) b = wc[(ky + 1) * KW + kx];
      wv[ky * NW + j] = _mm256_set1_epi32((int32_t)((uint32_t)(uint16_t)a | (uint32_t)(uint16_t)b << 16));
    }
    for (int32_t kx = 0; kx < KW; kx++) sum += (uint32_t)(int32_t)wc[ky * KW + kx];
  }
  return sum;
}

/* C channels (as ek_qs8_dwconv_chw_multi): the padded plane's zero points and the constants once per
 * call, then per channel its weight pairs, acc0, scale and data rows. */
EK_INLINE void conv(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld, const int8_t* w,
                    const int32_t* bias, const float* mult, const ek_qs8_dwconv_params* p, int8_t* y, int64_t y_ld,
                    float* scratch, const int32_t KH, const int32_t KW, const int32_t SH, const int32_t SW,
                    const int unroll) {
  const int32_t H = g->H, W = g->W, OH = g->OH, OW = g->OW, pl = g->pad_left, pt = g->pad_top;
  const int32_t S = padded_stride(g), NR = (rows_computed(g) - 1) * SH + KH;
  int8_t* buf = (int8_t*)scratch;
  const __m256i zp8 = _mm256_set1_epi8((char)p->input_zero_point);
  for (size_t j = 0; j < (size_t)NR * S; j += 32) _mm256_storeu_si256((__m256i*)(buf + j), zp8);
  consts k;
  set_requant(&k, 0.0f, p);
  k.perm = SW == 1 ? _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7) : _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  __m256i wv[EK_MAX_K * EK_MAX_NW];
  for (int32_t c = 0; c < C; c++) {
    const int8_t* wc = w + (size_t)c * KH * KW;
    const uint32_t sum = weight_pairs(wc, wv, KH, KW, SW, unroll);
    k.acc0 = _mm256_set1_epi32((int32_t)((uint32_t)bias[c] - (uint32_t)p->input_zero_point * sum));
    k.scale = _mm256_set1_ps(mult[c]);
    copy_rows(x + c * x_ld, H, W, pt, pl, S, NR, (int8_t)p->input_zero_point, buf);
    /* |scale| < 1 keeps |acc * scale| < 2^31: cvtps2dq is exact without the fp32 upper clamp. */
    const int fclamp = !(unroll && mult[c] > -1.0f && mult[c] < 1.0f);
    if (fclamp) rows(&k, buf, S, wv, y + c * y_ld, OH, OW, KH, KW, SH, SW, unroll, 1);
    else rows(&k, buf, S, wv, y + c * y_ld, OH, OW, KH, KW, SH, SW, unroll, 0);
  }
}

/* One function per specialization: inlined into a single dispatcher, GCC's register allocation over
 * all of them spilled in the hot loops. */
#define EK_ARGS                                                                                              \
  const ek_dwconv_geom *g, int32_t C, const int8_t *x, int64_t x_ld, const int8_t *w, const int32_t *bias, \
      const float *mult, const ek_qs8_dwconv_params *p, int8_t *y, int64_t y_ld, float *scratch
#define EK_SPECIALIZE(name, KH, KW, SH, SW, UNROLL)                                \
  EK_TARGET __attribute__((noinline)) static void name(EK_ARGS) {                  \
    conv(g, C, x, x_ld, w, bias, mult, p, y, y_ld, scratch, KH, KW, SH, SW, UNROLL); \
  }
EK_SPECIALIZE(conv_3x3s1, 3, 3, 1, 1, 1)
EK_SPECIALIZE(conv_3x3s2, 3, 3, 2, 2, 1)
EK_SPECIALIZE(conv_5x5s1, 5, 5, 1, 1, 1)
EK_SPECIALIZE(conv_5x5s2, 5, 5, 2, 2, 1)
EK_SPECIALIZE(conv_any_sw1, g->kh, g->kw, g->sh, 1, 0)
EK_SPECIALIZE(conv_any_sw2, g->kh, g->kw, g->sh, 2, 0)

int ek_qs8_dwconv_chw_multi__avx2_rows_available(const ek_dwconv_geom* g) {
  static int cpu = -1; /* benign race: every thread computes the same value */
  if (cpu < 0) {
    __builtin_cpu_init();
    cpu = __builtin_cpu_supports("avx2") != 0;
  }
  return cpu && (g->sw == 1 || g->sw == 2);
}

void ek_qs8_dwconv_chw_multi__avx2_rows(EK_ARGS) {
  const int32_t k = g->kh == g->kw ? g->kh : 0, s = g->sh == g->sw ? g->sh : 0;
  if (k == 3 && s == 1) conv_3x3s1(g, C, x, x_ld, w, bias, mult, p, y, y_ld, scratch);
  else if (k == 3 && s == 2) conv_3x3s2(g, C, x, x_ld, w, bias, mult, p, y, y_ld, scratch);
  else if (k == 5 && s == 1) conv_5x5s1(g, C, x, x_ld, w, bias, mult, p, y, y_ld, scratch);
  else if (k == 5 && s == 2) conv_5x5s2(g, C, x, x_ld, w, bias, mult, p, y, y_ld, scratch);
  else if (g->sw == 1) conv_any_sw1(g, C, x, x_ld, w, bias, mult, p, y, y_ld, scratch);
  else conv_any_sw2(g, C, x, x_ld, w, bias, mult, p, y, y_ld, scratch);
}

static void qs8_dwconv_avx2(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias, float scale,
                            const ek_qs8_dwconv_params* p, int8_t* y, float* scratch) {
  if (g->sw == 1 || g->sw == 2) ek_qs8_dwconv_chw_multi__avx2_rows(g, 1, x, 0, w, &bias, &scale, p, y, 0, scratch);
  else ek_qs8_dwconv_chw_ref(g, x, w, bias, scale, p, y, scratch);
}

int ek_qs8_dwconv_chw_variants(const char** names, ek_qs8_dwconv_chw_fn* fns, int max) {
  __builtin_cpu_init();
  int n = 0;
  if (n < max && __builtin_cpu_supports("avx2")) {
    names[n] = "avx2";
    fns[n++] = qs8_dwconv_avx2;
  }
  if (n < max && ek_qs8_dwconv_chw_avx512_variant(&names[n], &fns[n])) n++;
  return n;
}
#else
int ek_qs8_dwconv_chw_multi__avx2_rows_available(const ek_dwconv_geom* g) {
  (void)g;
  return 0;
}
void ek_qs8_dwconv_chw_multi__avx2_rows(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld,
                                        const int8_t* w, const int32_t* bias, const float* mult,
                                        const ek_qs8_dwconv_params* p, int8_t* y, int64_t y_ld, float* scratch) {
  (void)g, (void)C, (void)x, (void)x_ld, (void)w, (void)bias, (void)mult, (void)p, (void)y, (void)y_ld, (void)scratch;
}
int ek_qs8_dwconv_chw_variants(const char** names, ek_qs8_dwconv_chw_fn* fns, int max) {
  return max > 0 ? ek_qs8_dwconv_chw_neon_variant(&names[0], &fns[0]) : 0; /* AArch64: NEON, else none */
}
#endif
