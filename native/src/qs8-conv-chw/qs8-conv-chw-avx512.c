/* qs8 dense CHW convolution, AVX-512 VBMI + VNNI, reading the int8 image in place (the stem).
 *
 * The quad trick of qs8-dwconv-chw-avx512.c, with the taps packed across rows and each input vector
 * shared by all output channels. The C*kh*kw taps (c, ky, kx) are numbered t = (c*kh + ky)*kw + kx
 * (OIHW order) and cut into quads t = 4q..4q+3 (zero weights past the end), so a 3x3 stem over 3
 * channels is 7 quads, not 9 padded tap rows. With kw >= 3 a quad spans at most two tap rows, so
 * for 16 output columns of one output row:
 *
 *   every tap row (c, ky) is one masked 64-byte load from column ox0*sw - pad_left (lanes outside
 *   [0, W) take the input zero point; a tap row outside [0, H) is all zero point), then x ^ 0x80
 *   (u8 = x + 128); quad q is one vpermt2b of its two rows gathering, for output lane o, the bytes
 *   u[o*sw + kx] of its four taps; every output channel m then adds vpdpbusd(quad, its weights
 *   w[m][4q..4q+3] broadcast). Since every out-of-plane tap holds zp + 128 after the flip,
 *
 *   acc = bias - (zp + 128) * sum(all w[m]) + dot
 *       = bias + sum over in-bounds taps of w * (x - zp)          (the reference, mod 2^32)
 *
 * with one correction per channel for the whole call. kw 1 and 2 are run as kw 3 with zero weights
 * (a quad of 1- or 2-wide rows could span four rows). Requantization gives ek_qs8_chw_requant's
 * bits with four channels packed into one vector (see channels16). Output channels run 16 at a time (accumulators in
 * registers, M padded with zero weights); the weight table and permute indices go to scratch. */
#include "qs8-conv-chw-internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include "qs8-avx512-vnni.h"
#include <string.h>

#define EK_MAX_NQ 64 /* quads of packed taps: C*kh*max(kw, 3) <= 256; more runs portable */
#define EK_MB 16     /* output channels per pass (16 accumulators) */

static int32_t kw_packed(const ek_conv_geom* g) { return g->kw < 3 ? 3 : g->kw; }
static int32_t num_quads(const ek_conv_geom* g) { return (g->C * g->kh * kw_packed(g) + 3) / 4; }
static int32_t padded_m(const ek_conv_geom* g) { return (g->M + EK_MB - 1) / EK_MB * EK_MB; }

/* acc += vpdpbusd(v, w broadcast): GCC keeps a separate vpbroadcastd for _mm512_set1_epi32, so the
 * embedded {1to16} memory broadcast is spelled out. */
EK_INLINE void dpbusd_bcast(__m512i* acc, __m512i v, const int32_t* w) {
  __asm__("vpdpbusd %2%{1to16%}, %1, %0" : "+v"(*acc) : "v"(v), "m"(*w));
}

/* Scratch layout (all 4-byte words): weight quads [Mp/16][NQ][16], acc0 [Mp], mult [Mp], then the
 * vpermt2b indices [NQ][64 bytes] (quad q reads tap rows 4q/kw and the next one). */
typedef struct tables {
  const int32_t* wq;
  const int32_t* acc0;
  const float* mult;
  const uint8_t* idx;
} tables;

