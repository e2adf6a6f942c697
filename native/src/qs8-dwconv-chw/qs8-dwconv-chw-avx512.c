/* qs8 depthwise CHW, AVX-512 VBMI + VNNI, reading the int8 plane in place.
 *
 * The AVX2 kernel widens every channel plane into a padded float copy first; on MobileNetV2 that
 * copy and the float taps made int8 depthwise 76% of the delegate's time. Here each tap row is one
 * vpdpbusd per 16 outputs: a masked 64-byte load of the input row (lanes outside [0, W) take the
 * input zero point, exactly what XNNPACK's zero buffer holds), x ^ 0x80 makes it unsigned
 * (u = x + 128), and one vpermb gathers, for output lane o, the quad u[o*sw + 4q + 0..3] that
 * meets the weight quad w[ky][4q + 0..3] (zero weights past kw). So
 *
 *   dot = sum over taps of w * (x' + 128),   x' = x inside the plane, zero point in the padding
 *   acc = bias - (zp + 128) * sum(w) + dot
 *       = bias + sum over in-bounds taps of w * (x - zp)          (the reference, mod 2^32)
 *
 * (an input row outside [0, H) is not loaded: it is all zp + 128, so acc0 is one constant). Products
 * are u8 x s8 and vpdpbusd adds them in exact int32 (wrapping like the reference). A pass computes 16
 * columns of R output rows (12 for 3x3 stride 1, else 8; 4 for the last OH % R and generic shapes),
 * loading and permuting each input row once for every output row it feeds, then requantizes four rows per vector (see pass):
 * bit-identical to ek_qs8_chw_requant. Any kh, kw <= 16 and stride <= 4; 3x3 / 5x5 at stride 1 / 2
 * are specialized so everything unrolls into registers. No scratch. */
#include "qs8-dwconv-chw.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include "qs8-avx512-vnni.h"
#include <string.h>

#define EK_MAX_K 16
#define EK_MAX_Q 4 /* quads per tap row: ceil(16 / 4) */
#define EK_MAX_R 12 /* output rows per pass (3x3 s1: 12 accumulators + 3 weights + constants fit 32 zmm) */

/* Byte l of the vpermb index is (l / 4) * SW + l % 4: output lane l / 4, byte l % 4 of its quad. */
static const uint8_t kLaneOutput[64] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15};
static const uint8_t kLaneByte[64] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
/* After packs_epi32 + packs_epi16 of rows r0..r3, column c of row k sits at byte 16*(c/4) + 4k + c%4;
 * byte 16k + c of this index fetches it, so 128-bit lane k holds row k. */
static const uint8_t kUnpack[64] = {0, 1, 2, 3, 16, 17, 18, 19, 32, 33, 34, 35, 48, 49, 50, 51, 4, 5, 6, 7, 20, 21, 22, 23, 36, 37, 38, 39, 52, 53, 54, 55, 8, 9, 10, 11, 24, 25, 26, 27, 40, 41, 42, 43, 56, 57, 58, 59, 12, 13, 14, 15, 28, 29, 30, 31, 44, 45, 46, 47, 60, 61, 62, 63};

/* What every pass of one call shares. */
typedef struct consts {
  __m512i vidx, vzp, flip, vzp_u, vacc0, vzp16, vmin8, vmax8, vunpack;
  __m512 vscale, vhi;
} consts;

/* Input row t of a pass, as tap row ky = t - r * SH of output row r. Rows outside [0, H) are all
 * zp + 128 (see the header), so every output row starts from the same acc0. */
EK_INLINE void tap_row(const consts* k, const int8_t* row, int inside, int32_t t, const __mmask64* m,
                       const int32_t* c0, const __m512i* wv, __m512i* acc, const int32_t R, const int32_t KH,
                       const int32_t NQ, const int32_t SH) {
#pragma GCC unroll 4
  for (int32_t q = 0; q < NQ; q++) {
    __m512i v = k->vzp_u;
    if (inside) /* masked-off lanes never fault, so the load may start before the row */
      v = _mm512_permutexvar_epi8(k->vidx,
                                  _mm512_xor_si512(_mm512_mask_loadu_epi8(k->vzp, m[q], row + c0[q]), k->flip));
#pragma GCC unroll 12
    for (int32_t r = 0; r < R; r++) {
      const int32_t ky = t - r * SH;
      if (ky >= 0 && ky < KH) acc[r] = _mm512_dpbusd_epi32(acc[r], v, wv[ky * NQ + q]);
    }
  }
}

/* 16 output columns of R output rows; each input row is loaded and permuted once. With constant
 * R, KH, NQ, SH (unroll) everything unrolls and the accumulators and weights stay in registers. */
