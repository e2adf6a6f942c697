/* qs8 dense CHW convolution, AVX-512 VBMI + VNNI, reading the int8 image in place (the stem).
 *
 * The same quad trick as qs8-dwconv-chw-avx512.c, with each input vector shared by all output
 * channels: for 16 output columns of one output row, every tap row (c, ky) and quad q of kernel
 * columns 4q..4q+3 is one masked 64-byte load (lanes outside the row take the input zero point),
 * x ^ 0x80 (u8 = x + 128) and one vpermb that gathers, for output lane o, the bytes
 * u[o*sw + 4q + 0..3]. Then every output channel m adds vpdpbusd(that vector, its weight quad
 * w[m][c][ky][4q..4q+3], zero past kw), and
 *
 *   acc = bias - (zp + 128) * sum(w[m] of the tap rows inside the plane) + dot
 *       = bias + sum over in-bounds taps of w * (x - zp)          (the reference, mod 2^32)
 *
 * since a masked lane holds zp + 128 after the flip and cancels its own weight's share of the
 * correction. Tap rows outside [0, H) are skipped and left out of the correction. Requantization is
 * ek_qs8_chw_requant's, in 16 lanes: bit-identical to the reference. Output channels run 16 at a time
 * so their accumulators stay in registers; the weight quads are rearranged into scratch per call. */
#include "qs8-conv-chw-internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <string.h>

#define EK_TARGET_ATTR __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx512vnni")))
#define EK_INLINE EK_TARGET_ATTR static inline __attribute__((always_inline))
#define EK_MAX_Q 2      /* quads per tap row: kw <= 7 */
#define EK_MAX_ROWS 64 /* tap rows C * kh: C <= 4 image channels in practice; larger runs portable */
#define EK_MB 16        /* output channels per pass (16 accumulators) */

/* Lanes l < n whose column c0 + l lies in [0, W). */
EK_INLINE __mmask64 lane_mask(int32_t c0, int32_t W, int32_t n) {
  const int32_t lo = c0 < 0 ? -c0 : 0;
  const int32_t hi = W - c0 < n ? W - c0 : n;
  if (hi <= lo) return 0;
  const uint64_t upto = hi >= 64 ? ~0ull : ((1ull << hi) - 1ull);
  const uint64_t from = lo >= 64 ? 0ull : ~((1ull << lo) - 1ull);
  return (__mmask64)(upto & from);
}

/* MB output channels (a compile-time 16 for full passes, so the accumulators stay in registers) of 16
 * output columns: dot products over the live tap rows, then the requantization. */
EK_INLINE void channels(const __m512i* v, int32_t nlive, const int32_t* live, int32_t NQ, int32_t R,
                        const int32_t* wq, const int32_t* acc0, const float* mult, const int32_t MB, __m512 vlo,
                        __m512 vhi, __m512i vzp_out, int8_t* y, int64_t y_ld, __mmask16 store) {
  __m512i acc[EK_MB];
  for (int32_t j = 0; j < MB; j++) acc[j] = _mm512_set1_epi32(acc0[j]);
  for (int32_t i = 0; i < nlive; i++)
    for (int32_t q = 0; q < NQ; q++) {
      const __m512i vv = v[i * NQ + q];
      const int32_t* wcol = wq + (size_t)live[i] * NQ + q;
      for (int32_t j = 0; j < MB; j++)
        acc[j] = _mm512_dpbusd_epi32(acc[j], vv, _mm512_set1_epi32(wcol[(size_t)j * R * NQ]));
    }
  for (int32_t j = 0; j < MB; j++) {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[j]), _mm512_set1_ps(mult[j]));
    f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi);
    const __m512i qv = _mm512_add_epi32(_mm512_cvtps_epi32(f), vzp_out); /* round half to even */
    _mm_mask_storeu_epi8(y + j * y_ld, store, _mm512_cvtsepi32_epi8(qv));
  }
}

