/* qs8 dense CHW convolution, AVX2 (the stem on CPUs without AVX-512 VNNI): vpmaddwd on int16 pairs.
 *
 * Per output row, each tap row (c, ky) it reads is widened once to int16 x - zero_point (in
 * [-255, 255]), zero outside the plane, into a padded scratch row X[r] (r = c*kh + ky, index
 * ix + pad_left). The C*kh*kw taps are cut into pairs: in-row pairs (kx, kx+1) for even kx, and
 * when kw is odd the last taps (r, kw-1) of two consecutive rows (a lone last one pairs with zero
 * weight), so the 3x3x3 stem is 9 + 5 = 14 pairs. For 8 output columns, pair p is one vector of
 * eight (x_t0, x_t1) int16 pairs: at stride 2 an in-row pair is a plain 32-byte load of X[r] (the
 * two taps of output o are the adjacent X[r][2o+kx], X[r][2o+kx+1]), a cross-row pair one blend of
 * two such loads; at stride 1, unpacks of two 16-byte loads. Every output channel then adds
 * vpmaddwd(pair, its (w_t0, w_t1) broadcast) into its int32 accumulator:
 *
 *   acc = bias + sum over in-bounds taps of w * (x - zp)       (exact: |w0 x0 + w1 x1| <= 65280)
 *
 * wrapping mod 2^32 as the reference. No vpmaddubsw: u8 x s8 pair sums saturate at int16.
 * The pair vectors of 8 columns are built once and shared by all output channels (8 per pass,
 * then 4; M padded to 4 with zero weights). Requantization as qs8-conv-chw-avx512.c, four channels
 * per vector: fp32 min with hi, round half to even (cvtps2dq), packs, + zp, packs, max with
 * output_min = ek_qs8_chw_requant's bits. */
#include "qs8-conv-chw-internal.h"

#include <string.h>

#define EK_MAX_NP 128 /* pairs: C*kh*kw <= 256 taps */

static int32_t num_pairs(const ek_conv_geom* g) {
  const int32_t R = g->C * g->kh;
  return R * (g->kw / 2) + (g->kw % 2 ? (R + 1) / 2 : 0);
}
static int32_t padded_m(const ek_conv_geom* g) { return (g->M + 3) & ~3; }
/* int16 per X row: the widest read (8-column groups, stride sw, kw taps, one past at stride 2), to 16. */
static int32_t row_width(const ek_conv_geom* g) { return (g->sw * ((g->OW + 7) & ~7) + g->kw + 15) & ~15; }