EK_INLINE void pass(const consts* k, const int8_t* x, int32_t H, int32_t W, int32_t iy_first, const __mmask64* m,
                    const int32_t* c0, const __m512i* wv, int8_t* y, int32_t OW, int32_t nrows, int32_t n,
                    const int32_t R, const int32_t KH, const int32_t NQ, const int32_t SH, const int unroll,
                    const int fclamp) {
  __m512i acc[EK_MAX_R];
#pragma GCC unroll 12
  for (int32_t r = 0; r < R; r++) acc[r] = k->vacc0;
  const int32_t T = (R - 1) * SH + KH;
  const int8_t* row = x + (ptrdiff_t)iy_first * W;
  if (unroll) {
#pragma GCC unroll 32
    for (int32_t t = 0; t < T; t++, row += W)
      tap_row(k, row, iy_first + t >= 0 && iy_first + t < H, t, m, c0, wv, acc, R, KH, NQ, SH);
  } else {
    for (int32_t t = 0; t < T; t++, row += W)
      tap_row(k, row, iy_first + t >= 0 && iy_first + t < H, t, m, c0, wv, acc, R, KH, NQ, SH);
  }
  /* Four rows per vector, as the stem (qs8-conv-chw-avx512.c): f = (float)acc * scale, min(f, hi) in
   * fp32 (cvtps2dq turns f >= 2^31 into INT_MIN; !fclamp: |scale| < 1, it cannot), round half to even,
   * saturating packs (exact in range), + zp, max with output_min, then min with output_max (the
   * reference's upper clamp wins when min > max): clamp(round(f), lo, hi) + zp == ek_qs8_chw_requant,
   * as rounding is monotone and lo, hi are integers. vpermb puts row j in 128-bit lane j. */
#pragma GCC unroll 3
  for (int32_t r0 = 0; r0 < R; r0 += 4) {
    if (r0 >= nrows) break;
    __m512i q[4];
#pragma GCC unroll 4
    for (int32_t j = 0; j < 4; j++) {
      const __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[r0 + j]), k->vscale);
      q[j] = _mm512_cvtps_epi32(fclamp ? _mm512_min_ps(f, k->vhi) : f);
    }
    const __m512i p01 = _mm512_adds_epi16(_mm512_packs_epi32(q[0], q[1]), k->vzp16);
    const __m512i p23 = _mm512_adds_epi16(_mm512_packs_epi32(q[2], q[3]), k->vzp16);
    const __m512i b8 = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(p01, p23), k->vmin8), k->vmax8);
    const __m512i b = _mm512_permutexvar_epi8(k->vunpack, b8);
    int8_t* yr = y + (size_t)r0 * OW;
    const __m128i b0 = _mm512_castsi512_si128(b), b1 = _mm512_extracti32x4_epi32(b, 1);
    const __m128i b2 = _mm512_extracti32x4_epi32(b, 2), b3 = _mm512_extracti32x4_epi32(b, 3);
    if (n == 16 && r0 + 4 <= nrows) {
      _mm_storeu_si128((__m128i*)yr, b0);
      _mm_storeu_si128((__m128i*)(yr + OW), b1);
      _mm_storeu_si128((__m128i*)(yr + 2 * OW), b2);
      _mm_storeu_si128((__m128i*)(yr + 3 * OW), b3);
    } else {
      const __mmask16 store = (__mmask16)((1u << n) - 1u);
      _mm_mask_storeu_epi8(yr, store, b0);
      if (r0 + 1 < nrows) _mm_mask_storeu_epi8(yr + OW, store, b1);
      if (r0 + 2 < nrows) _mm_mask_storeu_epi8(yr + 2 * OW, store, b2);
      if (r0 + 3 < nrows) _mm_mask_storeu_epi8(yr + 3 * OW, store, b3);
    }
  }
}

