/* Depthwise CHW convolution, AVX2 + FMA.
 *
 * The ring / reference kernels copy every input row into a zero-padded buffer first (at stride 2,
 * split into even / odd columns by scalar code); on Zen 3 that cost more than the taps. Here the
 * plane is read in place: an output row is cut into column blocks of 8 (16 in the middle of the
 * row at stride 1: 2 vectors per row, more independent FMA chains). A block whose loads all lie
 * inside the row uses plain unaligned loads, an edge block masked loads (vmaskmovps never faults on
 * masked lanes, so a load may start before the row). The last block is moved left to end at OW (it
 * recomputes a few outputs, bit-identical), so every store is a full vector unless OW < 8. Rows
 * above / below the plane read a static zero row. R output rows per pass: each input row is loaded
 * once per tap column and feeds the (up to K) output rows it belongs to. Stride 2: two loads and
 * vshufps per pair of tap columns give the even / odd columns in the lane order 0 1 4 5 2 3 6 7; one
 * vpermpd per output vector fixes it. Small planes (14x14, 7x7: one block per row) are the
 * exception: there the per-channel setup (masks, row pointers, edge blocks) cost more than the
 * taps, so they are copied into zero-padded rows of 8 / 16 / 32 floats first (conv_small).
 *
 * Summation order, the same in every kernel of this file whatever the geometry of the call (bands,
 * rows per pass, block position), which the backend's fused-vs-op-by-op equality relies on: bias,
 * then the taps by pairs of kernel columns (kx = 0-1, 2-3, 4), within a pair by kernel row, one
 * FMA each; taps outside the plane add w * 0. Pairs keep only 2K weights live per block (they are
 * re-broadcast per block: all K*K in registers made GCC spill accumulators).
 * Square K = 3 / 5, stride 1 / 2, any padding (the fast_shape of f32-dwconv-chw-simd.c). */
#include "f32-dwconv-chw.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include <string.h>

#define EK_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline
#define EK_ZERO_W 1024 /* rows up to this wide read the static zero row, wider ones one in scratch */
#define ROWS 4         /* output rows per pass */
#define NC(S) ((S) == 1 ? 2 : 1) /* vectors per row in a middle block */

static const float zero_row[EK_ZERO_W] __attribute__((aligned(64)));

/* Loads per input row of an 8-wide block and the column offset of load i: stride 1, tap column i;
 * stride 2, pairs (2j, 2j + 8) whose even / odd lanes are tap columns 2j and 2j + 1. SPAN: the
 * columns they cover from the first one. */
#define NLOADS(K, S) ((S) == 1 ? (K) : 2 * (((K) + 1) / 2))
#define LOAD_OFF(S, i) ((S) == 1 ? (i) : ((i) & ~1) + ((i) & 1) * 8)
#define SPAN(K, S) ((S) == 1 ? (K) - 1 + 8 : 2 * (((K) + 1) / 2) - 2 + 16)

/* Lanes l whose column c0 + l lies in [0, W). */
EK_INLINE __m256i col_mask(int32_t c0, int32_t W) {
  const __m256i col = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(c0));
  return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), col),
                             _mm256_cmpgt_epi32(_mm256_set1_epi32(W), col));
}
EK_INLINE void fill_masks(const int K, const int S, __m256i* m, int32_t c, int32_t W) {
  for (int i = 0; i < NLOADS(K, S); i++) m[i] = col_mask(c + LOAD_OFF(S, i), W);
}
EK_INLINE int inside(const int K, const int S, int32_t c, int32_t W) { return c >= 0 && c + SPAN(K, S) <= W; }

/* The first n < 8 lanes of v. */
EK_INLINE void store_n(float* p, __m256 v, int32_t n) {
  __m128 h = _mm256_castps256_ps128(v);
  if (n & 4) {
    _mm_storeu_ps(p, h);
    h = _mm256_extractf128_ps(v, 1);
    p += 4;
  }
  if (n & 2) {
    _mm_storel_pi((__m64*)p, h);
    h = _mm_movehl_ps(h, h);
    p += 2;
  }
  if (n & 1) _mm_store_ss(p, h);
}