EK_INLINE void conv(const ek_conv_geom* g, const int8_t* x, const int8_t* w, const int32_t* bias, const float* mult,
                    const ek_qs8_dwconv_params* p, int32_t oy0, int32_t oy1, int8_t* y, int64_t y_ld,
                    float* scratch, const int32_t KH, const int32_t KW, const int32_t SH, const int32_t SW) {
  const int32_t C = g->C, H = g->H, W = g->W, M = g->M, OW = g->OW, pt = g->pad_top, pl = g->pad_left;
  const int32_t NQ = (KW + 3) / 4, R = C * KH; /* tap rows */
  /* Weight quads [m][row][q] and per-(m, row) weight sums, in scratch (ek_qs8_conv_chw_avx512_scratch). */
  int32_t* wq = (int32_t*)scratch;
  int32_t* rowsum = wq + (size_t)M * R * NQ;
  for (int32_t m = 0; m < M; m++)
    for (int32_t r = 0; r < R; r++) {
      const int8_t* wr = w + ((size_t)m * R + r) * KW;
      int32_t s = 0;
      for (int32_t q = 0; q < NQ; q++) {
        int8_t quad[4] = {0, 0, 0, 0};
        for (int32_t j = 0; j < 4 && 4 * q + j < KW; j++) quad[j] = wr[4 * q + j];
        memcpy(&wq[((size_t)m * R + r) * NQ + q], quad, 4);
      }
      for (int32_t kx = 0; kx < KW; kx++) s += wr[kx];
      rowsum[(size_t)m * R + r] = s;
    }
  /* vpermb index: byte l -> (l / 4) * SW + l % 4 (output lane l / 4, byte l % 4 of its quad). */
  uint8_t idx[64];
  for (int32_t l = 0; l < 64; l++) idx[l] = (uint8_t)((l / 4) * SW + l % 4);
  const __m512i vidx = _mm512_loadu_si512(idx);
  const __m512i vzp = _mm512_set1_epi8((char)p->input_zero_point);
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  const uint32_t zp_u = (uint32_t)(p->input_zero_point + 128);
  const __m512 vlo = _mm512_set1_ps((float)(p->output_min - p->output_zero_point));
  const __m512 vhi = _mm512_set1_ps((float)(p->output_max - p->output_zero_point));
  const __m512i vzp_out = _mm512_set1_epi32(p->output_zero_point);

  int32_t acc0[EK_QS8_CONV_CHW_MAX_M]; /* bias + the correction, per output channel of this row */
  __m512i v[EK_MAX_ROWS * EK_MAX_Q];
  int32_t live[EK_MAX_ROWS]; /* tap rows inside the plane for this output row */
  for (int32_t oy = oy0; oy < oy1; oy++) {
    int32_t nlive = 0;
    for (int32_t c = 0; c < C; c++)
      for (int32_t ky = 0; ky < KH; ky++) {
        const int32_t iy = oy * SH - pt + ky;
        if (iy >= 0 && iy < H) live[nlive++] = c * KH + ky;
      }
    for (int32_t m = 0; m < M; m++) {
      uint32_t a0 = (uint32_t)bias[m];
      for (int32_t i = 0; i < nlive; i++) a0 -= zp_u * (uint32_t)rowsum[(size_t)m * R + live[i]];
      acc0[m] = (int32_t)a0;
    }
    for (int32_t ox0 = 0; ox0 < OW; ox0 += 16) {
      const int32_t n = OW - ox0 < 16 ? OW - ox0 : 16;
      const int32_t span = (n - 1) * SW + 4; /* bytes one quad load needs */
      const __mmask16 store = (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
      for (int32_t i = 0; i < nlive; i++) {
        const int32_t r = live[i], c = r / KH, ky = r % KH;
        const int8_t* row = x + ((size_t)c * H + (size_t)(oy * SH - pt + ky)) * W;
        for (int32_t q = 0; q < NQ; q++) {
          const int32_t c0 = ox0 * SW - pl + 4 * q;
          /* Masked-off lanes never fault, so the load may start before the row. */
          const __m512i u = _mm512_mask_loadu_epi8(vzp, lane_mask(c0, W, span), row + c0);
          v[i * NQ + q] = _mm512_permutexvar_epi8(vidx, _mm512_xor_si512(u, flip));
        }
      }
      for (int32_t m0 = 0; m0 < M; m0 += EK_MB) {
        if (M - m0 >= EK_MB)
          channels(v, nlive, live, NQ, R, wq + (size_t)m0 * R * NQ, acc0 + m0, mult + m0, EK_MB, vlo, vhi, vzp_out,
                   y + m0 * y_ld + (int64_t)(oy - oy0) * OW + ox0, y_ld, store);
        else
          channels(v, nlive, live, NQ, R, wq + (size_t)m0 * R * NQ, acc0 + m0, mult + m0, M - m0, vlo, vhi, vzp_out,
                   y + m0 * y_ld + (int64_t)(oy - oy0) * OW + ox0, y_ld, store);
      }
    }
  }
}

EK_TARGET_ATTR static void qs8_conv_avx512(const ek_conv_geom* g, const int8_t* x, const int8_t* w,
                                           const int32_t* bias, const float* mult, const ek_qs8_dwconv_params* p,
                                           int32_t oy0, int32_t oy1, int8_t* y, int64_t y_ld, float* scratch) {
  if (g->C * g->kh > EK_MAX_ROWS) /* no image stem: more tap rows than the vector table holds */
    ek_qs8_conv_chw__portable(g, x, w, bias, mult, p, oy0, oy1, y, y_ld, scratch);
  else if (g->kh == 3 && g->kw == 3 && g->sh == 2 && g->sw == 2) /* the MobileNet / EfficientNet stem */
    conv(g, x, w, bias, mult, p, oy0, oy1, y, y_ld, scratch, 3, 3, 2, 2);
  else
    conv(g, x, w, bias, mult, p, oy0, oy1, y, y_ld, scratch, g->kh, g->kw, g->sh, g->sw);
}

size_t ek_qs8_conv_chw_avx512_scratch(const ek_conv_geom* g) {
  const size_t rows = (size_t)g->C * (size_t)g->kh, nq = (size_t)(g->kw + 3) / 4;
  return (size_t)g->M * rows * (nq + 1) + 16;
}

int ek_qs8_conv_chw_avx512_variant(const char** name, ek_qs8_conv_chw_fn* fn) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
      !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512vbmi") ||
      !__builtin_cpu_supports("avx512vnni"))
    return 0;
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
