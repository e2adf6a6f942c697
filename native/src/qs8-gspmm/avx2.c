/* qs8 group-sparse x CHW, AVX2. Kept groups of a block are taken in pairs of input channels
 * (k1, k2): their two X rows, sign-extended to int16 (vpmovsxbw) and interleaved (vpunpck{l,h}wd),
 * meet the broadcast int16 weight pair (w[r][k1], w[r][k2]) in one vpmaddwd, which adds both
 * products into 8 int32 lanes. The in-lane unpacks leave the pixels as {0-3, 8-11} and
 * {4-7, 12-15}; vpackssdw of the two restores their order at requantization. (Sign-extending X
 * once per call into an int16 scratch instead measured no faster on Zen 3.)
 * Loop order: pixel chunk > block > tile, so each output row gets one contiguous run per chunk
 * and per-block constants (pair range, row pointers, multipliers) are set up once per chunk.
 * Tiles: 4 rows x 16 pixels (4x1; 8x1 as two 4-row halves), 1 row x 64 (1x1); the last N % 16
 * pixels are copied into a zero-padded K x 16 buffer and run as one 16-, 8- or 4-pixel tile (no
 * reads past N). Blocks are padded to 4 groups (the quads of sdot / vpdpbusd); a trailing pair of
 * padding groups (index repeated, weights 0) is skipped.
 * Requantization (as XNNPACK's fp32 qs8): fp32 multiply, fp32 min with the upper bound, vcvtps2dq
 * (round half even; below -2^31 it gives INT_MIN), saturating packs to int16, + zero point, packs
 * to int8, max with the lower bound: ek_requant_scalar's clamp-then-round, bit for bit. When no
 * |acc * mult| can reach 2^30 (bounded per call from acc0, K and the multipliers: the usual case)
 * the fp32 min is dropped for an int8 min after packing, also exact. Outputs
 * over 1 MiB (the wide early layers, output-bandwidth-bound) use non-temporal stores. */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "../internal.h"

#define EK_INLINE static inline __attribute__((always_inline))
/* X bytes per pixel chunk (the chunk stays in L2 while every block runs over it). */
#ifndef EK_CHUNK_BYTES
#define EK_CHUNK_BYTES 262144
#endif
/* Tail buffer (K rows x 16 pixels) on the stack up to this K. */
#define EK_TAIL_STACK_K 1024
/* int8 outputs from which rows are written with non-temporal stores (about one L2). */
#define EK_STREAM_BYTES ((size_t)1 << 20)

typedef struct ctx {
  const ek_weights* w;
  const int8_t* X;      /* X at the chunk start */
  size_t ldx;
  const int8_t* xt;     /* the last N % 16 columns of X, zero-padded to 16 */
  int8_t* Y;            /* output at the chunk start */
  size_t ldy;
  const float* mult;
  const int32_t* acc0;
  __m256 fmax;
  __m256i zp16, qmin8, qmax8;
  int noclip;           /* |acc * mult| < 2^30 for every output: clamp after packing only */
} ctx;

/* One block (or 4-row half of an 8x1 block) over one chunk. */
typedef struct blk {
  int32_t p0, p1;       /* pair range */
  const int16_t* wp;    /* weight pairs of pair p0, first row; GM pairs per pair */
  int8_t* y[4];         /* output rows at the chunk start */
  __m256 mv[4];
  __m256i a0[4];
  int rows;             /* rows < M */
} blk;

static void blk_init(const ctx* c, blk* k, int32_t b, int GM, int r0, int R) {
  const ek_weights* w = c->w;
  k->p0 = w->block_ptr[b] / 2;
  k->p1 = w->block_ptr[b + 1] / 2;
  if (k->p1 - k->p0 >= 2 && w->idx[2 * k->p1 - 2] == w->idx[2 * k->p1 - 3]) k->p1--;
  k->wp = w->q16_pairs + ((int64_t)k->p0 * GM + r0) * 2;
  const int32_t m0 = b * GM + r0;
  k->rows = w->M - m0 < R ? w->M - m0 : R;
  for (int r = 0; r < R; r++) {
    const int32_t m = r < k->rows ? m0 + r : m0;
    k->y[r] = c->Y + (size_t)m * c->ldy;
    k->mv[r] = _mm256_set1_ps(c->mult[m]);
    k->a0[r] = _mm256_set1_epi32(c->acc0[m]);
  }
}

