/* qs8 depthwise CHW, AVX-512 VBMI + VNNI, many channels of a small stride-1 plane per call.
 *
 * On 14x14 and 7x7 planes the row kernel (qs8-dwconv-chw-avx512.c) spends most of its time per
 * channel (weight quads, masks, 4-row passes over 7 rows, 16-lane strips for 7 columns): MobileNetV2's
 * three 960-channel 7x7 layers took ~39 us each. Here the plane is flat: with OW == W, output i =
 * oy * W + ox reads input i + (ky - pad_top) * W + (kx - pad_left), so 16 consecutive outputs read one
 * 64-byte window starting (pad_top * W + pad_left) before them. Per vector of 16 outputs and tap row
 * ky, one vpermb of that window gathers each lane's quad (kx = 0..3); its mask, computed once per call
 * for every channel, sends taps outside the plane (rows or columns) to the input zero point, so
 *
 *   acc = bias - (zp + 128) * sum(all weights) + sum over taps of w * (x' + 128)
 *       = bias + sum over in-bounds taps of w * (x - zp)          (the reference, mod 2^32)
 *
 * with x' = x inside the plane and zp outside. Requantization as ek_qs8_chw_requant: bit-identical to
 * the reference. Needs a 3x3 kernel at stride 1, OW == W, a window 16 + 2 * (W + 1) <= 64 bytes
 * (W <= 23) and OH * OW <= EK_QS8_DWCONV_FLAT_MAX_PLANE. */
#include "qs8-dwconv-chw.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include "qs8-avx512-vnni.h"
#include <string.h>

#define EK_K 3
#define EK_MAX_VECTORS ((EK_QS8_DWCONV_FLAT_MAX_PLANE + 15) / 16)

int ek_qs8_dwconv_chw_flat_available(const ek_dwconv_geom* g) {
  static int cpu = -1; /* benign race: every thread computes the same value */
  if (cpu < 0) {
    cpu = ek_cpu_has_avx512_vbmi_vnni();
  }
  return cpu && g->kh == EK_K && g->kw == EK_K && g->sh == 1 && g->sw == 1 && g->OW == g->W && g->OH >= 1 &&
         g->W >= 1 && g->H >= 1 && g->pad_top >= 0 && g->pad_top < EK_K && g->pad_left >= 0 &&
         g->pad_left < EK_K && 16 + (EK_K - 1) * (g->W + 1) <= 64 &&
         (int64_t)g->OH * g->OW <= EK_QS8_DWCONV_FLAT_MAX_PLANE;
}

