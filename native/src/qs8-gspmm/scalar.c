/* qs8 group-sparse x CHW: plain-loop reference. Integer sums wrap (unsigned) as int32 hardware does. */
#include "../internal.h"

void ek_qs8_gspmm__scalar(const ek_weights* w, int32_t N, const int8_t* X, size_t ldx, int8_t* Y, size_t ldy,
                          const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  const int32_t gm = w->group_m;
  for (int32_t b = 0; b < w->num_blocks; b++) {
    for (int32_t r = 0; r < gm; r++) {
      const int32_t m = b * gm + r;
      if (m >= w->M) break;
      for (int32_t n = 0; n < N; n++) {
        uint32_t acc = (uint32_t)acc0[m];
        for (int32_t g = w->block_ptr[b]; g < w->block_ptr[b + 1]; g++)
          acc += (uint32_t)(w->q16_values[(int64_t)g * gm + r] * (int32_t)X[(size_t)w->idx[g] * ldx + (size_t)n]);
        Y[(size_t)m * ldy + (size_t)n] = ek_requant_scalar((int32_t)acc, mult[m], rq);
      }
    }
  }
}
