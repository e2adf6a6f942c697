/* Dense CHW convolution in portable C for CPUs without a hand-written variant (aarch64, old x86):
 * the same phase rows and tap order as the AVX kernels, written as fixed-size loops over 8 output
 * channels x 8 columns that the compiler vectorizes (NEON on aarch64 at -O3). Measured on x86
 * (ekx_conv_test --bench): ~15x faster than the plain-loop reference, which reads each tap's input
 * column by column with bounds checks. */
#include <string.h>

#include "f32-conv-chw-internal.h"

#define NB 8 /* output channels per block */
#define NV 8 /* output columns per block */

static void block(int32_t nb, int32_t K, int32_t M, const int32_t* off, const float* phases, int32_t ox0,
                  int32_t n, const float* w, const float* bias, float* y, int64_t y_ld, float lo, float hi) {
  float acc[NB][NV];
  for (int o = 0; o < NB; o++)
    for (int l = 0; l < NV; l++) acc[o][l] = o < nb ? bias[o] : 0.0f;
  const float* p = phases + ox0;
  for (int32_t k = 0; k < K; k++) {
    float v[NV], wk[NB];
    memcpy(v, p + off[k], sizeof v);
    for (int o = 0; o < NB; o++) wk[o] = o < nb ? w[(size_t)k * M + o] : 0.0f;
    for (int o = 0; o < NB; o++)
      for (int l = 0; l < NV; l++) acc[o][l] += wk[o] * v[l];
  }
  for (int o = 0; o < nb; o++)
    for (int l = 0; l < n; l++) {
      const float a = acc[o][l] < lo ? lo : acc[o][l];
      y[o * y_ld + l] = a > hi ? hi : a;
    }
}

/* The common case (8 channels x 8 columns, no tail): constant trip counts, so the compiler keeps
 * acc in vector registers. */
static void block_full(int32_t K, int32_t M, const int32_t* off, const float* phases, const float* w,
                       const float* bias, float* y, int64_t y_ld, float lo, float hi) {
  float acc[NB][NV];
  for (int o = 0; o < NB; o++)
    for (int l = 0; l < NV; l++) acc[o][l] = bias[o];
  for (int32_t k = 0; k < K; k++) {
    const float* v = phases + off[k];
    const float* wk = w + (size_t)k * M;
    for (int o = 0; o < NB; o++)
      for (int l = 0; l < NV; l++) acc[o][l] += wk[o] * v[l];
  }
  for (int o = 0; o < NB; o++)
    for (int l = 0; l < NV; l++) {
      const float a = acc[o][l] < lo ? lo : acc[o][l];
      y[o * y_ld + l] = a > hi ? hi : a;
    }
}

void ek_f32_conv_chw__portable(const ek_conv_geom* g, const float* x, const float* w, const float* bias,
                               int32_t oy0, int32_t oy1, float* y, int64_t y_ld, float lo, float hi,
                               float* scratch) {
  int32_t off[EK_CONV_CHW_MAX_TAPS];
  ek_conv_chw_tap_offsets(g, off);
  const int32_t K = g->C * g->kh * g->kw, M = g->M;
  for (int32_t oy = oy0; oy < oy1; oy++) {
    ek_conv_chw_fill_phases_scalar(g, x, oy, scratch);
    float* yrow = y + (int64_t)(oy - oy0) * g->OW;
    for (int32_t ox0 = 0; ox0 < g->OW; ox0 += NV) {
      const int32_t n = g->OW - ox0 < NV ? g->OW - ox0 : NV;
      int32_t m = 0;
      if (n == NV)
        for (; m + NB <= M; m += NB)
          block_full(K, M, off, scratch + ox0, w + m, bias + m, yrow + m * y_ld + ox0, y_ld, lo, hi);
      for (; m < M; m += NB)
        block(M - m < NB ? M - m : NB, K, M, off, scratch, ox0, n, w + m, bias + m, yrow + m * y_ld + ox0, y_ld,
              lo, hi);
    }
  }
}
