/* One ISA's depthwise CHW kernels, included once per ISA by f32-dwconv-chw-simd.c with:
 *   EK_V            lanes per vector          EK_SFX  name suffix (sse2, avx2, avx512, neon)
 *   EK_TARGET       function attribute (x86 target) or nothing
 *   VT, LD, ST, BCAST, FMA(a, b, acc), VMAX, VMIN   the vector type and its primitives
 *   VADD, STN(p, v, n) (store the first n < EK_V lanes)
 * The kernel shape is the same for every ISA: weights live in registers as broadcast vectors and
 * every tap is an unaligned vector load (XNNPACK's CHW kernels shift lanes instead; loads are cheap
 * here and keep one kernel shape for all ISAs). */
#define EK_CAT_(a, b) a##_##b
#define EK_CAT(a, b) EK_CAT_(a, b)
#define EK_FN(name) EK_CAT(name, EK_SFX)

/* Stride 2 row fill: splits input row xr into the even / odd columns of its zero-padded row
 * (padded column c = pad_left + j), so every stride-2 tap is a contiguous load. Compiled per ISA
 * so the deinterleave vectorizes. */
EK_TARGET static void EK_FN(split_row)(const float* xr, int32_t pad_left, int32_t jmax, float* ev, float* od) {
  const int32_t je = pad_left & 1, jo = 1 - je; /* first input column landing on an even / odd column */
  float* e = ev + (je + pad_left) / 2;
  float* o = od + (jo + pad_left) / 2;
  for (int32_t t = 0; je + 2 * t < jmax; t++) e[t] = xr[je + 2 * t];
  for (int32_t t = 0; jo + 2 * t < jmax; t++) o[t] = xr[jo + 2 * t];
}

/* Writes a whole ring row: zeros, then (src != NULL) n floats of src at pad_left. Inline vector
 * copies: on 7x7 .. 28x28 planes, libc memcpy / memset calls per row cost more than the taps. */
EK_TARGET static inline void EK_FN(fill_row)(float* dst, const float* src, int32_t pad_left, int32_t n, int32_t rw) {
  const VT vz = BCAST(0.0f);
  int32_t j = 0;
  for (; j + EK_V <= rw; j += EK_V) ST(dst + j, vz);
  for (; j < rw; j++) dst[j] = 0.0f;
  if (!src) return;
  float* d = dst + pad_left;
  for (j = 0; j + EK_V <= n; j += EK_V) ST(d + j, LD(src + j));
  for (; j < n; j++) d[j] = src[j];
}

/* One channel, stride S, K x K. A ring of EK_RING zero-padded input rows (stride 2: each as an
 * even and an odd half rw floats apart) is filled one input row at a time, so the plane is read
 * once and the taps hit L1; output rows are written straight to y. Rows are filled EK_AHEAD rows
 * before use: vector loads of a row whose stores are still in flight would stall on failed store
 * forwarding (small planes are filled completely up front); rows start 64-byte aligned. Stride 1
 * computes two output rows per pass (K + 1 input rows feed 2 x K rows of taps: a third fewer
 * loads), 2 vectors wide then single vectors, the last one partially stored. Single rows compute 4
 * vectors; at stride 2 with the tap rows split over two accumulators (8 independent FMA chains), at
 * stride 1 in the paired rows' order (one chain), so a row's bits do not depend on whether it was
 * paired (the fused blocks' row bands must equal the whole plane). */
