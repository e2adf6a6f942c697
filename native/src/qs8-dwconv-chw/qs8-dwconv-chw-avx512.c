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
 *   acc = bias - (zp + 128) * sum(w of the tap rows inside the plane) + dot
 *       = bias + sum over in-bounds taps of w * (x - zp)          (the reference, mod 2^32)
 *
 * Products are u8 x s8 and vpdpbusd adds them in exact int32 (wrapping like the reference), then
 * the same fp32 requantization (multiply, clamp, round half to even, + zero point) as
 * ek_qs8_chw_requant: bit-identical to the reference. Input rows outside [0, H) are skipped (their
 * weights leave the correction term too). Any kh, kw <= 16 and stride <= 4; 3x3 / 5x5 at stride 1 / 2
 * are specialized so the tap loops unroll. No scratch. */
#include "qs8-dwconv-chw.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include "qs8-avx512-vnni.h"
#include <string.h>

#define EK_MAX_K 16
#define EK_MAX_Q 4 /* quads per tap row: ceil(16 / 4) */
#define EK_ROWS 4  /* output rows per pass */

/* Byte l of the vpermb index is (l / 4) * SW + l % 4: output lane l / 4, byte l % 4 of its quad. */
static const uint8_t kLaneOutput[64] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15};
static const uint8_t kLaneByte[64] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};

EK_INLINE void conv(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias, float scale,
                    const ek_qs8_dwconv_params* p, int8_t* y, const int32_t KH, const int32_t KW, const int32_t SH,
                    const int32_t SW) {
  const int32_t H = g->H, W = g->W, OH = g->OH, OW = g->OW, pt = g->pad_top, pl = g->pad_left;
  const int32_t NQ = (KW + 3) / 4;
  int32_t wq[EK_MAX_K * EK_MAX_Q];
  uint32_t rowsum[EK_MAX_K];
  for (int32_t ky = 0; ky < KH; ky++) {
    int32_t s = 0;
    for (int32_t q = 0; q < NQ; q++) {
      int8_t quad[4] = {0, 0, 0, 0};
      for (int32_t j = 0; j < 4 && 4 * q + j < KW; j++) quad[j] = w[ky * KW + 4 * q + j];
      memcpy(&wq[ky * NQ + q], quad, 4);
    }
    for (int32_t kx = 0; kx < KW; kx++) s += w[ky * KW + kx];
    rowsum[ky] = (uint32_t)s;
  }
  const __m512i lane_out = _mm512_loadu_si512(kLaneOutput);
  __m512i vidx = _mm512_loadu_si512(kLaneByte);
  for (int32_t i = 0; i < SW; i++) vidx = _mm512_add_epi8(vidx, lane_out);
  const __m512i vzp = _mm512_set1_epi8((char)p->input_zero_point);
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  const uint32_t zp_u = (uint32_t)(p->input_zero_point + 128);
  const __m512 vscale = _mm512_set1_ps(scale);
  const __m512 vlo = _mm512_set1_ps((float)(p->output_min - p->output_zero_point));
  const __m512 vhi = _mm512_set1_ps((float)(p->output_max - p->output_zero_point));
  const __m512i vzp_out = _mm512_set1_epi32(p->output_zero_point);

  for (int32_t ox0 = 0; ox0 < OW; ox0 += 16) {
    const int32_t n = OW - ox0 < 16 ? OW - ox0 : 16;
    const int32_t span = (n - 1) * SW + 4; /* bytes one quad load needs */
    __mmask64 m[EK_MAX_Q];
    int32_t c0[EK_MAX_Q];
    for (int32_t q = 0; q < NQ; q++) {
      c0[q] = ox0 * SW - pl + 4 * q;
      m[q] = lane_mask(c0[q], W, span);
    }
    const __mmask16 store = (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
    /* EK_ROWS output rows per pass: each input row is loaded and permuted once and feeds every
     * output row it belongs to (row t of the pass is tap row ky = t - r * SH of output row r). */
    for (int32_t oy0 = 0; oy0 < OH; oy0 += EK_ROWS) {
      const int32_t iy_first = oy0 * SH - pt;
      __m512i acc[EK_ROWS];
      for (int32_t r = 0; r < EK_ROWS; r++) {
        uint32_t acc0 = (uint32_t)bias;
        for (int32_t ky = 0; ky < KH; ky++) {
          const int32_t iy = iy_first + r * SH + ky;
          if (iy >= 0 && iy < H) acc0 -= zp_u * rowsum[ky];
        }
        acc[r] = _mm512_set1_epi32((int32_t)acc0);
      }
      for (int32_t t = 0; t < (EK_ROWS - 1) * SH + KH; t++) {
        const int32_t iy = iy_first + t;
        if (iy < 0 || iy >= H) continue;
        const int8_t* row = x + (size_t)iy * W;
        for (int32_t q = 0; q < NQ; q++) {
          /* Masked-off lanes never fault, so the load may start before the row. */
          __m512i v = _mm512_mask_loadu_epi8(vzp, m[q], row + c0[q]);
          v = _mm512_permutexvar_epi8(vidx, _mm512_xor_si512(v, flip));
          for (int32_t r = 0; r < EK_ROWS; r++) {
            const int32_t ky = t - r * SH;
            if (ky >= 0 && ky < KH) acc[r] = _mm512_dpbusd_epi32(acc[r], v, _mm512_set1_epi32(wq[ky * NQ + q]));
          }
        }
      }
      for (int32_t r = 0; r < EK_ROWS && oy0 + r < OH; r++) {
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc[r]), vscale);
        f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi);
        const __m512i qv = _mm512_add_epi32(_mm512_cvtps_epi32(f), vzp_out); /* round half to even */
        _mm_mask_storeu_epi8(y + (size_t)(oy0 + r) * OW + ox0, store, _mm512_cvtsepi32_epi8(qv));
      }
    }
  }
}

EK_TARGET_ATTR static void qs8_dwconv_avx512(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias,
                                             float scale, const ek_qs8_dwconv_params* p, int8_t* y, float* scratch) {
  (void)scratch;
  const int32_t k = g->kh == g->kw ? g->kh : 0, s = g->sh == g->sw ? g->sh : 0;
  if (k == 3 && s == 1) conv(g, x, w, bias, scale, p, y, 3, 3, 1, 1);
  else if (k == 3 && s == 2) conv(g, x, w, bias, scale, p, y, 3, 3, 2, 2);
  else if (k == 5 && s == 1) conv(g, x, w, bias, scale, p, y, 5, 5, 1, 1);
  else if (k == 5 && s == 2) conv(g, x, w, bias, scale, p, y, 5, 5, 2, 2);
  else conv(g, x, w, bias, scale, p, y, g->kh, g->kw, g->sh, g->sw);
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