size_t ek_qs8_conv_chw_avx2_scratch(const ek_conv_geom* g) { /* wq [Mp][NP], bias [Mp], mult [Mp], X rows */
  const size_t mp = (size_t)padded_m(g), np = (size_t)num_pairs(g);
  return mp * np + 2 * mp + (size_t)g->C * (size_t)g->kh * (size_t)row_width(g) / 2 + 8;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define EK_INLINE __attribute__((target("avx2"), always_inline)) static inline

/* Pair p: tap row r and column kx of its first tap; its second tap is (r, kx + 1) (in-row, p below
 * R * (KW/2)) or (r + 1, kx) (cross-row; none when r + 1 == R). Constants once KW, R are. */
EK_INLINE void pair_taps(int32_t p, int32_t R, int32_t KW, int32_t* r, int32_t* kx, int32_t* kind) {
  const int32_t ip = KW / 2;
  if (p < R * ip) {
    *r = p / ip, *kx = 2 * (p % ip), *kind = 0;
  } else {
    *r = 2 * (p - R * ip), *kx = KW - 1, *kind = *r + 1 < R ? 1 : 2;
  }
}

/* The NP pair vectors of the 8 output columns from ox0, into v[p * CG]. */
EK_INLINE void build_pairs(const int16_t* X, int32_t XW, int32_t ox0, int32_t R, int32_t KW, int32_t SW, int32_t NP,
                           int32_t CG, __m256i* v) {
#pragma GCC unroll 16
  for (int32_t p = 0; p < NP; p++) {
    int32_t r, kx, kind;
    pair_taps(p, R, KW, &r, &kx, &kind);
    const int16_t* a = X + (size_t)r * XW + ox0 * SW + kx;
    if (SW == 2) {
      const __m256i va = _mm256_loadu_si256((const __m256i*)a); /* lanes (a[2o], a[2o+1]) */
      v[p * CG] = kind == 1 ? _mm256_blend_epi16(va, _mm256_slli_epi32(_mm256_loadu_si256((const __m256i*)(a + XW)), 16), 0xAA)
                       : va; /* kind 2: the second tap has zero weight */
    } else {
      const __m128i lo = _mm_loadu_si128((const __m128i*)a);
      const __m128i hi = _mm_loadu_si128((const __m128i*)(kind == 0 ? a + 1 : kind == 1 ? a + XW : a));
      v[p * CG] = _mm256_set_m128i(_mm_unpackhi_epi16(lo, hi), _mm_unpacklo_epi16(lo, hi));
    }
  }
}

typedef struct qparams {
  __m256 vhi;
  __m256i vzp16, vmin8, vperm;
} qparams;

/* 4 channels of one 8-column group, requantized into one vector and stored (n <= 8 columns). */
EK_INLINE void requant4(const __m256i* acc, const float* mult, const qparams* q, int8_t* y, int64_t y_ld, int32_t ns,
                        int32_t n) {
  __m256i r[4];
#pragma GCC unroll 4
  for (int32_t k = 0; k < 4; k++)
    r[k] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc[k]), _mm256_set1_ps(mult[k])), q->vhi));
  /* In-lane packs leave [c0 c1 c2 c3 | c0 c1 c2 c3] by 4-column groups; the dword permute gives
   * each channel its 8 bytes in order (channel k at bytes 8k). */
  const __m256i p01 = _mm256_adds_epi16(_mm256_packs_epi32(r[0], r[1]), q->vzp16);
  const __m256i p23 = _mm256_adds_epi16(_mm256_packs_epi32(r[2], r[3]), q->vzp16);
  const __m256i b = _mm256_permutevar8x32_epi32(_mm256_max_epi8(_mm256_packs_epi16(p01, p23), q->vmin8), q->vperm);
  if (n == 8 && ns >= 4) {
    const __m128i b01 = _mm256_castsi256_si128(b), b23 = _mm256_extracti128_si256(b, 1);
    _mm_storel_epi64((__m128i*)y, b01);
    _mm_storeh_pi((__m64*)(y + y_ld), _mm_castsi128_ps(b01)); /* movhps: no alignment */
    _mm_storel_epi64((__m128i*)(y + 2 * y_ld), b23);
    _mm_storeh_pi((__m64*)(y + 3 * y_ld), _mm_castsi128_ps(b23));
  } else {
    int8_t tmp[32];
    _mm256_storeu_si256((__m256i*)tmp, b);
    for (int32_t k = 0; k < (ns < 4 ? ns : 4); k++) memcpy(y + k * y_ld, tmp + 8 * k, (size_t)n);
  }
}

/* NB (a multiple of 4) output channels of CG 8-column groups (n columns in all, more than 8 * (CG - 1)):
 * NP vpmaddwd per accumulator, then the requantization. v: [NP][CG] pair vectors; wq: [NP][NB]
 * weight pairs; y: channel 0's first column; nstore: channels left before M. */
