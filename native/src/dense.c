/* Dense baselines: the same kernels on a transient blob that keeps every group (no zero test). */
#include <stdlib.h>

#include "internal.h"

/* group_m of the dense view: 4 rows share each X load, the shape the sparse kernels run best. */
#define EK_DENSE_GROUP_M 4

static ek_status open_dense(void* blob, size_t size, ek_weights** w) { return ek_weights_open(blob, size, w); }

ek_status ek_dense_f32(int32_t M, int32_t K, int32_t N, const float* W, const float* bias, const float* X,
                       int32_t ldx, float* Y, int32_t ldy, const ek_f32_params* params) {
  if (!W || M < 1 || K < 1 || M > EK_MAX_DIM || K > EK_MAX_DIM) return EK_ERR_ARG;
  uint8_t* mask = malloc((size_t)M * (size_t)K);
  if (!mask) return EK_ERR_NOMEM;
  for (size_t i = 0; i < (size_t)M * (size_t)K; i++) mask[i] = 1;
  size_t size = 0;
  ek_status st = ek_pack_f32(M, K, EK_DENSE_GROUP_M, W, mask, bias, NULL, 0, &size);
  void* blob = st == EK_OK ? malloc(size) : NULL;
  ek_weights* w = NULL;
  if (st == EK_OK && !blob) st = EK_ERR_NOMEM;
  if (st == EK_OK) st = ek_pack_f32(M, K, EK_DENSE_GROUP_M, W, mask, bias, blob, size, &size);
  if (st == EK_OK) st = open_dense(blob, size, &w);
  if (st == EK_OK) st = ek_gspmm_f32(w, N, X, ldx, Y, ldy, params);
  ek_weights_close(w);
  free(blob);
  free(mask);
  return st;
}

ek_status ek_dense_qs8(int32_t M, int32_t K, int32_t N, const int8_t* W, const float* w_scale, const int32_t* bias,
                       const int8_t* X, int32_t ldx, int8_t* Y, int32_t ldy, const ek_qs8_params* params) {
  if (!W || !w_scale || M < 1 || K < 1 || M > EK_MAX_DIM || K > EK_MAX_DIM) return EK_ERR_ARG;
  uint8_t* mask = malloc((size_t)M * (size_t)K);
  if (!mask) return EK_ERR_NOMEM;
  for (size_t i = 0; i < (size_t)M * (size_t)K; i++) mask[i] = 1;
  size_t size = 0;
  ek_status st = ek_pack_qs8(M, K, EK_DENSE_GROUP_M, W, mask, w_scale, bias, NULL, 0, &size);
  void* blob = st == EK_OK ? malloc(size) : NULL;
  ek_weights* w = NULL;
  if (st == EK_OK && !blob) st = EK_ERR_NOMEM;
  if (st == EK_OK) st = ek_pack_qs8(M, K, EK_DENSE_GROUP_M, W, mask, w_scale, bias, blob, size, &size);
  if (st == EK_OK) st = open_dense(blob, size, &w);
  if (st == EK_OK) st = ek_gspmm_qs8(w, N, X, ldx, Y, ldy, params);
  ek_weights_close(w);
  free(blob);
  free(mask);
  return st;
}
