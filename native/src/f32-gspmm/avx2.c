/* f32 group-sparse x CHW, AVX2 + FMA. Tile: R output rows x NV*8 pixels; each X load (one input
 * channel, NV vectors) feeds R FMAs per vector. Shapes chosen by measurement (see BENCHMARKS.md):
 * 4x1 with 16 pixels (8 accumulators; 24 pixels measured slower on Zen 3, most at N = 49), 8x1
 * with 8 pixels, 1x1 with 64 (8 accumulators: 4 are bound by the FMA latency).
 * Loop order: pixel chunk > block > tile. The X chunk (K rows x P pixels, 256 KB: L2) stays in
 * cache while every block runs over it, so each output row gets one contiguous run per chunk
 * (tile-by-tile across all rows, the wide early layers' stores went to a hundred rows at once and
 * ran at a quarter of the write bandwidth), and per-block constants are set up once per chunk.
 * Outputs over 1 MiB are written with non-temporal stores when aligned (output-bandwidth-bound
 * wide layers; see the AVX-512 kernel). Each output is the same chain of FMAs whatever the tile or
 * chunk, so slices and bands give the same bits as a full call. */
#include <immintrin.h>

#include "../internal.h"

#define EK_INLINE static inline __attribute__((always_inline))
/* X bytes per pixel chunk (64 and 128 KB measured slower; N = 49 at K = 960 is then one chunk). */
#ifndef EK_CHUNK_BYTES
#define EK_CHUNK_BYTES 262144
#endif
/* Output bytes from which streaming stores pay off (about the L2 size of current x86 cores). */
#define EK_STREAM_BYTES ((size_t)1 << 20)

typedef struct blk {
  const float* val;     /* values of the block's first group, GM per group */
  const int32_t* idx;   /* input channel per group */
  int32_t groups;
  int rows;             /* rows < M */
  float* y[8];          /* output rows at the chunk start */
  __m256 bias[8];
} blk;

static void blk_init(const ek_weights* w, blk* k, int32_t b, int GM, float* Y, size_t ldy) {
  const int32_t m0 = b * GM;
  k->val = w->f32_values + (int64_t)w->block_ptr[b] * GM;
  k->idx = w->idx + w->block_ptr[b];
  k->groups = w->block_ptr[b + 1] - w->block_ptr[b];
  k->rows = w->M - m0 < GM ? w->M - m0 : GM;
  for (int r = 0; r < GM; r++) {
    const int32_t m = r < k->rows ? m0 + r : m0;
    k->y[r] = Y + (size_t)m * ldy;
    k->bias[r] = _mm256_broadcast_ss(&w->f32_bias[m]);
  }
}

/* GM rows x NV vectors of 8 pixels at column n; vector v at n + 8v, except the last at n + last
 * (tails: it overlaps the one before, recomputing the same values, so no masked loads - slow on
 * AMD); masked: one vector of `mask` lanes (chunks under 8 pixels). `rows` rows stored. */