EK_INLINE void channels(const int32_t NB, const int32_t CG, const __m256i* v, const int32_t NP, const int32_t* wq,
                        const int32_t* bias, const float* mult, const qparams* q, int8_t* y, int64_t y_ld,
                        int32_t nstore, int32_t n) {
  /* The pair vectors are read from memory (one load each feeding NB vpmaddwd): without this GCC
   * keeps all NP in registers across the channel passes and spills the accumulators instead. */
  __asm__ volatile("" : : "r"(v) : "memory");
  __m256i acc[16];
#pragma GCC unroll 16
  for (int32_t j = 0; j < NB * CG; j++) acc[j] = _mm256_set1_epi32(bias[j % NB]);
#pragma GCC unroll 16
  for (int32_t p = 0; p < NP; p++) {
#pragma GCC unroll 2
    for (int32_t c = 0; c < CG; c++) {
      const __m256i vv = v[p * CG + c];
#pragma GCC unroll 8
      for (int32_t j = 0; j < NB; j++) {
        acc[c * NB + j] = _mm256_add_epi32(acc[c * NB + j], _mm256_madd_epi16(vv, _mm256_set1_epi32(wq[p * NB + j])));
        /* Keeps each sum one chain: unrolled, GCC reassociates the integer adds into trees of
         * all NP * NB products and spills them (measured 2x the instructions). */
        __asm__("" : "+x"(acc[c * NB + j]));
      }
    }
  }
#pragma GCC unroll 2
  for (int32_t c = 0; c < CG; c++)
#pragma GCC unroll 2
    for (int32_t j = 0; j < NB; j += 4) {
      if (j >= nstore) break; /* padding channels past M */
      requant4(acc + c * NB + j, mult + j, q, y + j * y_ld + 8 * c, y_ld, nstore - j, n - 8 * c < 8 ? n - 8 * c : 8);
    }
}

/* X row r for input row iy: x - zp at index ix + pad_left, zero outside the plane. */
EK_INLINE void fill_row(const ek_conv_geom* g, const int8_t* x, int32_t c, int32_t iy, int32_t zp, int16_t* dst,
                        int32_t XW) {
  if (iy < 0 || iy >= g->H) {
    for (int32_t j = 0; j < XW; j += 16) _mm256_storeu_si256((__m256i*)(dst + j), _mm256_setzero_si256());
    return;
  }
  const int8_t* xr = x + ((size_t)c * g->H + (size_t)iy) * g->W;
  const __m256i vzp = _mm256_set1_epi16((short)zp);
  for (int32_t j = 0; j < XW; j += 16) {
    const int32_t ix0 = j - g->pad_left;
    if (ix0 >= 0 && ix0 + 16 <= g->W) {
      const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(xr + ix0)));
      _mm256_storeu_si256((__m256i*)(dst + j), _mm256_sub_epi16(v, vzp));
    } else {
      for (int32_t i = 0; i < 16; i++) {
        const int32_t ix = ix0 + i;
        dst[j + i] = (int16_t)(ix >= 0 && ix < g->W ? (int32_t)xr[ix] - zp : 0);
      }
    }
  }
}

EK_INLINE void conv(const ek_conv_geom* g, const int8_t* x, const int32_t* wq, const int32_t* bias,
                    const float* mult, int16_t* X, const ek_qs8_dwconv_params* p, int32_t oy0, int32_t oy1,
                    int8_t* y, int64_t y_ld, const int32_t C, const int32_t KH, const int32_t KW, const int32_t SH,
                    const int32_t SW, const int32_t NP) {
  const int32_t OW = g->OW, M = g->M, Mp = padded_m(g), R = C * KH, XW = row_width(g);
  qparams q;
  q.vhi = _mm256_set1_ps((float)(p->output_max - p->output_zero_point));
  q.vzp16 = _mm256_set1_epi16((short)p->output_zero_point);
  q.vmin8 = _mm256_set1_epi8((char)p->output_min);
  q.vperm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  __m256i v[2 * EK_MAX_NP];
  for (int32_t oy = oy0; oy < oy1; oy++) {
    for (int32_t c = 0; c < C; c++)
      for (int32_t ky = 0; ky < KH; ky++)
        fill_row(g, x, c, oy * SH - g->pad_top + ky, p->input_zero_point, X + (size_t)(c * KH + ky) * XW, XW);
    int8_t* yrow = y + (int64_t)(oy - oy0) * OW;
    int32_t ox0 = 0;
    for (; ox0 + 8 < OW; ox0 += 16) { /* two 8-column groups share each weight broadcast */
      const int32_t n = OW - ox0 < 16 ? OW - ox0 : 16;
      build_pairs(X, XW, ox0, R, KW, SW, NP, 2, v);
      build_pairs(X, XW, ox0 + 8, R, KW, SW, NP, 2, v + 1);
      for (int32_t m0 = 0; m0 < Mp; m0 += 4)
        channels(4, 2, v, NP, wq + (size_t)m0 * NP, bias + m0, mult + m0, &q, yrow + m0 * y_ld + ox0, y_ld, M - m0, n);
    }
    if (ox0 < OW) {
      build_pairs(X, XW, ox0, R, KW, SW, NP, 1, v);
      for (int32_t m0 = 0; m0 < Mp; m0 += 4)
        channels(4, 1, v, NP, wq + (size_t)m0 * NP, bias + m0, mult + m0, &q, yrow + m0 * y_ld + ox0, y_ld, M - m0,
                 OW - ox0);
    }
  }
}

