/* Dense baselines: the gspmm kernels on a kernel-ready view that keeps every group of W, built
 * directly from the dense matrix (no blob, no validation pass, no zero test: zeros are multiplied). */
#include "internal.h"

/* group_m of the dense view: 4 rows share each X load, the shape the sparse kernels run best. */
#define EK_DENSE_GROUP_M 4

static int dims_ok(int32_t M, int32_t K) { return M >= 1 && K >= 1 && M <= EK_MAX_DIM && K <= EK_MAX_DIM; }

ek_status ek_dense_f32(int32_t M, int32_t K, int32_t N, const float* W, const float* bias, const float* X,
                       int32_t ldx, float* Y, int32_t ldy, const ek_f32_params* params) {
  if (!W || !dims_ok(M, K)) return EK_ERR_ARG;
  const int32_t gm = EK_DENSE_GROUP_M, nb = (M + gm - 1) / gm;
  ek_weights* w = ek_weights_alloc(EK_DTYPE_F32, M, K, gm, (uint64_t)nb * (uint64_t)K);
  if (!w) return EK_ERR_NOMEM;
  for (int32_t b = 0; b <= nb; b++) w->block_ptr[b] = b * K;
  for (int32_t b = 0; b < nb; b++)
    for (int32_t k = 0; k < K; k++) {
      const int64_t g = (int64_t)b * K + k;
      w->idx[g] = k;
      for (int32_t r = 0; r < gm; r++) {
        const int32_t m = b * gm + r;
        w->f32_values[g * gm + r] = m < M ? W[(int64_t)m * K + k] : 0.0f;
      }
    }
  for (int32_t m = 0; m < M; m++) w->f32_bias[m] = bias ? bias[m] : 0.0f;
  w->groups_kept = (int64_t)nb * K;
  w->nnz = (int64_t)M * K;
  const ek_status st = ek_gspmm_f32(w, N, X, ldx, Y, ldy, params);
  ek_weights_close(w);
  return st;
}

ek_status ek_dense_qs8(int32_t M, int32_t K, int32_t N, const int8_t* W, const float* w_scale, const int32_t* bias,
                       const int8_t* X, int32_t ldx, int8_t* Y, int32_t ldy, const ek_qs8_params* params) {
  if (!W || !w_scale || !dims_ok(M, K)) return EK_ERR_ARG;
  for (int32_t m = 0; m < M; m++)
    if (!(w_scale[m] > 0.0f) || w_scale[m] == __builtin_inff()) return EK_ERR_ARG;
  const int32_t gm = EK_DENSE_GROUP_M, nb = (M + gm - 1) / gm;
  const int32_t kp = (K + EK_QS8_GROUP_PAD - 1) / EK_QS8_GROUP_PAD * EK_QS8_GROUP_PAD; /* padded groups */
  ek_weights* w = ek_weights_alloc(EK_DTYPE_QS8, M, K, gm, (uint64_t)nb * (uint64_t)kp);
  if (!w) return EK_ERR_NOMEM;
  for (int32_t b = 0; b <= nb; b++) w->block_ptr[b] = b * kp;
  for (int32_t b = 0; b < nb; b++)
    for (int32_t j = 0; j < kp; j++) {
      const int32_t g = b * kp + j;
      w->idx[g] = j < K ? j : K - 1;
      for (int32_t r = 0; r < gm; r++) {
        const int32_t m = b * gm + r;
        ek_qs8_store(w, g, r, (m < M && j < K) ? W[(int64_t)m * K + j] : 0);
      }
    }
  for (int32_t m = 0; m < M; m++) {
    uint32_t sum = 0;
    for (int32_t k = 0; k < K; k++) sum += (uint32_t)(int32_t)W[(int64_t)m * K + k];
    w->q_wsum[m] = (int32_t)sum;
    w->q_bias[m] = bias ? bias[m] : 0;
    w->q_scale[m] = w_scale[m];
  }
  w->groups_kept = (int64_t)nb * K;
  w->nnz = (int64_t)M * K;
  const ek_status st = ek_gspmm_qs8(w, N, X, ldx, Y, ldy, params);
  ek_weights_close(w);
  return st;
}