#define EK_DEFINE_CONV(S, K)                                                                          \
  EK_TARGET static void EK_FN(conv_s##S##_k##K)(const ek_dwconv_geom* g, const float* x, const float* w,  \
                                                float bias, float* y, float lo, float hi,            \
                                                float* scratch) {                                     \
    const int32_t rw = ring_row(g), ow = g->OW, jmax = ring_cols(g);                                 \
    float* ring = ring_base(scratch);                                                                 \
    VT wv[K * K];                                                                                     \
    for (int t = 0; t < K * K; t++) wv[t] = BCAST(w[t]);                                              \
    const VT vb = BCAST(bias), vz = BCAST(0.0f), vlo = BCAST(lo), vhi = BCAST(hi);                    \
    const int32_t hp = (g->OH - 1) * S + K;                                                         \
    int32_t next = 0; /* next padded row to bring into the ring */                                    \
    for (int32_t oy = 0; oy < g->OH; oy++) {                                                          \
      const int32_t top = oy * S;                                                                     \
      const int32_t want = top + K + EK_AHEAD < hp ? top + K + EK_AHEAD : hp;                         \
      for (; next < want; next++) {                                                                   \
        float* slot = ring + (size_t)(next % EK_RING) * S * rw;                                       \
        const int32_t iy = next - g->pad_top;                                                         \
        const int live = iy >= 0 && iy < g->H && jmax > 0;                                            \
        if (S == 1) {                                                                                 \
          EK_FN(fill_row)(slot, live ? x + (size_t)iy * g->W : NULL, g->pad_left, jmax, rw);           \
        } else {                                                                                      \
          EK_FN(fill_row)(slot, NULL, 0, 0, 2 * rw);                                                  \
          if (live) EK_FN(split_row)(x + (size_t)iy * g->W, g->pad_left, jmax, slot, slot + rw);      \
        }                                                                                             \
      }                                                                                               \
      if (S == 1 && oy + 1 < g->OH) { /* two output rows share K - 1 of their K + 1 input rows */     \
        const float* q[K + 1];                                                                        \
        for (int ky = 0; ky <= K; ky++) q[ky] = ring + (size_t)((top + ky) % EK_RING) * rw;           \
        float* y0 = y + (size_t)oy * ow;                                                              \
        float* y1 = y0 + ow;                                                                          \
        int32_t ox = 0;                                                                               \
        for (; ox + 2 * EK_V <= ow; ox += 2 * EK_V) {                                                 \
          VT a0 = vb, a1 = vb, c0 = vb, c1 = vb;                                                      \
          _Pragma("GCC unroll 6") for (int r = 0; r <= K; r++) {                                      \
            _Pragma("GCC unroll 5") for (int kx = 0; kx < K; kx++) {                                  \
              const VT v0 = LD(q[r] + ox + kx), v1 = LD(q[r] + ox + kx + EK_V);                       \
              if (r < K) {                                                                            \
                a0 = FMA(wv[r * K + kx], v0, a0);                                                     \
                a1 = FMA(wv[r * K + kx], v1, a1);                                                     \
              }                                                                                       \
              if (r > 0) {                                                                            \
                c0 = FMA(wv[(r - 1) * K + kx], v0, c0);                                               \
                c1 = FMA(wv[(r - 1) * K + kx], v1, c1);                                               \
              }                                                                                       \
            }                                                                                         \
          }                                                                                           \
          ST(y0 + ox, VMIN(VMAX(a0, vlo), vhi));                                                      \
          ST(y0 + ox + EK_V, VMIN(VMAX(a1, vlo), vhi));                                               \
          ST(y1 + ox, VMIN(VMAX(c0, vlo), vhi));                                                      \
          ST(y1 + ox + EK_V, VMIN(VMAX(c1, vlo), vhi));                                               \
        }                                                                                             \
        for (; ox < ow; ox += EK_V) {                                                                 \
          VT a0 = vb, c0 = vb;                                                                        \
          _Pragma("GCC unroll 6") for (int r = 0; r <= K; r++) {                                      \
            _Pragma("GCC unroll 5") for (int kx = 0; kx < K; kx++) {                                  \
              const VT v0 = LD(q[r] + ox + kx);                                                       \
              if (r < K) a0 = FMA(wv[r * K + kx], v0, a0);                                            \
              if (r > 0) c0 = FMA(wv[(r - 1) * K + kx], v0, c0);                                      \
            }                                                                                         \
          }                                                                                           \
          STN(y0 + ox, VMIN(VMAX(a0, vlo), vhi), ow - ox);                                            \
          STN(y1 + ox, VMIN(VMAX(c0, vlo), vhi), ow - ox);                                            \
        }                                                                                             \
        oy++;                                                                                         \
        continue;                                                                                     \
      }                                                                                               \
      const float* r[K];                                                                              \
      for (int ky = 0; ky < K; ky++) r[ky] = ring + (size_t)((top + ky) % EK_RING) * S * rw;                \
      float* yr = y + (size_t)oy * ow;                                                                \
      int32_t ox = 0;                                                                                 \
      for (; ox + 4 * EK_V <= ow; ox += 4 * EK_V) {                                                   \
        VT a0 = vb, a1 = vb, a2 = vb, a3 = vb, b0 = vz, b1 = vz, b2 = vz, b3 = vz;                    \
        _Pragma("GCC unroll 5") for (int ky = 0; ky < K; ky++) {                                      \
          _Pragma("GCC unroll 5") for (int kx = 0; kx < K; kx++) {                                    \
            const float* p = S == 1 ? r[ky] + ox + kx : r[ky] + (kx & 1) * rw + ox + kx / 2;          \
            const VT wt = wv[ky * K + kx];                                                            \
            if (S == 2 && (ky & 1)) {                                                                          \
              b0 = FMA(wt, LD(p), b0);                                                                \
              b1 = FMA(wt, LD(p + EK_V), b1);                                                         \
              b2 = FMA(wt, LD(p + 2 * EK_V), b2);                                                     \
              b3 = FMA(wt, LD(p + 3 * EK_V), b3);                                                     \
            } else {                                                                                  \
              a0 = FMA(wt, LD(p), a0);                                                                \
              a1 = FMA(wt, LD(p + EK_V), a1);                                                         \
              a2 = FMA(wt, LD(p + 2 * EK_V), a2);                                                     \
              a3 = FMA(wt, LD(p + 3 * EK_V), a3);                                                     \
            }                                                                                         \
          }                                                                                           \
        }                                                                                             \
        ST(yr + ox, VMIN(VMAX((S == 1 ? a0 : VADD(a0, b0)), vlo), vhi));                                       \
        ST(yr + ox + EK_V, VMIN(VMAX((S == 1 ? a1 : VADD(a1, b1)), vlo), vhi));                                \
        ST(yr + ox + 2 * EK_V, VMIN(VMAX((S == 1 ? a2 : VADD(a2, b2)), vlo), vhi));                            \
        ST(yr + ox + 3 * EK_V, VMIN(VMAX((S == 1 ? a3 : VADD(a3, b3)), vlo), vhi));                            \
      }                                                                                               \
      for (; ox < ow; ox += EK_V) {                                                                   \
        VT a0 = vb, b0 = vz;                                                                          \
        _Pragma("GCC unroll 5") for (int ky = 0; ky < K; ky++) {                                      \
          _Pragma("GCC unroll 5") for (int kx = 0; kx < K; kx++) {                                    \
            const float* p = S == 1 ? r[ky] + ox + kx : r[ky] + (kx & 1) * rw + ox + kx / 2;          \
            if (S == 2 && (ky & 1)) b0 = FMA(wv[ky * K + kx], LD(p), b0);                                      \
            else a0 = FMA(wv[ky * K + kx], LD(p), a0);                                                \
          }                                                                                           \
        }                                                                                             \
        STN(yr + ox, VMIN(VMAX((S == 1 ? a0 : VADD(a0, b0)), vlo), vhi), ow - ox);                             \
      }                                                                                               \
    }                                                                                                 \
  }

EK_DEFINE_CONV(1, 3)
EK_DEFINE_CONV(1, 5)
EK_DEFINE_CONV(2, 3)
EK_DEFINE_CONV(2, 5)

#undef EK_DEFINE_CONV