EK_INLINE void tile(const blk* k, int GM, int NV, const float* X, size_t ldx, int32_t n, int32_t last, __m256 vmin,
                    __m256 vmax, __m256i mask, int masked, int ST, int rows) {
  __m256 acc[8][8];
  for (int r = 0; r < GM; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = k->bias[r];
  const float* val = k->val;
  const float* xn = X + n;
  for (int32_t g = 0; g < k->groups; g++, val += GM) {
    const float* x = xn + (size_t)k->idx[g] * ldx;
    __m256 xv[8];
    for (int v = 0; v < NV; v++)
      xv[v] = masked ? _mm256_maskload_ps(x, mask) : _mm256_loadu_ps(x + (v == NV - 1 ? last : 8 * v));
    for (int r = 0; r < GM; r++) {
      const __m256 wv = _mm256_broadcast_ss(val + r);
      for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(wv, xv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < GM && r < rows; r++)
    for (int v = 0; v < NV; v++) {
      const __m256 y = _mm256_min_ps(_mm256_max_ps(acc[r][v], vmin), vmax);
      float* dst = k->y[r] + n + (v == NV - 1 ? last : 8 * v);
      if (masked) _mm256_maskstore_ps(dst, mask, y);
      else if (ST) _mm256_stream_ps(dst, y);
      else _mm256_storeu_ps(dst, y);
    }
}

/* Columns [0, np) of the chunk for one block: whole tiles, then the rest as one tile whose last
 * vector ends at np. For 4x1 a rest of up to 8 pixels joins the last whole tile (N = 49: tiles of
 * 16, 16 and 17 pixels; a tile of its own would cost almost a whole pass over the weights). */
EK_INLINE void cols(const blk* k, int GM, int NV, const float* X, size_t ldx, int32_t np, __m256 vmin, __m256 vmax,
                    int ST, int rows) {
  const __m256i none = _mm256_setzero_si256();
  const int join = GM == 4 && np > 8 * NV && np % (8 * NV) != 0 && np % (8 * NV) <= 8;
  const int32_t whole = np / (8 * NV) - join;
  int32_t n = 0;
  for (int32_t t = 0; t < whole; t++, n += 8 * NV) tile(k, GM, NV, X, ldx, n, 8 * (NV - 1), vmin, vmax, none, 0, ST, rows);
  if (n == np) return;
  if (np < 8) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(np), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    tile(k, GM, 1, X, ldx, 0, 0, vmin, vmax, mask, 1, 0, rows);
    return;
  }
  const int32_t nv = (np - n + 7) / 8, last = np - 8 - n; /* the last vector may start before n (overlap) */
  switch (nv) { /* compile-time tile shapes */
    case 1: tile(k, GM, 1, X, ldx, n, last, vmin, vmax, none, 0, 0, rows); break;
    case 2: tile(k, GM, 2, X, ldx, n, last, vmin, vmax, none, 0, 0, rows); break;
    case 3: if (NV >= 2) tile(k, GM, 3, X, ldx, n, last, vmin, vmax, none, 0, 0, rows); break;
    case 4: if (NV >= 4) tile(k, GM, 4, X, ldx, n, last, vmin, vmax, none, 0, 0, rows); break;
    case 5: if (NV >= 5) tile(k, GM, 5, X, ldx, n, last, vmin, vmax, none, 0, 0, rows); break;
    case 6: if (NV >= 6) tile(k, GM, 6, X, ldx, n, last, vmin, vmax, none, 0, 0, rows); break;
    case 7: if (NV >= 7) tile(k, GM, 7, X, ldx, n, last, vmin, vmax, none, 0, 0, rows); break;
    default: if (NV >= 8) tile(k, GM, 8, X, ldx, n, last, vmin, vmax, none, 0, 0, rows); break;
  }
}

EK_INLINE void run(const ek_weights* w, int GM, int NV, int ST, int32_t N, const float* X, size_t ldx, float* Y,
                   size_t ldy, float out_min, float out_max) {
  const __m256 vmin = _mm256_set1_ps(out_min), vmax = _mm256_set1_ps(out_max);
  int32_t P = EK_CHUNK_BYTES / (w->K * 4) / (8 * NV) * (8 * NV);
  if (P < 8 * NV) P = 8 * NV;
  for (int32_t n0 = 0; n0 < N; n0 += P) {
    const int32_t np = N - n0 < P ? N - n0 : P;
    for (int32_t b = 0; b < w->num_blocks; b++) {
      blk k;
      blk_init(w, &k, b, GM, Y + n0, ldy);
      if (k.rows == GM) cols(&k, GM, NV, X + n0, ldx, np, vmin, vmax, ST, GM); /* full block: no row checks */
      else cols(&k, GM, NV, X + n0, ldx, np, vmin, vmax, 0, k.rows);
    }
  }
  if (ST) _mm_sfence();
}

void ek_f32_gspmm__avx2(const ek_weights* w, int32_t N, const float* X, size_t ldx, float* Y, size_t ldy,
                        float out_min, float out_max) {
  const int st = ((uintptr_t)Y % 32 == 0) && (ldy % 8 == 0) && (size_t)w->M * (size_t)N * 4 >= EK_STREAM_BYTES;
  switch (w->group_m * 2 + st) {
    case 16: run(w, 8, 1, 0, N, X, ldx, Y, ldy, out_min, out_max); break;
    case 17: run(w, 8, 1, 1, N, X, ldx, Y, ldy, out_min, out_max); break;
    case 8: run(w, 4, 2, 0, N, X, ldx, Y, ldy, out_min, out_max); break;
    case 9: run(w, 4, 2, 1, N, X, ldx, Y, ldy, out_min, out_max); break;
    case 2: run(w, 1, 8, 0, N, X, ldx, Y, ldy, out_min, out_max); break;
    default: run(w, 1, 8, 1, N, X, ldx, Y, ldy, out_min, out_max); break;
  }
}