EK_INLINE __m256i bcast_pair(const int16_t* wp) {
  int32_t v;
  memcpy(&v, wp, 4);
  return _mm256_set1_epi32(v);
}

/* int32 x 8 -> rounded int32 (no zero point), clamped above in fp32. */
EK_INLINE __m256i rq(__m256i acc, __m256 mv, __m256 fmax) {
  return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), mv), fmax));
}

EK_INLINE void store_row(int8_t* dst, __m128i v, int len, int ST) {
  if (len == 16) {
    if (ST) _mm_stream_si128((__m128i*)dst, v);
    else _mm_storeu_si128((__m128i*)dst, v);
  } else {
    int8_t buf[16];
    _mm_storeu_si128((__m128i*)buf, v);
    memcpy(dst, buf, (size_t)len);
  }
}

/* Pair (ip[0], ip[1]) for 16*S pixels at x, interleaved: xv[2s] = pixels {0-3, 8-11}, xv[2s+1] =
 * {4-7, 12-15} of segment s. */
EK_INLINE void load_pair(const int8_t* x, size_t ldx, const int32_t* ip, int S, __m256i* xv) {
  for (int s = 0; s < S; s++) {
    const __m256i a = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(x + (size_t)ip[0] * ldx + 16 * s)));
    const __m256i d = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(x + (size_t)ip[1] * ldx + 16 * s)));
    xv[2 * s] = _mm256_unpacklo_epi16(a, d);
    xv[2 * s + 1] = _mm256_unpackhi_epi16(a, d);
  }
}

EK_INLINE void madd_rows(__m256i acc[4][8], const __m256i* xv, const int16_t* wp, int R, int S) {
  for (int r = 0; r < R; r++) {
    const __m256i wv = bcast_pair(wp + 2 * r);
    for (int v = 0; v < 2 * S; v++) acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(xv[v], wv));
  }
}

/* R (1 or 4) rows x 16*S pixels of X at x (row stride ldx), stored at column n; `rows` rows
 * stored, `len` < 16*S pixels for a tail. */
EK_INLINE void tile16(const ctx* c, const blk* k, int GM, int R, int S, int ST, int rows, const int8_t* x, size_t ldx,
                      int32_t n, int len) {
  __m256i acc[4][8], xv[8];
  const int32_t* ip = c->w->idx + 2 * (size_t)k->p0;
  const int16_t* wp = k->wp;
  int32_t p = k->p0;
  if (p < k->p1) { /* the first pair starts the accumulators */
    load_pair(x, ldx, ip, S, xv);
    for (int r = 0; r < R; r++) {
      const __m256i wv = bcast_pair(wp + 2 * r);
      for (int v = 0; v < 2 * S; v++) acc[r][v] = _mm256_add_epi32(k->a0[r], _mm256_madd_epi16(xv[v], wv));
    }
    p++, ip += 2, wp += 2 * GM;
  } else {
    for (int r = 0; r < R; r++)
      for (int v = 0; v < 2 * S; v++) acc[r][v] = k->a0[r];
  }
  for (; p < k->p1; p++, ip += 2, wp += 2 * GM) {
    load_pair(x, ldx, ip, S, xv);
    madd_rows(acc, xv, wp, R, S);
  }
  /* Per row and 16 pixels, packs(lo, hi) = int16 in pixel order; two rows per packsswb. */
  for (int s = 0; s < S; s++) {
    const int seg = len - 16 * s < 16 ? len - 16 * s : 16;
    if (seg <= 0) break;
    __m256i q16[4];
    if (c->noclip) /* vcvtps2dq cannot overflow: the upper bound is an int8 min after packing */
      for (int r = 0; r < R; r++)
        q16[r] = _mm256_adds_epi16(
            _mm256_packs_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(acc[r][2 * s]), k->mv[r])),
                               _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(acc[r][2 * s + 1]), k->mv[r]))),
            c->zp16);
    else
      for (int r = 0; r < R; r++)
        q16[r] = _mm256_adds_epi16(
            _mm256_packs_epi32(rq(acc[r][2 * s], k->mv[r], c->fmax), rq(acc[r][2 * s + 1], k->mv[r], c->fmax)),
            c->zp16);
    for (int r = 0; r < R; r += 2) {
      const __m256i q8 = _mm256_min_epi8(
          _mm256_max_epi8(_mm256_permute4x64_epi64(_mm256_packs_epi16(q16[r], q16[R > 1 ? r + 1 : r]), 0xD8),
                          c->qmin8),
          c->qmax8);
      if (r < rows) store_row(k->y[r] + n + 16 * s, _mm256_castsi256_si128(q8), seg, ST);
      if (R > 1 && r + 1 < rows) store_row(k->y[r + 1] + n + 16 * s, _mm256_extracti128_si256(q8, 1), seg, ST);
    }
  }
}

