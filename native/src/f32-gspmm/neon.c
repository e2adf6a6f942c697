/* f32 group-sparse x CHW, NEON (armv8.0). Same tiles as the AVX2 kernel, in 4-lane vectors:
 * 4x1 -> 4 rows x 16 pixels, 8x1 -> 8 rows x 8 pixels, 1x1 -> 32 pixels (16 accumulators max of
 * the 32 q registers). Pixels left over (< 4) go to the scalar reference on that column slice. */
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
  for (int32_t g = w->block_ptr[b]; g < w->block_ptr[b + 1]; g++, val += GM) {
    const float* x = X + (size_t)w->idx[g] * ldx;
    float32x4_t xv[8];
    for (int v = 0; v < NV; v++) xv[v] = vld1q_f32(x + 4 * v);
    for (int r = 0; r < GM; r++) {
      const float32x4_t wv = vdupq_n_f32(val[r]);
      for (int v = 0; v < NV; v++) acc[r][v] = vfmaq_f32(acc[r][v], xv[v], wv);
    }
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
