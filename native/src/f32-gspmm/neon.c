/* f32 group-sparse x CHW, NEON (armv8.0). Same tiles as the AVX2 kernel, in 4-lane vectors:
 * 4x1 -> 4 rows x 16 pixels, 8x1 -> 8 rows x 8 pixels, 1x1 -> 32 pixels (16 accumulators max of
 * the 32 q registers). One 128-bit load brings 4 rows' weights; fmla by lane uses them (an ld1r per
 * row would double the loads). Pixels left over (< 4) go to the scalar reference on that slice. */
#include "../internal.h"
#include "../neon_compat.h"

EK_INLINE void tile(const ek_weights* w, int32_t b, int GM, int NV, const float* X, size_t ldx, float* Y,
                    size_t ldy, float32x4_t vmin, float32x4_t vmax) {
  float32x4_t acc[8][8];
  const int32_t m0 = b * GM;
  for (int r = 0; r < GM; r++) {
    const float32x4_t bias = vdupq_n_f32(w->f32_bias[m0 + r < w->M ? m0 + r : m0]);
    for (int v = 0; v < NV; v++) acc[r][v] = bias;
  }
  const float* val = w->f32_values + (int64_t)w->block_ptr[b] * GM;
  const int32_t* idx = w->idx + w->block_ptr[b];
  const int32_t* const idx_end = w->idx + w->block_ptr[b + 1];
  const size_t ldx_bytes = ldx * sizeof(float);
  for (; idx != idx_end; idx++, val += GM) {
    /* One madd for the row address, one ld1 for up to 4 vectors. */
    const float* x = (const float*)(const void*)((const char*)X + (size_t)*idx * ldx_bytes);
    float32x4_t xv[8];
    if (NV >= 4) {
      for (int v = 0; v < NV; v += 4) {
        const float32x4x4_t q = vld1q_f32_x4(x + 4 * v);
        xv[v] = q.val[0], xv[v + 1] = q.val[1], xv[v + 2] = q.val[2], xv[v + 3] = q.val[3];
      }
    } else if (NV == 2) {
      const float32x4x2_t q = vld1q_f32_x2(x);
      xv[0] = q.val[0], xv[1] = q.val[1];
    } else {
      xv[0] = vld1q_f32(x);
    }
    if (GM == 1) {
      const float32x4_t wv = vld1q_dup_f32(val);
      for (int v = 0; v < NV; v++) acc[0][v] = vfmaq_f32(acc[0][v], xv[v], wv);
      continue;
    }
    /* Lane indices must be literals: rows are spelled out, 4 per weight vector. */
#define EK_FMA_ROWS(R0, WV)                                                          \
  for (int v = 0; v < NV; v++) {                                                     \
    acc[R0 + 0][v] = vfmaq_laneq_f32(acc[R0 + 0][v], xv[v], WV, 0);                  \
    acc[R0 + 1][v] = vfmaq_laneq_f32(acc[R0 + 1][v], xv[v], WV, 1);                  \
    acc[R0 + 2][v] = vfmaq_laneq_f32(acc[R0 + 2][v], xv[v], WV, 2);                  \
    acc[R0 + 3][v] = vfmaq_laneq_f32(acc[R0 + 3][v], xv[v], WV, 3);                  \
  }
    const float32x4_t w0 = vld1q_f32(val);
    EK_FMA_ROWS(0, w0)
    if (GM == 8) {
      const float32x4_t w1 = vld1q_f32(val + 4);
      EK_FMA_ROWS(4, w1)
    }
#undef EK_FMA_ROWS
  }
  for (int r = 0; r < GM && m0 + r < w->M; r++)
    for (int v = 0; v < NV; v++)
      vst1q_f32(Y + (size_t)(m0 + r) * ldy + 4 * v, vminq_f32(vmaxq_f32(acc[r][v], vmin), vmax));
}

EK_INLINE void run(const ek_weights* w, int GM, int NV, int32_t N, const float* X, size_t ldx, float* Y, size_t ldy,
                   float out_min, float out_max) {
  const float32x4_t vmin = vdupq_n_f32(out_min), vmax = vdupq_n_f32(out_max);
  int32_t n = 0;
  for (; n + 4 * NV <= N; n += 4 * NV)
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, NV, X + n, ldx, Y + n, ldy, vmin, vmax);
  for (; n + 4 <= N; n += 4)
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, 1, X + n, ldx, Y + n, ldy, vmin, vmax);
  if (n < N) ek_f32_gspmm__scalar(w, N - n, X + n, ldx, Y + n, ldy, out_min, out_max);
}

void ek_f32_gspmm__neon(const ek_weights* w, int32_t N, const float* X, size_t ldx, float* Y, size_t ldy,
                        float out_min, float out_max) {
  switch (w->group_m) {
    case 8: run(w, 8, 2, N, X, ldx, Y, ldy, out_min, out_max); break;
    case 4: run(w, 4, 4, N, X, ldx, Y, ldy, out_min, out_max); break;
    default: run(w, 1, 8, N, X, ldx, Y, ldy, out_min, out_max); break;
  }
}