/* R rows x 8 pixels of the tail buffer: the pair's byte-interleaved rows sign-extend in order. */
EK_INLINE void tile8(const ctx* c, const blk* k, int GM, int R, int32_t n, int len) {
  __m256i acc[4];
  for (int r = 0; r < R; r++) acc[r] = k->a0[r];
  const int32_t* ip = c->w->idx + 2 * (size_t)k->p0;
  const int16_t* wp = k->wp;
  for (int32_t p = k->p0; p < k->p1; p++, ip += 2, wp += 2 * GM) {
    const __m128i a = _mm_loadl_epi64((const __m128i*)(c->xt + (size_t)ip[0] * 16));
    const __m128i d = _mm_loadl_epi64((const __m128i*)(c->xt + (size_t)ip[1] * 16));
    const __m256i xv = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(a, d));
    for (int r = 0; r < R; r++) acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(xv, bcast_pair(wp + 2 * r)));
  }
  __m256i q[4];
  for (int r = 0; r < 4; r++) q[r] = r < R ? rq(acc[r], k->mv[r], c->fmax) : q[0];
  /* packs: dwords {r0 0-3, r1 0-3, r2 0-3, r3 0-3 | the same for 4-7}; the permute gathers each row. */
  const __m256i q16a = _mm256_adds_epi16(_mm256_packs_epi32(q[0], q[1]), c->zp16);
  const __m256i q16b = _mm256_adds_epi16(_mm256_packs_epi32(q[2], q[3]), c->zp16);
  const __m256i q8 = _mm256_max_epi8(
      _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q16a, q16b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)),
      c->qmin8);
  int64_t out[4];
  memcpy(out, &q8, sizeof out);
  for (int r = 0; r < R && r < k->rows; r++) memcpy(k->y[r] + n, &out[r], (size_t)len);
}

/* 4 rows x 4 pixels of the tail buffer (N = 49, 196): the 4 pixel pairs in both lanes, one vector
 * per two rows ({r0 | r1}, {r2 | r3}) with the weights spread in-lane by vpermilps. */