/* R output rows x NC vectors: rows[t] is input row t of the pass (at column 0; RS > 0: rows[0] + t RS),
 * c the column of the block's first load, m its masks (MASKED, NC = 1), y + r * OW the output rows.
 * NARROW (OW < 8 NC): the last vector's full store spills into the next rows (rewritten after),
 * except past yend. */
EK_INLINE void block_rs(const int K, const int S, const int R, const int NC, const int MASKED, const int NARROW,
                        const int RS, const float* const* rows, int32_t c, const __m256i* m, const float* w, __m256 vb,
                        __m256 vlo, __m256 vhi, float* y, int32_t OW, const float* yend) {
  __asm__("" : "+r"(w)); /* the broadcasts stay in the block */
  __m256 acc[8][2];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 2
    for (int q = 0; q < NC; q++) acc[r][q] = vb;
#pragma GCC unroll 3
  for (int j = 0; 2 * j < K; j++) {
    const int k0 = 2 * j, two = 2 * j + 1 < K;
    __m256 wa[5], wb[5];
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
      wa[ky] = _mm256_broadcast_ss(w + ky * K + k0);
      if (two) wb[ky] = _mm256_broadcast_ss(w + ky * K + k0 + 1);
    }
#pragma GCC unroll 19
    for (int t = 0; t < (R - 1) * S + K; t++) {
#pragma GCC unroll 2
      for (int q = 0; q < NC; q++) {
        const float* p = (RS ? rows[0] + t * RS : rows[t]) + c + 8 * S * q;
        __m256 va, vo = _mm256_setzero_ps();
        if (S == 1) {
          va = MASKED ? _mm256_maskload_ps(p + k0, m[k0]) : _mm256_loadu_ps(p + k0);
          if (two) vo = MASKED ? _mm256_maskload_ps(p + k0 + 1, m[k0 + 1]) : _mm256_loadu_ps(p + k0 + 1);
        } else {
          __m256 a = MASKED ? _mm256_maskload_ps(p + k0, m[k0]) : _mm256_loadu_ps(p + k0);
          __m256 b = MASKED ? _mm256_maskload_ps(p + k0 + 8, m[k0 + 1]) : _mm256_loadu_ps(p + k0 + 8);
          if (two) __asm__("" : "+x"(a), "+x"(b)); /* GCC loaded them twice, once per shuffle */
          va = _mm256_shuffle_ps(a, b, 0x88);
          if (two) vo = _mm256_shuffle_ps(a, b, 0xDD);
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
          const int ky = t - r * S;
          if (ky < 0 || ky >= K) continue;
          acc[r][q] = _mm256_fmadd_ps(wa[ky], va, acc[r][q]);
          if (two) acc[r][q] = _mm256_fmadd_ps(wb[ky], vo, acc[r][q]);
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 2
    for (int q = 0; q < NC; q++) {
      __m256 o = _mm256_min_ps(vhi, _mm256_max_ps(vlo, acc[r][q]));
      if (S == 2) o = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8));
      float* yr = y + r * OW + 8 * q;
      if (!NARROW || yr + 8 <= yend) _mm256_storeu_ps(yr, o);
      else store_n(yr, o, OW - 8 * q);
    }
}

EK_INLINE void block(const int K, const int S, const int R, const int NC, const int MASKED, const int NARROW,
                     const float* const* rows, int32_t c, const __m256i* m, const float* w, __m256 vb, __m256 vlo,
                     __m256 vhi, float* y, int32_t OW, const float* yend) {
  block_rs(K, S, R, NC, MASKED, NARROW, 0, rows, c, m, w, vb, vlo, vhi, y, OW, yend);
}

/* What a pass needs beyond its rows: the edge blocks' masks (first at column 0, last at OW - 8)
 * and whether they need them; mid: every block between them lies inside the rows. */
typedef struct {
  __m256i first[6], last[6];
  int32_t OW, W, pad_left, mask_first, mask_last, mid;
} plan;

/* One pass of R output rows, y = its first output row. */
EK_INLINE void pass(const int K, const int S, const int R, const plan* pl, const float* const* rows, const float* w,
                    __m256 vb, __m256 vlo, __m256 vhi, float* y, const float* yend) {
  const int32_t OW = pl->OW, W = pl->W, padl = pl->pad_left;
  if (pl->mask_first) block(K, S, R, 1, 1, 0, rows, -padl, pl->first, w, vb, vlo, vhi, y, OW, yend);
  else block(K, S, R, 1, 0, 0, rows, -padl, NULL, w, vb, vlo, vhi, y, OW, yend);
  const int32_t end = OW - 8; /* the last block's column */
  int32_t ox = 8;
  if (pl->mid) {
    for (; ox + 8 * NC(S) <= end; ox += 8 * NC(S))
      block(K, S, R, NC(S), 0, 0, rows, ox * S - padl, NULL, w, vb, vlo, vhi, y + ox, OW, yend);
    if (NC(S) == 2 && ox + 8 < end) { /* 9..15 columns left: one 16-wide block ending at end */
      block(K, S, R, 2, 0, 0, rows, (end - 16) * S - padl, NULL, w, vb, vlo, vhi, y + end - 16, OW, yend);
    } else if (ox < end) {
      block(K, S, R, 1, 0, 0, rows, (end - 8) * S - padl, NULL, w, vb, vlo, vhi, y + end - 8, OW, yend);
    }
  } else { /* padding wider than a block: every middle block masked */
    for (; ox < end; ox += 8) {
      const int32_t o = ox + 8 <= end ? ox : end - 8;
      __m256i m[6];
      fill_masks(K, S, m, o * S - padl, W);
      block(K, S, R, 1, 1, 0, rows, o * S - padl, m, w, vb, vlo, vhi, y + o, OW, yend);
    }
  }
  if (pl->mask_last) block(K, S, R, 1, 1, 0, rows, end * S - padl, pl->last, w, vb, vlo, vhi, y + end, OW, yend);
  else block(K, S, R, 1, 0, 0, rows, end * S - padl, NULL, w, vb, vlo, vhi, y + end, OW, yend);
}

/* Input rows iy .. iy + n - 1 (at column 0), the zero row outside the plane. */
EK_INLINE void fill_rows(const float** rows, int n, const float* x, int32_t iy, int32_t H, int32_t W,
                         const float* zero) {
  ptrdiff_t off = (ptrdiff_t)iy * W;
  for (int t = 0; t < n; t++, iy++, off += W) rows[t] = (uint32_t)iy < (uint32_t)H ? x + off : zero;
}

/* Every kernel below runs C channels (channel c: x + c x_ld, w + c K K, bias[c], y + c y_ld) with
 * what depends only on the geometry (masks, zero rows, block layout) done once per call. */

/* OW <= 8: one block per pass. */
EK_INLINE void conv_narrow(const int K, const int S, const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld,
                           const float* w, const float* bias, float* y, int64_t y_ld, float lo, float hi) {
  const int32_t H = g->H, W = g->W, OH = g->OH, OW = g->OW, c = -g->pad_left;
  __m256i m[6];
  fill_masks(K, S, m, c, W);
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  for (int32_t ch = 0; ch < C; ch++, x += x_ld, w += K * K, y += y_ld) {
    const __m256 vb = _mm256_broadcast_ss(bias + ch);
    const float* yend = y + OH * OW;
    const float* rows[(ROWS - 1) * 2 + 5];
    int32_t oy = 0;
    for (; oy + ROWS <= OH; oy += ROWS) {
      fill_rows(rows, (ROWS - 1) * S + K, x, oy * S - g->pad_top, H, W, zero_row);
      block(K, S, ROWS, 1, 1, 1, rows, c, m, w, vb, vlo, vhi, y + oy * OW, OW, yend);
    }
    const int32_t nr = OH - oy;
    if (nr == 0) continue;
    fill_rows(rows, (nr - 1) * S + K, x, oy * S - g->pad_top, H, W, zero_row);
    float* yo = y + oy * OW;
    if (nr == 1) block(K, S, 1, 1, 1, 1, rows, c, m, w, vb, vlo, vhi, yo, OW, yend);
    else if (nr == 2) block(K, S, 2, 1, 1, 1, rows, c, m, w, vb, vlo, vhi, yo, OW, yend);
    else block(K, S, 3, 1, 1, 1, rows, c, m, w, vb, vlo, vhi, yo, OW, yend);
  }
}

/* Small planes (every output row one block of NC vectors; rows with their padding at most WP = 8,
 * 16 or 32 floats): per-channel setup (masks, row pointers, edge blocks) costs more than the taps
 * there, so each plane is copied into scratch rows of WP floats: column c of input row r at
 * buf[(r + pad_top) * WP + c], the zeros past a row's end serving as the next row's left padding,
 * zero rows above and below (written once per call). Then every load is plain, at a constant
 * offset from one pointer. */
#define SMALL_SLACK 16 /* floats of zeros before and after the rows: the junk lanes' loads */
static int32_t small_rows(const ek_dwconv_geom* g) {
  const int32_t below = (g->OH - 1) * g->sh + g->kh - g->pad_top - g->H;
  return g->pad_top + g->H + (below > 0 ? below : 0);
}
static int32_t small_wp(const ek_dwconv_geom* g) {
  const int32_t pr = (g->OW - 1) * g->sw + g->kw - g->pad_left - g->W;
  const int32_t gap = g->pad_left > pr ? g->pad_left : pr;
  return (g->W + gap + 7) & ~7;
}
/* The row width the kernel for g uses: 8, 16 or 32 (at least 16 for two vectors per row). */
static int32_t small_class(const ek_dwconv_geom* g) {
  const int32_t wp = small_wp(g);
  return wp <= 8 && g->OW <= 8 ? 8 : wp <= 16 ? 16 : 32;
}
static int small_shape(const ek_dwconv_geom* g) {
  return g->OW <= 16 && small_wp(g) <= 16 * g->sw && g->pad_top <= g->kh && g->pad_left <= g->kw &&
         small_rows(g) - g->H - g->pad_top <= g->kh;
}

/* Copies plane x into buf's rows (the padding columns as zeros). */
EK_INLINE void small_copy(const int WP, float* buf, const float* x, int32_t H, int32_t W, int32_t pt,
                          const __m256i* m) {
  for (int32_t r = 0; r < H; r++)
#pragma GCC unroll 4
    for (int v = 0; v < WP / 8; v++)
      _mm256_store_ps(buf + (r + pt) * WP + 8 * v, _mm256_maskload_ps(x + r * W + 8 * v, m[v]));
}

/* Two buffers: channel c + 1 is copied while channel c computes, so the copy's stores have left the
 * store queue before the (misaligned, store-spanning) tap loads read them. */
EK_INLINE void conv_small(const int K, const int S, const int NC, const int WP, const ek_dwconv_geom* g, int32_t C,
                          const float* x, int64_t x_ld, const float* w, const float* bias, float* y, int64_t y_ld,
                          float lo, float hi, float* scratch) {
  const int32_t H = g->H, W = g->W, OH = g->OH, OW = g->OW, pt = g->pad_top, nrows = small_rows(g);
  float* buf[2];
  buf[0] = (float*)(((uintptr_t)scratch + 31) & ~(uintptr_t)31) + SMALL_SLACK;
  buf[1] = buf[0] + nrows * WP + SMALL_SLACK;
  const __m256 z = _mm256_setzero_ps();
  /* Zero rows: at most K above and below (small_shape); constant bounds so no memset call. */
  for (int b = 0; b < 2; b++) {
#pragma GCC unroll 2
    for (int i = 0; i < SMALL_SLACK; i += 8) _mm256_store_ps(buf[b] - SMALL_SLACK + i, z);
#pragma GCC unroll 5
    for (int r = 0; r < K; r++)
#pragma GCC unroll 4
      for (int v = 0; v < WP; v += 8)
        if (r < pt) _mm256_store_ps(buf[b] + r * WP + v, z);
    float* tail = buf[b] + (pt + H) * WP;
#pragma GCC unroll 5
    for (int r = 0; r < K; r++)
#pragma GCC unroll 4
      for (int v = 0; v < WP; v += 8)
        if (pt + H + r < nrows) _mm256_store_ps(tail + r * WP + v, z);
  }
  float* tail = buf[1] + nrows * WP;
#pragma GCC unroll 2
  for (int i = 0; i < SMALL_SLACK; i += 8) _mm256_store_ps(tail + i, z);
  __m256i m[4];
#pragma GCC unroll 4
  for (int v = 0; v < WP / 8; v++) m[v] = col_mask(8 * v, W);
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  small_copy(WP, buf[0], x, H, W, pt, m);
  for (int32_t ch = 0; ch < C; ch++, x += x_ld, w += K * K, y += y_ld) {
    if (ch + 1 < C) small_copy(WP, buf[(ch + 1) & 1], x + x_ld, H, W, pt, m);
    const __m256 vb = _mm256_broadcast_ss(bias + ch);
    const float* yend = y + OH * OW;
    const float* row[1] = {buf[ch & 1] - g->pad_left}; /* every load at a constant offset from row[0] */
    float* yo = y;
    /* One block per pass, so per channel the passes' FMA chains are all there is to overlap: one
     * pass of up to 8 rows with one vector per row (7x7: 7 chains, not 4 then 3; measured 14x14 s2
     * 36 -> 28 us), else passes of 4 rows (4 4 3 3 measured slower than 4 4 4 2 at 14x14 s1). */
    int32_t rem = OH;
    if (NC == 1 && rem <= 8) {
#define EK_SMALL_PASS(NR) block_rs(K, S, NR, NC, 0, 1, WP, row, 0, NULL, w, vb, vlo, vhi, yo, OW, yend)
      switch (rem) {
        case 8: EK_SMALL_PASS(8); break;
        case 7: EK_SMALL_PASS(7); break;
        case 6: EK_SMALL_PASS(6); break;
        case 5: EK_SMALL_PASS(5); break;
        case 4: EK_SMALL_PASS(4); break;
        case 3: EK_SMALL_PASS(3); break;
        case 2: EK_SMALL_PASS(2); break;
        default: EK_SMALL_PASS(1); break;
      }
      continue;
    }
    for (; rem >= 4; rem -= 4, row[0] += 4 * S * WP, yo += 4 * OW) EK_SMALL_PASS(4);
    if (rem == 0) continue;
    if (rem == 3) EK_SMALL_PASS(3);
    else if (rem == 2) EK_SMALL_PASS(2);
    else EK_SMALL_PASS(1);
#undef EK_SMALL_PASS
  }
}

EK_INLINE void conv(const int K, const int S, const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld,
                    const float* w, const float* bias, float* y, int64_t y_ld, float lo, float hi, float* scratch) {
  const int32_t H = g->H, W = g->W, OH = g->OH, OW = g->OW, padl = g->pad_left;
  const float* zero = zero_row;
  if (W > EK_ZERO_W) {
    memset(scratch, 0, sizeof(float) * (size_t)W);
    zero = scratch;
  }
  plan pl;
  pl.OW = OW, pl.W = W, pl.pad_left = padl;
  pl.mask_first = !inside(K, S, -padl, W);
  if (pl.mask_first) fill_masks(K, S, pl.first, -padl, W);
  const int32_t end = OW - 8;
  pl.mask_last = !inside(K, S, end * S - padl, W);
  if (pl.mask_last) fill_masks(K, S, pl.last, end * S - padl, W);
  /* The leftmost middle block: at 8, else the one ending at end (16 wide if it fits). */
  const int32_t mid_lo = end >= 8 + 8 * NC(S) ? 8 : NC(S) == 2 && end > 16 ? end - 16 : end - 8;
  pl.mid = end <= 8 || (mid_lo * S - padl >= 0 && inside(K, S, (end - 8) * S - padl, W));
  const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  for (int32_t ch = 0; ch < C; ch++, x += x_ld, w += K * K, y += y_ld) {
    const __m256 vb = _mm256_broadcast_ss(bias + ch);
    const float* yend = y + (size_t)OH * OW;
    const float* rows[(ROWS - 1) * 2 + 5];
    int32_t oy = 0;
    for (; oy + ROWS <= OH; oy += ROWS) {
      fill_rows(rows, (ROWS - 1) * S + K, x, oy * S - g->pad_top, H, W, zero);
      pass(K, S, ROWS, &pl, rows, w, vb, vlo, vhi, y + (size_t)oy * OW, yend);
    }
    const int32_t nr = OH - oy;
    if (nr > 0) fill_rows(rows, (nr - 1) * S + K, x, oy * S - g->pad_top, H, W, zero);
    float* yo = y + (size_t)oy * OW;
    if (nr == 1) pass(K, S, 1, &pl, rows, w, vb, vlo, vhi, yo, yend);
    else if (nr == 2) pass(K, S, 2, &pl, rows, w, vb, vlo, vhi, yo, yend);
    else if (nr == 3) pass(K, S, 3, &pl, rows, w, vb, vlo, vhi, yo, yend);
  }
}

/* The kernels: [K == 5][S == 2][small 1 x 8, 1 x 16, 1 x 32, 2 x 16, 2 x 32 (vectors x row floats);
 * narrow; wide]. */
typedef void (*kernel_fn)(const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld, const float* w,
                          const float* bias, float* y, int64_t y_ld, float lo, float hi, float* scratch);
#define EK_ARGS const ek_dwconv_geom *g, int32_t C, const float *x, int64_t x_ld, const float *w, const float *bias, \
                float *y, int64_t y_ld, float lo, float hi, float *scratch
#define EK_SMALL(K, S, NC, WP)                                                                                  \
  __attribute__((target("avx2,fma"))) static void small_k##K##s##S##_##NC##_##WP(EK_ARGS) {                     \
    conv_small(K, S, NC, WP, g, C, x, x_ld, w, bias, y, y_ld, lo, hi, scratch);                                  \
  }
