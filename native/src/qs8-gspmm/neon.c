/* qs8 group-sparse x CHW, NEON armv8.0 (Raspberry Pi 4 class): per kept group, one int8 row of
 * pixels widened to int16 (sxtl), then smlal by lane: one load brings the group's 4 (or 8) int16
 * weights, each row's multiply-accumulate takes its weight from a lane.
 * Tiles as the AVX2 kernel: 4x1 -> 16 pixels, 8x1 -> 8 pixels, 1x1 -> 16 pixels.
 * Pixels left over (< 8) go to the scalar reference (bit-exact by construction). */
#include "../internal.h"
#include "neon_requant.h"

EK_INLINE void tile(const ek_weights* w, int32_t b, int GM, int NPX, const int8_t* X, size_t ldx, int8_t* Y,
                    size_t ldy, const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  const int NV = NPX / 4; /* int32x4 accumulators per row */
  int32x4_t acc[8][4];
  const int32_t m0 = b * GM;
  for (int r = 0; r < GM; r++) {
    const int32x4_t a0 = vdupq_n_s32(m0 + r < w->M ? acc0[m0 + r] : 0);
    for (int v = 0; v < NV; v++) acc[r][v] = a0;
  }
  const int16_t* val = w->q16_values + (int64_t)w->block_ptr[b] * GM;
  const int32_t* idx = w->idx + w->block_ptr[b];
  const int32_t* const idx_end = w->idx + w->block_ptr[b + 1];
  for (; idx != idx_end; idx++, val += GM) {
    const int8_t* x = X + (size_t)*idx * ldx;
    int16x8_t xw[2];
    if (NPX == 16) {
      const int8x16_t x8 = vld1q_s8(x);
      xw[0] = vmovl_s8(vget_low_s8(x8));
      xw[1] = vmovl_s8(vget_high_s8(x8));
    } else {
      xw[0] = vmovl_s8(vld1_s8(x));
    }
    if (GM == 1) {
      for (int h = 0; h < NPX / 8; h++) {
        acc[0][2 * h] = vmlal_n_s16(acc[0][2 * h], vget_low_s16(xw[h]), val[0]);
        acc[0][2 * h + 1] = vmlal_n_s16(acc[0][2 * h + 1], vget_high_s16(xw[h]), val[0]);
      }
      continue;
    }
    /* Lane indices must be literals: rows are spelled out. */
#define EK_MLAL_ROW(R, WV, L, LANEFN)                                                      \
  for (int h = 0; h < NPX / 8; h++) {                                                      \
    acc[R][2 * h] = LANEFN(acc[R][2 * h], vget_low_s16(xw[h]), WV, L);                     \
    acc[R][2 * h + 1] = LANEFN(acc[R][2 * h + 1], vget_high_s16(xw[h]), WV, L);            \
  }
    if (GM == 4) {
      const int16x4_t wv = vld1_s16(val);
      EK_MLAL_ROW(0, wv, 0, vmlal_lane_s16)
      EK_MLAL_ROW(1, wv, 1, vmlal_lane_s16)
      EK_MLAL_ROW(2, wv, 2, vmlal_lane_s16)
      EK_MLAL_ROW(3, wv, 3, vmlal_lane_s16)
    } else {
      const int16x8_t wv = vld1q_s16(val);
      EK_MLAL_ROW(0, wv, 0, vmlal_laneq_s16)
      EK_MLAL_ROW(1, wv, 1, vmlal_laneq_s16)
      EK_MLAL_ROW(2, wv, 2, vmlal_laneq_s16)
      EK_MLAL_ROW(3, wv, 3, vmlal_laneq_s16)
      EK_MLAL_ROW(4, wv, 4, vmlal_laneq_s16)
      EK_MLAL_ROW(5, wv, 5, vmlal_laneq_s16)
      EK_MLAL_ROW(6, wv, 6, vmlal_laneq_s16)
      EK_MLAL_ROW(7, wv, 7, vmlal_laneq_s16)
    }
#undef EK_MLAL_ROW
  }
  const float32x4_t fmin = vdupq_n_f32(rq->fmin), fmax = vdupq_n_f32(rq->fmax);
  const int32x4_t zp = vdupq_n_s32(rq->zp_out);
  for (int r = 0; r < GM && m0 + r < w->M; r++) {
    const float32x4_t mv = vdupq_n_f32(mult[m0 + r]);
    int8_t* dst = Y + (size_t)(m0 + r) * ldy;
    for (int h = 0; h < NPX / 8; h++)
      vst1_s8(dst + 8 * h, ek_neon_requant8(acc[r][2 * h], acc[r][2 * h + 1], mv, fmin, fmax, zp));
  }
}

EK_INLINE void run(const ek_weights* w, int GM, int NPX, int32_t N, const int8_t* X, size_t ldx, int8_t* Y,
                   size_t ldy, const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  int32_t n = 0;
  for (; n + NPX <= N; n += NPX)
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, NPX, X + n, ldx, Y + n, ldy, mult, acc0, rq);
  for (; n + 8 <= N; n += 8)
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, 8, X + n, ldx, Y + n, ldy, mult, acc0, rq);
  if (n < N) ek_qs8_gspmm__scalar(w, N - n, X + n, ldx, Y + n, ldy, mult, acc0, rq);
}

void ek_qs8_gspmm__neon(const ek_weights* w, int32_t N, const int8_t* X, size_t ldx, int8_t* Y, size_t ldy,
                        const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  switch (w->group_m) {
    case 8: run(w, 8, 8, N, X, ldx, Y, ldy, mult, acc0, rq); break;
    case 4: run(w, 4, 16, N, X, ldx, Y, ldy, mult, acc0, rq); break;
    default: run(w, 1, 16, N, X, ldx, Y, ldy, mult, acc0, rq); break;
  }
}
