/* libFuzzer harness: ek_weights_open must reject or fully validate any byte string; an accepted blob
 * is unpacked and run through both kernels (ASan/UBSan catch any read outside the blob). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgekit/edgekit.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t* copy = malloc(size ? size : 1); /* exact-size heap copy so over-reads are caught */
  if (!copy) return 0;
  memcpy(copy, data, size);
  ek_weights* w = NULL;
  if (ek_weights_open(copy, size, &w) == EK_OK) {
    ek_weights_info info;
    ek_weights_info_get(w, &info);
    const size_t MK = (size_t)info.M * (size_t)info.K;
    if (MK <= (1u << 20)) {
      enum { N = 9 };
      void* W = calloc(MK, 4);
      uint8_t* mask = calloc(MK, 1);
      void* X = calloc((size_t)info.K * N, 4);
      void* Y = calloc((size_t)info.M * N, 4);
      float* scale = calloc((size_t)info.M, 4);
      int32_t* bias = calloc((size_t)info.M, 4);
      if (W && mask && X && Y && scale && bias) {
        if (info.dtype == EK_DTYPE_F32) {
          ek_unpack_f32(w, W, mask, (float*)bias);
          ek_gspmm_f32(w, N, X, N, Y, N, NULL);
        } else {
          const ek_qs8_params p = {1, 0.5f, -3, 0.25f, -128, 127};
          ek_unpack_qs8(w, W, mask, scale, bias);
          ek_gspmm_qs8(w, N, X, N, Y, N, &p);
        }
      }
      free(W), free(mask), free(X), free(Y), free(scale), free(bias);
    }
    ek_weights_close(w);
  }
  free(copy);
  return 0;
}