#define EK_DEFINE(K, S)                                                                                         \
  EK_SMALL(K, S, 1, 8) EK_SMALL(K, S, 1, 16) EK_SMALL(K, S, 2, 16)                                              \
  __attribute__((target("avx2,fma"))) static void narrow_k##K##s##S(EK_ARGS) {                                  \
    (void)scratch;                                                                                              \
    conv_narrow(K, S, g, C, x, x_ld, w, bias, y, y_ld, lo, hi);                                                 \
  }                                                                                                             \
  __attribute__((target("avx2,fma"))) static void wide_k##K##s##S(EK_ARGS) {                                    \
    conv(K, S, g, C, x, x_ld, w, bias, y, y_ld, lo, hi, scratch);                                               \
  }
EK_DEFINE(3, 1)
EK_DEFINE(3, 2)
EK_DEFINE(5, 1)
EK_DEFINE(5, 2)
EK_SMALL(3, 2, 1, 32)
EK_SMALL(3, 2, 2, 32)
EK_SMALL(5, 2, 1, 32)
EK_SMALL(5, 2, 2, 32)
#define EK_ROW(K, S, A, B, C)                                                                                     \
  { small_k##K##s##S##_1_8, small_k##K##s##S##_1_16, A, small_k##K##s##S##_2_16, B, narrow_k##K##s##S, C }
static const kernel_fn kernels[2][2][7] = {
    {EK_ROW(3, 1, NULL, NULL, wide_k3s1), EK_ROW(3, 2, small_k3s2_1_32, small_k3s2_2_32, wide_k3s2)},
    {EK_ROW(5, 1, NULL, NULL, wide_k5s1), EK_ROW(5, 2, small_k5s2_1_32, small_k5s2_2_32, wide_k5s2)}};

size_t ek_f32_dwconv_chw_avx2_direct_scratch(const ek_dwconv_geom* g) {
  const size_t zero = g->W > EK_ZERO_W ? (size_t)g->W : 0;
  const size_t small =
      small_shape(g) ? 2 * ((size_t)small_rows(g) * (size_t)small_class(g) + SMALL_SLACK) + SMALL_SLACK + 8 : 0;
  return zero > small ? zero : small;
}

/* Square 3x3 / 5x5 at stride 1 / 2 (the caller checked), C channels. */
void ek_f32_dwconv_chw_multi__avx2_direct(const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld,
                                          const float* w, const float* bias, float* y, int64_t y_ld, float lo,
                                          float hi, float* scratch) {
  const int32_t OW = g->OW, K = g->kh, S = g->sh;
  int v = OW <= 8 ? 5 : 6;
  if (small_shape(g)) {
    const int32_t wp = small_class(g);
    v = OW <= 8 ? (wp == 8 ? 0 : wp == 16 ? 1 : 2) : wp == 16 ? 3 : 4;
  }
  kernels[K == 5][S == 2][v](g, C, x, x_ld, w, bias, y, y_ld, lo, hi, scratch);
}

void ek_f32_dwconv_chw__avx2_direct(const ek_dwconv_geom* g, const float* x, const float* w, float bias, float* y,
                                    float lo, float hi, float* scratch) {
  ek_f32_dwconv_chw_multi__avx2_direct(g, 1, x, 0, w, &bias, y, 0, lo, hi, scratch);
}
#endif