EK_INLINE void tile4(const ctx* c, const blk* k, int GM, int32_t n, int len) {
  __m256i acc01 = _mm256_permute2x128_si256(k->a0[0], k->a0[1], 0x20);
  __m256i acc23 = _mm256_permute2x128_si256(k->a0[2], k->a0[3], 0x20);
  const __m256i sel01 = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1), sel23 = _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3);
  const int32_t* ip = c->w->idx + 2 * (size_t)k->p0;
  const int16_t* wp = k->wp;
  for (int32_t p = k->p0; p < k->p1; p++, ip += 2, wp += 2 * GM) {
    int32_t a, d;
    memcpy(&a, c->xt + (size_t)ip[0] * 16, 4);
    memcpy(&d, c->xt + (size_t)ip[1] * 16, 4);
    const __m128i ad = _mm_unpacklo_epi8(_mm_cvtsi32_si128(a), _mm_cvtsi32_si128(d));
    const __m256i xv = _mm256_cvtepi8_epi16(_mm_unpacklo_epi64(ad, ad));
    const __m256 w4 = _mm256_broadcast_ps((const __m128*)wp); /* the 4 rows' pairs in each lane */
    acc01 = _mm256_add_epi32(acc01, _mm256_madd_epi16(xv, _mm256_castps_si256(_mm256_permutevar_ps(w4, sel01))));
    acc23 = _mm256_add_epi32(acc23, _mm256_madd_epi16(xv, _mm256_castps_si256(_mm256_permutevar_ps(w4, sel23))));
  }
  const __m256 m01 = _mm256_permute2f128_ps(k->mv[0], k->mv[1], 0x20);
  const __m256 m23 = _mm256_permute2f128_ps(k->mv[2], k->mv[3], 0x20);
  /* packs: {r0, r2 | r1, r3} as int16, then int8 dwords {r0, r2, r0, r2 | r1, r3, r1, r3}. */
  const __m256i q16 = _mm256_adds_epi16(_mm256_packs_epi32(rq(acc01, m01, c->fmax), rq(acc23, m23, c->fmax)), c->zp16);
  const __m256i q8 = _mm256_max_epi8(_mm256_packs_epi16(q16, q16), c->qmin8);
  int32_t out[8];
  memcpy(out, &q8, sizeof out);
  static const int pos[4] = {0, 4, 1, 5};
  for (int r = 0; r < 4 && r < k->rows; r++) memcpy(k->y[r] + n, &out[pos[r]], (size_t)len);
}

/* Columns [0, np) of the chunk for one block (half); with `tail`, columns [np, np + tail) from
 * the tail buffer. */
EK_INLINE void cols(const ctx* c, const blk* k, int GM, int R, int S, int ST, int rows, int32_t np, int tail) {
  int32_t n = 0;
  if (k->p0 == k->p1) { /* no kept groups: every output of row r is requant(acc0[r]) */
    for (int r = 0; r < rows; r++) {
      const __m256i q = rq(k->a0[r], k->mv[r], c->fmax);
      const __m256i q16 = _mm256_adds_epi16(_mm256_packs_epi32(q, q), c->zp16);
      const __m128i v = _mm256_castsi256_si128(_mm256_max_epi8(_mm256_packs_epi16(q16, q16), c->qmin8));
      for (n = 0; n < np; n += 16) store_row(k->y[r] + n, v, 16, ST);
      if (tail) store_row(k->y[r] + n, v, tail, 0);
    }
    return;
  }
  for (; n + 16 * S <= np; n += 16 * S) tile16(c, k, GM, R, S, ST, rows, c->X + n, c->ldx, n, 16 * S);
  if (S > 1)
    for (; n + 16 <= np; n += 16) tile16(c, k, GM, R, 1, ST, rows, c->X + n, c->ldx, n, 16);
  if (tail > 8 || (R == 1 && tail > 0)) tile16(c, k, GM, R, 1, 0, rows, c->xt, 16, n, tail);
  else if (tail > 4) tile8(c, k, GM, R, n, tail);
  else if (tail > 0) tile4(c, k, GM, n, tail);
}

EK_INLINE void run(ctx* c, int GM, int ST, int32_t N, int32_t P) {
  const int R = GM == 1 ? 1 : 4, S = GM == 1 ? 4 : 1;
  const int8_t* X = c->X;
  int8_t* Y = c->Y;
  const int32_t Nw = N / 16 * 16;
  for (int32_t n0 = 0; n0 < N; n0 += P) {
    const int32_t np = Nw - n0 < P ? Nw - n0 : P, tail = n0 + np == Nw ? N - Nw : 0;
    c->X = X + n0;
    c->Y = Y + n0;
    for (int32_t b = 0; b < c->w->num_blocks; b++)
      for (int r0 = 0; r0 < GM && b * GM + r0 < c->w->M; r0 += R) {
        blk k;
        blk_init(c, &k, b, GM, r0, R);
        if (k.rows == R) cols(c, &k, GM, R, S, ST, R, np, tail); /* full blocks: no row checks */
        else cols(c, &k, GM, R, S, 0, k.rows, np, tail);
      }
    if (tail) break;
  }
}