EK_TARGET_ATTR void ek_qs8_dwconv_chw_multi__avx512_flat(const ek_dwconv_geom* g, int32_t C, const int8_t* x,
                                                        int64_t x_ld, const int8_t* w, const int32_t* bias,
                                                        const float* mult, const ek_qs8_dwconv_params* p, int8_t* y,
                                                        int64_t y_ld) {
  const int32_t H = g->H, W = g->W, OH = g->OH, pt = g->pad_top, pl = g->pad_left;
  const int32_t n = OH * W, nv = (n + 15) / 16, lead = pt * W + pl, plane = H * W;
  /* Per vector: window start (relative to the plane), load mask; per vector and tap row: vpermb
   * index and the mask of in-bounds taps. Shared by every channel. */
  uint8_t idx[EK_MAX_VECTORS][EK_K][64];
  __mmask64 tap[EK_MAX_VECTORS][EK_K], load[EK_MAX_VECTORS];
  int32_t start[EK_MAX_VECTORS];
  for (int32_t v = 0; v < nv; v++) {
    start[v] = 16 * v - lead;
    uint64_t lm = 0;
    for (int32_t b = 0; b < 64; b++)
      if (start[v] + b >= 0 && start[v] + b < plane) lm |= 1ull << b;
    load[v] = (__mmask64)lm;
    for (int32_t ky = 0; ky < EK_K; ky++) {
      uint64_t tm = 0;
      for (int32_t l = 0; l < 16; l++)
        for (int32_t j = 0; j < 4; j++) {
          const int32_t i = 16 * v + l, oy = i / W, ox = i % W, iy = oy - pt + ky, ix = ox - pl + j;
          /* byte offset of input (iy, ix) in the window: i + (ky - pt) * W + (j - pl) - start = l + ky * W + j */
          idx[v][ky][4 * l + j] = (uint8_t)(l + ky * W + j);
          if (j < EK_K && i < n && iy >= 0 && iy < H && ix >= 0 && ix < W) tm |= 1ull << (4 * l + j);
        }
      tap[v][ky] = (__mmask64)tm;
    }
  }
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  const __m512i zp_u8 = _mm512_set1_epi8((char)(p->input_zero_point ^ 0x80)); /* zp + 128 as a byte */
  const uint32_t zp_u = (uint32_t)(p->input_zero_point + 128);
  const __m512 vlo = _mm512_set1_ps((float)(p->output_min - p->output_zero_point));
  const __m512 vhi = _mm512_set1_ps((float)(p->output_max - p->output_zero_point));
  const __m512i vzp_out = _mm512_set1_epi32(p->output_zero_point);
  const int32_t last = n - 16 * (nv - 1);
  const __mmask16 last_store = (__mmask16)(last >= 16 ? 0xFFFFu : (1u << last) - 1u);

  for (int32_t c = 0; c < C; c++) {
    const int8_t* xc = x + c * x_ld;
    const int8_t* wc = w + c * EK_K * EK_K;
    __m512i wq[EK_K];
    uint32_t wsum = 0;
    for (int32_t ky = 0; ky < EK_K; ky++) {
      int8_t quad[4] = {wc[ky * EK_K], wc[ky * EK_K + 1], wc[ky * EK_K + 2], 0};
      int32_t q;
      memcpy(&q, quad, 4);
      wq[ky] = _mm512_set1_epi32(q);
      wsum += (uint32_t)((int32_t)quad[0] + quad[1] + quad[2]);
    }
    const __m512i acc0 = _mm512_set1_epi32((int32_t)((uint32_t)bias[c] - zp_u * wsum));
    const __m512 vscale = _mm512_set1_ps(mult[c]);
    int8_t* yc = y + c * y_ld;
    for (int32_t v = 0; v < nv; v++) {
      /* Masked-off bytes never fault, so the window may start before or end past the plane. */
      const __m512i win = _mm512_xor_si512(_mm512_maskz_loadu_epi8(load[v], xc + start[v]), flip);
      __m512i acc = acc0;
      for (int32_t ky = 0; ky < EK_K; ky++) {
        const __m512i q = _mm512_mask_permutexvar_epi8(zp_u8, tap[v][ky], _mm512_loadu_si512(idx[v][ky]), win);
        acc = _mm512_dpbusd_epi32(acc, q, wq[ky]);
      }
      __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), vscale);
      f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi);
      const __m512i qv = _mm512_add_epi32(_mm512_cvtps_epi32(f), vzp_out); /* round half to even */
      _mm_mask_storeu_epi8(yc + 16 * v, v + 1 < nv ? (__mmask16)0xFFFF : last_store, _mm512_cvtsepi32_epi8(qv));
    }
  }
}
#else
int ek_qs8_dwconv_chw_flat_available(const ek_dwconv_geom* g) {
  (void)g;
  return 0;
}
void ek_qs8_dwconv_chw_multi__avx512_flat(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld,
                                          const int8_t* w, const int32_t* bias, const float* mult,
                                          const ek_qs8_dwconv_params* p, int8_t* y, int64_t y_ld) {
  (void)g, (void)C, (void)x, (void)x_ld, (void)w, (void)bias, (void)mult, (void)p, (void)y, (void)y_ld;
}
#endif