/* 16 output channels of 16 output columns: NQ vpdpbusd each, then the requantization. */
EK_INLINE void channels16(const __m512i* v, const int32_t NQ, const int32_t* wq, const int32_t* acc0,
                          const float* mult, __m512 vhi, __m512i vzp16, __m512i vmin8, __m512i vperm, int8_t* y,
                          int64_t y_ld, int32_t nstore, __mmask16 store) {
  __m512i acc[EK_MB];
#pragma GCC unroll 16
  for (int32_t j = 0; j < EK_MB; j++) acc[j] = _mm512_set1_epi32(acc0[j]);
#pragma GCC unroll 8
  for (int32_t q = 0; q < NQ; q++) {
    const __m512i vv = v[q];
#pragma GCC unroll 16
    for (int32_t j = 0; j < EK_MB; j++) dpbusd_bcast(&acc[j], vv, &wq[q * EK_MB + j]);
  }
  /* Four channels at a time: min(f, hi) in fp32 (cvtps2dq would turn f > 2^31 into INT_MIN), round
   * half to even, then packs (monotone saturations, exact in range), + zp, max with output_min:
   * clamp(round(f), lo, hi) + zp == the reference, as lo, hi are integers. The packs interleave the
   * four channels by 4-column groups; vpermb gives each one 16 contiguous bytes (lane k = channel k). */
#pragma GCC unroll 4
  for (int32_t j = 0; j < EK_MB; j += 4) {
    if (j >= nstore) break; /* padding channels past M */
    __m512i r[4];
#pragma GCC unroll 4
    for (int32_t k = 0; k < 4; k++)
      r[k] = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc[j + k]), _mm512_set1_ps(mult[j + k])), vhi));
    const __m512i p01 = _mm512_adds_epi16(_mm512_packs_epi32(r[0], r[1]), vzp16);
    const __m512i p23 = _mm512_adds_epi16(_mm512_packs_epi32(r[2], r[3]), vzp16);
    const __m512i b = _mm512_permutexvar_epi8(vperm, _mm512_max_epi8(_mm512_packs_epi16(p01, p23), vmin8));
    /* Channel k's 16 bytes sit at lane k: a masked 64-byte store from 16k bytes before its row
     * (masked-off bytes never fault). */
#pragma GCC unroll 4
    for (int32_t k = 0; k < 4; k++)
      if (j + k < nstore) _mm512_mask_storeu_epi8(y + (j + k) * y_ld - 16 * k, (__mmask64)store << (16 * k), b);
  }
}