/* dst[0, 16) = src[0, len) then zeros, 0 < len < 16: two overlapping moves, no reads past len. */
static inline void copy_tail(int8_t* dst, const int8_t* src, int32_t len) {
  _mm_store_si128((__m128i*)dst, _mm_setzero_si128());
  uint64_t a8, b8;
  uint32_t a4, b4;
  uint16_t a2, b2;
  if (len >= 8) {
    memcpy(&a8, src, 8), memcpy(&b8, src + len - 8, 8);
    memcpy(dst, &a8, 8), memcpy(dst + len - 8, &b8, 8);
  } else if (len >= 4) {
    memcpy(&a4, src, 4), memcpy(&b4, src + len - 4, 4);
    memcpy(dst, &a4, 4), memcpy(dst + len - 4, &b4, 4);
  } else if (len >= 2) {
    memcpy(&a2, src, 2), memcpy(&b2, src + len - 2, 2);
    memcpy(dst, &a2, 2), memcpy(dst + len - 2, &b2, 2);
  } else {
    dst[0] = src[0];
  }
}

void ek_qs8_gspmm__avx2(const ek_weights* w, int32_t N, const int8_t* X, size_t ldx, int8_t* Y, size_t ldy,
                        const float* mult, const int32_t* acc0, const ek_qs8_rq* rq) {
  _Alignas(32) int8_t stack[EK_TAIL_STACK_K * 16];
  int8_t* xt = stack;
  void* heap = NULL;
  const int32_t Nw = N / 16 * 16;
  if (N > Nw) {
    if (w->K > EK_TAIL_STACK_K) {
      heap = malloc((size_t)w->K * 16);
      if (!heap) {
        ek_qs8_gspmm__scalar(w, N, X, ldx, Y, ldy, mult, acc0, rq);
        return;
      }
      xt = heap;
    }
    for (int32_t k = 0; k < w->K; k++) copy_tail(xt + (size_t)k * 16, X + (size_t)k * ldx + Nw, N - Nw);
  }
  ctx c = {w, X, ldx, xt, Y, ldy, mult, acc0, _mm256_set1_ps(rq->fmax), _mm256_set1_epi16((int16_t)rq->zp_out),
           _mm256_set1_epi8(rq->qmin), _mm256_set1_epi8(rq->qmax), 0};
  /* |acc| <= |acc0| + K * 128 * 128 (no int32 wrap below 2^31); the product's bound in double. */
  double amax = 0, mmax = 0;
  for (int32_t m = 0; m < w->M; m++) {
    const double a = acc0[m] < 0 ? -(double)acc0[m] : (double)acc0[m];
    amax = a > amax ? a : amax;
    mmax = mult[m] > mmax ? mult[m] : mmax;
  }
  c.noclip = amax + 16384.0 * w->K < 2147483648.0 && (amax + 16384.0 * w->K) * mmax < 1073741824.0;
  const int32_t step = w->group_m == 1 ? 64 : 16;
  int32_t P = (int32_t)(EK_CHUNK_BYTES / (size_t)w->K) / step * step;
  if (P < step) P = step;
  const int stream = (uintptr_t)Y % 16 == 0 && ldy % 16 == 0 && (size_t)w->M * (size_t)N >= EK_STREAM_BYTES;
  switch (w->group_m * 2 + stream) {
    case 16: run(&c, 8, 0, N, P); break;
    case 17: run(&c, 8, 1, N, P); break;
    case 8: run(&c, 4, 0, N, P); break;
    case 9: run(&c, 4, 1, N, P); break;
    case 2: run(&c, 1, 0, N, P); break;
    default: run(&c, 1, 1, N, P); break;
  }
  if (stream) _mm_sfence();
  free(heap);
}
