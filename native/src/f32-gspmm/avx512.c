/* f32 group-sparse x CHW, AVX-512F. The AVX2 kernel's structure with 16-lane vectors and the 32
 * zmm registers: 4x1 -> 4 rows x 64 pixels, 8x1 -> 8 rows x 32 pixels, 1x1 -> 128 pixels (16
 * accumulators each). The column tail is one tile whose last vector is masked (N = 49 runs as one
 * pass over the weights, not four). Large outputs (wide early layers: 96 x 12544 floats) are
 * written with non-temporal stores when aligned: there the layer is bound by output bandwidth, and
 * streaming stores skip the read-for-ownership of every output line. */
#include <immintrin.h>

#include "../internal.h"

#define EK_INLINE static inline __attribute__((always_inline))

EK_INLINE void tile(const ek_weights* w, int32_t b, int GM, int NV, const float* X, size_t ldx, float* Y,
                    size_t ldy, __m512 vmin, __m512 vmax, __mmask16 tail, int stream) {
  __m512 acc[8][8];
  const int32_t m0 = b * GM;
  for (int r = 0; r < GM; r++) {
    const __m512 bias = _mm512_set1_ps(w->f32_bias[m0 + r < w->M ? m0 + r : m0]);
    for (int v = 0; v < NV; v++) acc[r][v] = bias;
  }
  const float* val = w->f32_values + (int64_t)w->block_ptr[b] * GM;
  const int32_t* idx = w->idx + w->block_ptr[b];
  for (int32_t g = w->block_ptr[b]; g < w->block_ptr[b + 1]; g++, val += GM, idx++) {
    const float* x = X + (size_t)*idx * ldx;
    __m512 xv[8];
    for (int v = 0; v < NV; v++)
      xv[v] = (tail && v == NV - 1) ? _mm512_maskz_loadu_ps(tail, x + 16 * v) : _mm512_loadu_ps(x + 16 * v);
    for (int r = 0; r < GM; r++) {
      const __m512 wv = _mm512_set1_ps(val[r]);
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(wv, xv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < GM && m0 + r < w->M; r++)
    for (int v = 0; v < NV; v++) {
      const __m512 y = _mm512_min_ps(_mm512_max_ps(acc[r][v], vmin), vmax);
      float* dst = Y + (size_t)(m0 + r) * ldy + 16 * v;
      if (tail && v == NV - 1) _mm512_mask_storeu_ps(dst, tail, y);
      else if (stream) _mm512_stream_ps(dst, y);
      else _mm512_storeu_ps(dst, y);
    }
}

/* Output bytes from which streaming stores pay off (about the L2 size of current x86 cores). */
#define EK_STREAM_BYTES ((size_t)1 << 20)

EK_INLINE void run(const ek_weights* w, int GM, int NV, int32_t N, const float* X, size_t ldx, float* Y, size_t ldy,
                   float out_min, float out_max) {
  const __m512 vmin = _mm512_set1_ps(out_min), vmax = _mm512_set1_ps(out_max);
  const int stream = ((uintptr_t)Y % 64 == 0) && (ldy % 16 == 0) && (size_t)w->M * ldy * 4 >= EK_STREAM_BYTES;
  int32_t n = 0;
  for (; n + 16 * NV <= N; n += 16 * NV)
    for (int32_t b = 0; b < w->num_blocks; b++) tile(w, b, GM, NV, X + n, ldx, Y + n, ldy, vmin, vmax, 0, stream);
  if (n < N) {
    const int32_t rem = N - n, nv = (rem + 15) / 16, last = rem - 16 * (nv - 1);
    const __mmask16 tail = last == 16 ? 0 : (__mmask16)((1u << last) - 1u);
    for (int32_t b = 0; b < w->num_blocks; b++) {
      /* Each case is a separate compile-time tile shape; NV is at most 8. */
      switch (nv) {
        case 1: tile(w, b, GM, 1, X + n, ldx, Y + n, ldy, vmin, vmax, tail, 0); break;
        case 2: if (NV >= 2) tile(w, b, GM, 2, X + n, ldx, Y + n, ldy, vmin, vmax, tail, 0); break;
        case 3: if (NV >= 3) tile(w, b, GM, 3, X + n, ldx, Y + n, ldy, vmin, vmax, tail, 0); break;
        case 4: if (NV >= 4) tile(w, b, GM, 4, X + n, ldx, Y + n, ldy, vmin, vmax, tail, 0); break;
        case 5: if (NV >= 5) tile(w, b, GM, 5, X + n, ldx, Y + n, ldy, vmin, vmax, tail, 0); break;
        case 6: if (NV >= 6) tile(w, b, GM, 6, X + n, ldx, Y + n, ldy, vmin, vmax, tail, 0); break;
        case 7: if (NV >= 7) tile(w, b, GM, 7, X + n, ldx, Y + n, ldy, vmin, vmax, tail, 0); break;
        default: if (NV >= 8) tile(w, b, GM, 8, X + n, ldx, Y + n, ldy, vmin, vmax, tail, 0); break;
      }
    }
  }
  if (stream) _mm_sfence();
}

void ek_f32_gspmm__avx512(const ek_weights* w, int32_t N, const float* X, size_t ldx, float* Y, size_t ldy,
                          float out_min, float out_max) {
  switch (w->group_m) {
    case 8: run(w, 8, 2, N, X, ldx, Y, ldy, out_min, out_max); break;
    case 4: run(w, 4, 4, N, X, ldx, Y, ldy, out_min, out_max); break;
    default: run(w, 1, 8, N, X, ldx, Y, ldy, out_min, out_max); break;
  }
}