EK_INLINE void conv(const ek_conv_geom* g, const int8_t* x, const tables* tb, const ek_qs8_dwconv_params* p,
                    int32_t oy0, int32_t oy1, int8_t* y, int64_t y_ld, const int32_t C, const int32_t KH,
                    const int32_t KW, const int32_t SH, const int32_t SW, const int32_t NQ) {
  const int32_t H = g->H, W = g->W, M = g->M, OW = g->OW, pt = g->pad_top, pl = g->pad_left, R = C * KH;
  const __m512i vzp = _mm512_set1_epi8((char)p->input_zero_point);
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  const __m512i vzp_u = _mm512_xor_si512(vzp, flip); /* a tap row outside the plane */
  const __m512 vhi = _mm512_set1_ps((float)(p->output_max - p->output_zero_point));
  const __m512i vzp16 = _mm512_set1_epi16((short)p->output_zero_point);
  const __m512i vmin8 = _mm512_set1_epi8((char)p->output_min);
  uint8_t perm[64]; /* byte 16k + col of channel k <- its place after packs: 16*(col/4) + 4k + col%4 */
  for (int32_t l = 0; l < 64; l++) perm[l] = (uint8_t)(16 * ((l % 16) / 4) + 4 * (l / 16) + l % 4);
  const __m512i vperm = _mm512_loadu_si512(perm);
  __m512i rows[EK_MAX_NQ * 4 / 3 + 1]; /* R <= 4*NQ/3 since kw >= 3 */
  __m512i v[EK_MAX_NQ];
  for (int32_t oy = oy0; oy < oy1; oy++) {
    const int32_t iy0 = oy * SH - pt;
    int8_t* yrow = y + (int64_t)(oy - oy0) * OW;
    for (int32_t ox0 = 0; ox0 < OW; ox0 += 16) {
      const int32_t n = OW - ox0 < 16 ? OW - ox0 : 16, c0 = ox0 * SW - pl;
      const __mmask64 mask = lane_mask(c0, W, (n - 1) * SW + KW);
      const __mmask16 store = (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
      for (int32_t c = 0; c < C; c++)
        for (int32_t ky = 0; ky < KH; ky++) {
          const int32_t iy = iy0 + ky;
          /* Masked-off lanes never fault, so the load may start before the row or run past it. */
          rows[c * KH + ky] =
              iy >= 0 && iy < H
                  ? _mm512_xor_si512(_mm512_mask_loadu_epi8(vzp, mask, x + ((size_t)c * H + (size_t)iy) * W + c0), flip)
                  : vzp_u;
        }
      for (int32_t q = 0; q < NQ; q++) {
        const int32_t r = 4 * q / KW, r1 = r + 1 < R ? r + 1 : r; /* constants in the stem */
        v[q] = _mm512_permutex2var_epi8(rows[r], _mm512_loadu_si512(tb->idx + (size_t)q * 64), rows[r1]);
      }
      for (int32_t m0 = 0; m0 < M; m0 += EK_MB)
        channels16(v, NQ, tb->wq + (size_t)m0 * NQ, tb->acc0 + m0, tb->mult + m0, vhi, vzp16, vmin8, vperm,
                   yrow + m0 * y_ld + ox0, y_ld, M - m0, store);
    }
  }
}

/* The weight table, per-channel correction and permute indices for this call. */
static void build_tables(const ek_conv_geom* g, const int8_t* w, const int32_t* bias, const float* mult,
                         const ek_qs8_dwconv_params* p, float* scratch, tables* tb) {
  const int32_t KW = g->kw, KP = kw_packed(g), NQ = num_quads(g), Mp = padded_m(g), T = g->C * g->kh * KP;
  const int32_t SW = g->sw;
  int32_t* wq = (int32_t*)scratch;
  int32_t* acc0 = wq + (size_t)Mp * NQ;
  float* mv = (float*)(acc0 + Mp);
  uint8_t* idx = (uint8_t*)(mv + Mp);
  const uint32_t zp_u = (uint32_t)(p->input_zero_point + 128);
  for (int32_t m = 0; m < Mp; m++) {
    uint32_t sum = 0;
    for (int32_t q = 0; q < NQ; q++) {
      int8_t quad[4] = {0, 0, 0, 0};
      for (int32_t j = 0; j < 4; j++) {
        const int32_t t = 4 * q + j, r = t / KP, kx = t % KP;
        if (m < g->M && t < T && kx < KW) quad[j] = w[((size_t)m * g->C * g->kh + (size_t)r) * KW + kx];
        sum += (uint32_t)(int32_t)quad[j];
      }
      memcpy(&wq[((size_t)(m / EK_MB) * NQ + q) * EK_MB + m % EK_MB], quad, 4);
    }
    acc0[m] = m < g->M ? (int32_t)((uint32_t)bias[m] - zp_u * sum) : 0;
    mv[m] = m < g->M ? mult[m] : 0.0f;
  }
  for (int32_t q = 0; q < NQ; q++) {
    const int32_t r0 = 4 * q / KP;
    for (int32_t l = 0; l < 64; l++) {
      const int32_t t = 4 * q + l % 4, o = l / 4;
      /* Padding taps (t >= T) have zero weights: any in-range index will do. */
      idx[q * 64 + l] = t >= T ? 0 : (uint8_t)((t / KP - r0) * 64 + o * SW + t % KP);
    }
  }
  tb->wq = wq, tb->acc0 = acc0, tb->mult = mv, tb->idx = idx;
}

EK_TARGET_ATTR static void qs8_conv_avx512(const ek_conv_geom* g, const int8_t* x, const int8_t* w,
                                           const int32_t* bias, const float* mult, const ek_qs8_dwconv_params* p,
                                           int32_t oy0, int32_t oy1, int8_t* y, int64_t y_ld, float* scratch) {
  const int32_t NQ = num_quads(g);
  if (NQ > EK_MAX_NQ) { /* no image stem: more packed taps than the vector table holds */
    ek_qs8_conv_chw__portable(g, x, w, bias, mult, p, oy0, oy1, y, y_ld, scratch);
    return;
  }
  tables tb;
  build_tables(g, w, bias, mult, p, scratch, &tb);
  if (g->C == 3 && g->kh == 3 && g->kw == 3 && g->sh == 2 && g->sw == 2) /* the MobileNet / EfficientNet stem */
    conv(g, x, &tb, p, oy0, oy1, y, y_ld, 3, 3, 3, 2, 2, 7);
  else
    conv(g, x, &tb, p, oy0, oy1, y, y_ld, g->C, g->kh, kw_packed(g), g->sh, g->sw, NQ);
}

size_t ek_qs8_conv_chw_avx512_scratch(const ek_conv_geom* g) {
  const size_t nq = (size_t)num_quads(g), mp = (size_t)padded_m(g);
  return mp * nq + 2 * mp + 16 * nq + 16;
}

int ek_qs8_conv_chw_avx512_variant(const char** name, ek_qs8_conv_chw_fn* fn) {
  if (!ek_cpu_has_avx512_vbmi_vnni()) return 0;
  *name = "avx512vnni";
  *fn = qs8_conv_avx512;
  return 1;
}
#else
size_t ek_qs8_conv_chw_avx512_scratch(const ek_conv_geom* g) {
  (void)g;
  return 0;
}
int ek_qs8_conv_chw_avx512_variant(const char** name, ek_qs8_conv_chw_fn* fn) {
  (void)name, (void)fn;
  return 0;
}
#endif
