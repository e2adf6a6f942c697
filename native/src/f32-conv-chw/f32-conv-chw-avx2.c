/* Dense CHW convolution, AVX2+FMA: 4 output channels x 16 output columns per block (two 8-column
 * vectors share each weight broadcast: 8 FMA chains, half the broadcasts of 8 x 8; 6 x 16 and 4 x 24
 * measured no faster, the FMAs already run at ~85% of two per cycle), then single
 * channels; the last 8 columns of a row (or fewer, masked stores) as one vector. Phase rows are
 * filled with vector loads (stride 2: two loads and two in-lane shuffles give 8 columns of both
 * phases; masked loads at the plane's edges) into two ping-pong buffers, so the tap loads of row oy
 * never read stores still in flight (unaligned loads over fresh stores fail store forwarding, see
 * f32-conv-chw-avx512.c). Each output sums its taps in the same order whatever the row range.
 * Layout and scratch: f32-conv-chw.c. */
#include "f32-conv-chw-internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define EK_TARGET __attribute__((target("avx2,fma"), always_inline)) static inline

/* Columns [c0, c0 + 8) of row xr, zero outside [0, W): masked lanes are never read, so the load
 * may start before the row or run past it. */
EK_TARGET __m256 load_cols(const float* xr, int32_t c0, int32_t W) {
  if (c0 >= 0 && c0 + 8 <= W) return _mm256_loadu_ps(xr + c0);
  const __m256i col = _mm256_add_epi32(_mm256_set1_epi32(c0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i in = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), col),
                                         _mm256_cmpgt_epi32(_mm256_set1_epi32(W), col));
  return _mm256_maskload_ps((const float*)((uintptr_t)xr + (intptr_t)c0 * 4), in);
}

/* Phase rows of output row oy (ek_conv_chw_fill_phases_scalar's layout and values). */
EK_TARGET void fill_phases(const ek_conv_geom* g, const float* x, int32_t oy, int32_t pw, float* phases) {
  const int32_t W = g->W, pl = g->pad_left, SW = g->sw;
  for (int32_t c = 0; c < g->C; c++)
    for (int32_t ky = 0; ky < g->kh; ky++) {
      const int32_t iy = oy * g->sh - g->pad_top + ky;
      float* dst = phases + (size_t)(c * g->kh + ky) * SW * pw;
      if (iy < 0 || iy >= g->H) {
        for (int32_t j = 0; j < SW * pw; j += 8) _mm256_storeu_ps(dst + j, _mm256_setzero_ps());
        continue;
      }
      const float* xr = x + ((size_t)c * g->H + (size_t)iy) * W;
      for (int32_t j = 0; j < pw; j += 8) {
        const int32_t c0 = j * SW - pl; /* column of phase 0's element j */
        const __m256 a = load_cols(xr, c0, W);
        if (SW == 1) {
          _mm256_storeu_ps(dst + j, a);
          continue;
        }
        /* [a0 a2 b0 b2 | a4 a6 b4 b6] -> qword order 0 2 1 3 = a0 a2 a4 a6 b0 b2 b4 b6 */
        const __m256 b = load_cols(xr, c0 + 8, W);
        const __m256 ev = _mm256_shuffle_ps(a, b, 0x88), od = _mm256_shuffle_ps(a, b, 0xDD);
        _mm256_storeu_ps(dst + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xD8)));
        _mm256_storeu_ps(dst + pw + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(od), 0xD8)));
      }
    }
}

/* NB output channels x CG 8-column vectors of one output row; NB, CG are constants after inlining.
 * n: valid columns of the last vector (1..8). */
EK_TARGET void block(int NB, int CG, int32_t K, int32_t M, const int32_t* off, const float* phases, int32_t ox0,
                     const float* w, const float* bias, float* y, int64_t y_ld, int32_t n, __m256 lo, __m256 hi) {
  __m256 acc[8];
  for (int i = 0; i < NB * CG; i++) acc[i] = _mm256_broadcast_ss(bias + i % NB);
  const float* p = phases + ox0;
  for (int32_t k = 0; k < K; k++) {
    const float* pk = p + off[k];
    const __m256 v0 = _mm256_loadu_ps(pk);
    const __m256 v1 = CG > 1 ? _mm256_loadu_ps(pk + 8) : v0;
    const float* wk = w + (size_t)k * M;
    for (int o = 0; o < NB; o++) {
      const __m256 b = _mm256_broadcast_ss(wk + o);
      acc[o] = _mm256_fmadd_ps(v0, b, acc[o]);
      if (CG > 1) acc[NB + o] = _mm256_fmadd_ps(v1, b, acc[NB + o]);
    }
  }
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int c = 0; c < CG; c++)
    for (int o = 0; o < NB; o++) {
      const __m256 r = _mm256_min_ps(_mm256_max_ps(acc[c * NB + o], lo), hi);
      float* yo = y + o * y_ld + 8 * c;
      if (c + 1 < CG || n == 8)
        _mm256_storeu_ps(yo, r);
      else
        _mm256_maskstore_ps(yo, mask, r);
    }
}

/* All output channels of columns [ox0, ox0 + 8 * CG), the last vector holding n columns. */
EK_TARGET void channels(int CG, int32_t K, int32_t M, const int32_t* off, const float* phases, int32_t ox0,
                        const float* w, const float* bias, float* y, int64_t y_ld, int32_t n, __m256 lo, __m256 hi) {
  int32_t m = 0;
  for (; m + 4 <= M; m += 4) block(4, CG, K, M, off, phases, ox0, w + m, bias + m, y + m * y_ld, y_ld, n, lo, hi);
  for (; m < M; m++) block(1, CG, K, M, off, phases, ox0, w + m, bias + m, y + m * y_ld, y_ld, n, lo, hi);
}

__attribute__((target("avx2,fma"))) void ek_f32_conv_chw__avx2(const ek_conv_geom* g, const float* x,
                                                               const float* w, const float* bias, int32_t oy0,
                                                               int32_t oy1, float* y, int64_t y_ld, float lo,
                                                               float hi, float* scratch) {
  int32_t off[EK_CONV_CHW_MAX_TAPS];
  ek_conv_chw_tap_offsets(g, off);
  const int32_t K = g->C * g->kh * g->kw, M = g->M, OW = g->OW, pw = ek_conv_chw_phase_width(g);
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  const size_t half = ek_f32_conv_chw_scratch(g) / 2;
  fill_phases(g, x, oy0, pw, scratch);
  for (int32_t oy = oy0; oy < oy1; oy++) {
    const float* phases = scratch + (size_t)((oy - oy0) & 1) * half;
    if (oy + 1 < oy1) fill_phases(g, x, oy + 1, pw, scratch + (size_t)((oy + 1 - oy0) & 1) * half);
    float* yrow = y + (int64_t)(oy - oy0) * OW;
    int32_t ox0 = 0;
    for (; ox0 + 8 < OW; ox0 += 16) {
      const int32_t n = OW - ox0 - 8 < 8 ? OW - ox0 - 8 : 8;
      channels(2, K, M, off, phases, ox0, w, bias, yrow + ox0, y_ld, n, vlo, vhi);
    }
    if (ox0 < OW) channels(1, K, M, off, phases, ox0, w, bias, yrow + ox0, y_ld, OW - ox0, vlo, vhi);
  }
}
#endif