EK_INLINE void conv(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias, float scale,
                    const ek_qs8_dwconv_params* p, int8_t* y, const int32_t KH, const int32_t KW, const int32_t SH,
                    const int32_t SW, const int32_t R, const int unroll, const int fclamp) {
  const int32_t H = g->H, W = g->W, OH = g->OH, OW = g->OW, pl = g->pad_left;
  const int32_t NQ = (KW + 3) / 4;
  __m512i wv[EK_MAX_K * EK_MAX_Q];
  int32_t sum = 0;
  for (int32_t ky = 0; ky < KH; ky++) {
    for (int32_t q = 0; q < NQ; q++) {
      int8_t quad[4] = {0, 0, 0, 0};
      int32_t wq;
      for (int32_t j = 0; j < 4 && 4 * q + j < KW; j++) quad[j] = w[ky * KW + 4 * q + j];
      memcpy(&wq, quad, 4);
      wv[ky * NQ + q] = _mm512_set1_epi32(wq);
    }
    for (int32_t kx = 0; kx < KW; kx++) sum += w[ky * KW + kx];
  }
  consts k;
  const __m512i lane_out = _mm512_loadu_si512(kLaneOutput);
  k.vidx = _mm512_loadu_si512(kLaneByte);
  for (int32_t i = 0; i < SW; i++) k.vidx = _mm512_add_epi8(k.vidx, lane_out);
  k.vzp = _mm512_set1_epi8((char)p->input_zero_point);
  k.flip = _mm512_set1_epi8((char)0x80);
  __asm__("" : "+v"(k.flip)); /* else GCC rebuilds the constant (mov + vpbroadcastd) for every row */
  k.vzp_u = _mm512_xor_si512(k.vzp, k.flip);
  /* Every tap outside the plane reads zp + 128 after the flip: acc = bias - (zp + 128) * sum(w) + dot. */
  k.vacc0 = _mm512_set1_epi32((int32_t)((uint32_t)bias - (uint32_t)(p->input_zero_point + 128) * (uint32_t)sum));
  k.vzp16 = _mm512_set1_epi16((short)p->output_zero_point);
  k.vmin8 = _mm512_set1_epi8((char)p->output_min);
  k.vmax8 = _mm512_set1_epi8((char)p->output_max);
  k.vunpack = _mm512_loadu_si512(kUnpack);
  k.vscale = _mm512_set1_ps(scale);
  k.vhi = _mm512_set1_ps((float)(p->output_max - p->output_zero_point));

  for (int32_t ox0 = 0; ox0 < OW; ox0 += 16) {
    const int32_t n = OW - ox0 < 16 ? OW - ox0 : 16;
    const int32_t span = (n - 1) * SW + 4; /* bytes one quad load needs */
    __mmask64 m[EK_MAX_Q];
    int32_t c0[EK_MAX_Q];
    for (int32_t q = 0; q < NQ; q++) {
      c0[q] = ox0 * SW - pl + 4 * q;
      m[q] = lane_mask(c0[q], W, span);
    }
    int32_t oy0 = 0;
    for (; oy0 + R <= OH; oy0 += R) {
      const int32_t iy_first = oy0 * SH - g->pad_top;
      int8_t* yb = y + (size_t)oy0 * OW + ox0;
      pass(&k, x, H, W, iy_first, m, c0, wv, yb, OW, R, n, R, KH, NQ, SH, unroll, fclamp);
    }
    /* The last OH % R rows four at a time (a full pass would compute up to R - 1 rows for nothing). */
    for (; oy0 < OH; oy0 += 4)
      pass(&k, x, H, W, oy0 * SH - g->pad_top, m, c0, wv, y + (size_t)oy0 * OW + ox0, OW,
           OH - oy0 < 4 ? OH - oy0 : 4, n, 4, KH, NQ, SH, unroll, fclamp);
  }
}

EK_TARGET_ATTR static void qs8_dwconv_avx512(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias,
                                             float scale, const ek_qs8_dwconv_params* p, int8_t* y, float* scratch) {
  (void)scratch;
  const int32_t k = g->kh == g->kw ? g->kh : 0, s = g->sh == g->sw ? g->sh : 0;
  /* |scale| < 1 keeps |(float)acc * scale| < 2^31, so cvtps2dq is exact and the int8 clamps suffice. */
  if (scale > -1.0f && scale < 1.0f) {
    if (k == 3 && s == 1) conv(g, x, w, bias, scale, p, y, 3, 3, 1, 1, 12, 1, 0);
    else if (k == 3 && s == 2) conv(g, x, w, bias, scale, p, y, 3, 3, 2, 2, 8, 1, 0);
    else if (k == 5 && s == 1) conv(g, x, w, bias, scale, p, y, 5, 5, 1, 1, 8, 1, 0);
    else if (k == 5 && s == 2) conv(g, x, w, bias, scale, p, y, 5, 5, 2, 2, 8, 1, 0);
    else conv(g, x, w, bias, scale, p, y, g->kh, g->kw, g->sh, g->sw, 4, 0, 1);
  } else {
    if (k == 3 && s == 1) conv(g, x, w, bias, scale, p, y, 3, 3, 1, 1, 8, 1, 1);
    else if (k == 3 && s == 2) conv(g, x, w, bias, scale, p, y, 3, 3, 2, 2, 8, 1, 1);
    else if (k == 5 && s == 1) conv(g, x, w, bias, scale, p, y, 5, 5, 1, 1, 8, 1, 1);
    else if (k == 5 && s == 2) conv(g, x, w, bias, scale, p, y, 5, 5, 2, 2, 8, 1, 1);
    else conv(g, x, w, bias, scale, p, y, g->kh, g->kw, g->sh, g->sw, 4, 0, 1);
  }
}

int ek_qs8_dwconv_chw_avx512_variant(const char** name, ek_qs8_dwconv_chw_fn* fn) {
  if (!ek_cpu_has_avx512_vbmi_vnni()) return 0;
  *name = "avx512vnni";
  *fn = qs8_dwconv_avx512;
  return 1;
}
#else
int ek_qs8_dwconv_chw_avx512_variant(const char** name, ek_qs8_dwconv_chw_fn* fn) {
  (void)name, (void)fn;
  return 0;
}
#endif
