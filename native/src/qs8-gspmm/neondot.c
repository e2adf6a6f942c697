/* qs8 group-sparse x CHW, NEON armv8.2 dot product (sdot). Kept groups of a block are taken four
 * at a time (input channels k0..k3, padded with zero weights at open): the four int8 pixel rows
 * are transposed with two zip levels so each int32 lane holds one pixel's 4 channels, and one sdot
 * against the broadcast 4 weights of an output row adds all four products.
 * Tiles: 4x1 -> 4 rows x 16 pixels, 8x1 -> 8 rows x 8 pixels, 1x1 -> 16 pixels. */
#include "../internal.h"
#include "neon_requant.h"

EK_INLINE void tile(const ek_weights* w, int32_t b, int GM, int NPX, const int8_t* X, size_t ldx, int8_t* Y,
                    size_t ldy, const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  const int NV = NPX / 4;
  int32x4_t acc[8][4];
  const int32_t m0 = b * GM;
  for (int r = 0; r < GM; r++) {
    const int32x4_t a0 = vdupq_n_s32(m0 + r < w->M ? acc0[m0 + r] : 0);
    for (int v = 0; v < NV; v++) acc[r][v] = a0;
  }
  const int8_t* wq = w->q8_quads + (int64_t)(w->block_ptr[b] / 4) * GM * 4;
  const int32_t* const k_end = w->idx + w->block_ptr[b + 1];
  for (const int32_t* k = w->idx + w->block_ptr[b]; k != k_end; k += 4, wq += 4 * GM) {
    int8x16_t rows[4];
    for (int j = 0; j < 4; j++) {
      const int8_t* x = X + (size_t)k[j] * ldx;
      rows[j] = NPX == 16 ? vld1q_s8(x) : vcombine_s8(vld1_s8(x), vdup_n_s8(0));
    }
    const int16x8_t t0 = vreinterpretq_s16_s8(vzip1q_s8(rows[0], rows[1]));
    const int16x8_t t2 = vreinterpretq_s16_s8(vzip1q_s8(rows[2], rows[3]));
    int8x16_t xq[4];
    xq[0] = vreinterpretq_s8_s16(vzip1q_s16(t0, t2));
    xq[1] = vreinterpretq_s8_s16(vzip2q_s16(t0, t2));
    if (NPX == 16) {
      const int16x8_t t1 = vreinterpretq_s16_s8(vzip2q_s8(rows[0], rows[1]));
      const int16x8_t t3 = vreinterpretq_s16_s8(vzip2q_s8(rows[2], rows[3]));
      xq[2] = vreinterpretq_s8_s16(vzip1q_s16(t1, t3));
      xq[3] = vreinterpretq_s8_s16(vzip2q_s16(t1, t3));
    }
    for (int r = 0; r < GM; r++) {
      const int8x16_t wv = vreinterpretq_s8_s32(vld1q_dup_s32((const int32_t*)(const void*)(wq + 4 * r)));
      for (int v = 0; v < NV; v++) acc[r][v] = vdotq_s32(acc[r][v], xq[v], wv);
    }
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

void ek_qs8_gspmm__neondot(const ek_weights* w, int32_t N, const int8_t* X, size_t ldx, int8_t* Y, size_t ldy,
                           const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  switch (w->group_m) {
    case 8: run(w, 8, 8, N, X, ldx, Y, ldy, mult, acc0, rq); break;
    case 4: run(w, 4, 16, N, X, ldx, Y, ldy, mult, acc0, rq); break;
    default: run(w, 1, 16, N, X, ldx, Y, ldy, mult, acc0, rq); break;
  }
}
