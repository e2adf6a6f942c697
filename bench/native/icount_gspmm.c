/* Runs one kernel configuration REPS times, for instruction counting under qemu-aarch64
 * (../shared/tools/count-insns.sh; count REPS=1 and REPS=11 and divide the difference by 10).
 *
 *   icount_gspmm f32|qs8 SPARSITY GROUP_M REPS [M K N]      (default M=K=256, N=784) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgekit/edgekit.h"

int main(int argc, char** argv) {
  if (argc < 5) return 2;
  const int qs8 = strcmp(argv[1], "qs8") == 0, gm = atoi(argv[3]), reps = atoi(argv[4]);
  const double sp = atof(argv[2]);
  const int M = argc > 7 ? atoi(argv[5]) : 256, K = argc > 7 ? atoi(argv[6]) : 256, N = argc > 7 ? atoi(argv[7]) : 784;
  uint64_t s = 12345;
  float* W = malloc(sizeof(float) * (size_t)M * K);
  int8_t* Wq = malloc((size_t)M * K);
  uint8_t* mask = malloc((size_t)M * K);
  float* scale = malloc(sizeof(float) * (size_t)M);
  for (int b = 0; b < (M + gm - 1) / gm; b++)
    for (int k = 0; k < K; k++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      const int keep = (double)(s >> 11) / (double)(1ull << 53) >= sp;
      for (int m = b * gm; m < (b + 1) * gm && m < M; m++) mask[(size_t)m * K + k] = (uint8_t)keep;
    }
  for (int i = 0; i < M * K; i++) W[i] = (float)(i % 7) - 3.0f, Wq[i] = (int8_t)(i % 13 - 6);
  for (int m = 0; m < M; m++) scale[m] = 0.01f;
  size_t size = 0;
  ek_status st = qs8 ? ek_pack_qs8(M, K, gm, Wq, mask, scale, NULL, NULL, 0, &size)
                     : ek_pack_f32(M, K, gm, W, mask, NULL, NULL, 0, &size);
  void* blob = malloc(size);
  ek_weights* w = NULL;
  if (st == EK_OK) st = qs8 ? ek_pack_qs8(M, K, gm, Wq, mask, scale, NULL, blob, size, &size)
                            : ek_pack_f32(M, K, gm, W, mask, NULL, blob, size, &size);
  if (st == EK_OK) st = ek_weights_open(blob, size, &w);
  if (st != EK_OK) return 1;
  void* X = calloc((size_t)K * N, 4);
  void* Y = calloc((size_t)M * N, 4);
  const ek_qs8_params qp = {1, 0.05f, 0, 0.5f, -128, 127};
  for (int r = 0; r < reps; r++)
    st = qs8 ? ek_gspmm_qs8(w, N, X, N, Y, N, &qp) : ek_gspmm_f32(w, N, X, N, Y, N, NULL);
  printf("%s sp=%.2f gm=%d isa=%s status=%d\n", argv[1], sp, gm,
         ek_isa_name(ek_isa_selected(qs8 ? EK_DTYPE_QS8 : EK_DTYPE_F32)), st);
  return 0;
}