__attribute__((target("avx2"))) static void qs8_conv_avx2(const ek_conv_geom* g, const int8_t* x, const int8_t* w,
                                                          const int32_t* bias, const float* mult,
                                                          const ek_qs8_dwconv_params* p, int32_t oy0, int32_t oy1,
                                                          int8_t* y, int64_t y_ld, float* scratch) {
  /* Tables: channel block m0 (4 wide) holds [NP][nb] weight pairs from wq + m0*NP. */
  const int32_t NP = num_pairs(g), Mp = padded_m(g), R = g->C * g->kh, KW = g->kw;
  int32_t* wq = (int32_t*)scratch;
  int32_t* bq = wq + (size_t)Mp * NP;
  float* mq = (float*)(bq + Mp);
  int16_t* X = (int16_t*)(mq + Mp);
  for (int32_t m = 0; m < Mp; m++) {
    const int32_t m0 = m & ~3, nb = 4;
    for (int32_t pi = 0; pi < NP; pi++) {
      int32_t r, kx, kind;
      pair_taps(pi, R, KW, &r, &kx, &kind);
      int32_t w0 = 0, w1 = 0;
      if (m < g->M) {
        const int8_t* wr = w + ((size_t)m * R + (size_t)r) * KW;
        w0 = wr[kx];
        w1 = kind == 0 ? wr[kx + 1] : kind == 1 ? wr[KW + kx] : 0;
      }
      wq[(size_t)m0 * NP + (size_t)pi * nb + (m - m0)] = (int32_t)(((uint32_t)w1 << 16) | ((uint32_t)w0 & 0xFFFFu));
    }
    bq[m] = m < g->M ? bias[m] : 0;
    mq[m] = m < g->M ? mult[m] : 0.0f;
  }
  if (g->C == 3 && g->kh == 3 && g->kw == 3 && g->sh == 2 && g->sw == 2) /* the MobileNet / EfficientNet stem */
    conv(g, x, wq, bq, mq, X, p, oy0, oy1, y, y_ld, 3, 3, 3, 2, 2, 14);
  else if (g->sw == 2)
    conv(g, x, wq, bq, mq, X, p, oy0, oy1, y, y_ld, g->C, g->kh, KW, g->sh, 2, NP);
  else
    conv(g, x, wq, bq, mq, X, p, oy0, oy1, y, y_ld, g->C, g->kh, KW, g->sh, 1, NP);
}

int ek_qs8_conv_chw_avx2_variant(const char** name, ek_qs8_conv_chw_fn* fn) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) return 0;
  *name = "avx2";
  *fn = qs8_conv_avx2;
  return 1;
}
#else
int ek_qs8_conv_chw_avx2_variant(const char** name, ek_qs8_conv_chw_fn* fn) {
  (void)name, (void)fn;
  return 0;
}
#endif
