/* qs8 dense CHW convolution in plain C that compilers vectorize (NEON on aarch64, SSE/AVX on x86).
 *
 * Per output row: every tap row (c, ky) it reads is split by column phase (ix mod sw) into int16
 * rows of x - zero_point (in [-255, 255]), zero outside the plane, so tap (c, ky, kx) of all outputs
 * is one contiguous run at phase kx mod sw, offset kx / sw; each output channel then sums its taps
 * into an int32 row (wrapping, as the reference) and requantizes it. int16 x int16 -> int32 products
 * (|w * (x - zp)| <= 32640) vectorize as widening multiplies (NEON smlal, SSE2 pmullw / pmulhw),
 * where int32 x int32 has no SSE2 instruction. */

#include "qs8-conv-chw-internal.h"

static int32_t phase_width(const ek_conv_geom* g) { return g->OW + (g->kw - 1) / g->sw + 1; }

size_t ek_qs8_conv_chw_portable_scratch(const ek_conv_geom* g) { /* int16 phase rows + one int32 accumulator row */
  return ((size_t)g->C * (size_t)g->kh * (size_t)g->sw * (size_t)phase_width(g) + 1) / 2 + (size_t)g->OW + 16;
}

void ek_qs8_conv_chw__portable(const ek_conv_geom* g, const int8_t* x, const int8_t* w, const int32_t* bias,
                               const float* mult, const ek_qs8_dwconv_params* p, int32_t oy0, int32_t oy1, int8_t* y,
                               int64_t y_ld, float* scratch) {
  const int32_t pw = phase_width(g), OW = g->OW, KW = g->kw, SW = g->sw;
  uint32_t* acc = (uint32_t*)scratch; /* same size as float; first, so it stays 4-byte aligned */
  int16_t* phases = (int16_t*)(acc + OW);
  for (int32_t oy = oy0; oy < oy1; oy++) {
    for (int32_t c = 0; c < g->C; c++)
      for (int32_t ky = 0; ky < g->kh; ky++) {
        const int32_t iy = oy * g->sh - g->pad_top + ky;
        const int row_ok = iy >= 0 && iy < g->H;
        const int8_t* xr = x + ((size_t)c * g->H + (size_t)(row_ok ? iy : 0)) * g->W;
        for (int32_t ph = 0; ph < SW; ph++) {
          int16_t* dst = phases + (size_t)((c * g->kh + ky) * SW + ph) * pw;
          for (int32_t j = 0; j < pw; j++) {
            const int32_t ix = j * SW + ph - g->pad_left;
            dst[j] = (int16_t)(row_ok && ix >= 0 && ix < g->W ? (int32_t)xr[ix] - p->input_zero_point : 0);
          }
        }
      }
    for (int32_t m = 0; m < g->M; m++) {
      for (int32_t ox = 0; ox < OW; ox++) acc[ox] = (uint32_t)bias[m];
      const int8_t* wm = w + (size_t)m * g->C * g->kh * KW;
      for (int32_t t = 0; t < g->C * g->kh; t++)
        for (int32_t kx = 0; kx < KW; kx++) {
          const int16_t wv = wm[t * KW + kx];
          const int16_t* src = phases + (size_t)(t * SW + kx % SW) * pw + kx / SW;
          for (int32_t ox = 0; ox < OW; ox++) acc[ox] += (uint32_t)((int32_t)wv * (int32_t)src[ox]);
        }
      int8_t* yr = y + m * y_ld + (int64_t)(oy - oy0) * OW;
      for (int32_t ox = 0; ox < OW; ox++) yr[ox] = ek_qs8_chw_requant((int32_t)acc[ox], mult[m], p);
    }
  }
}
