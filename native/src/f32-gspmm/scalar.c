/* f32 group-sparse x CHW: plain-loop reference (built with -ffp-contract=off: no fused multiply-add). */
#include "../internal.h"

void ek_f32_gspmm__scalar(const ek_weights* w, int32_t N, const float* X, size_t ldx, float* Y, size_t ldy,
                          float out_min, float out_max) {
  const int32_t gm = w->group_m;
  for (int32_t b = 0; b < w->num_blocks; b++) {
    for (int32_t r = 0; r < gm; r++) {
      const int32_t m = b * gm + r;
      if (m >= w->M) break;
      for (int32_t n = 0; n < N; n++) {
        float acc = w->f32_bias[m];
        for (int32_t g = w->block_ptr[b]; g < w->block_ptr[b + 1]; g++)
          acc += w->f32_values[(int64_t)g * gm + r] * X[(size_t)w->idx[g] * ldx + (size_t)n];
        acc = acc < out_min ? out_min : acc;
        acc = acc > out_max ? out_max : acc;
        Y[(size_t)m * ldy + (size_t)n] = acc;
      }
    }
  }
}
