/* Dense CHW convolution: the plain-loop reference, the geometry rules, the scratch layout the
 * vector kernels share, and the runtime dispatch (AVX-512F, AVX2+FMA, else the reference).
 *
 * Vector kernels (f32-conv-chw-avx512.c, -avx2.c) compute one output row at a time: the kh input
 * rows it reads are first split by column phase (ix mod sw) into zero-padded scratch rows, so every
 * tap (c, ky, kx) of V consecutive outputs is one plain unaligned load at phase kx mod sw, offset
 * kx / sw; then for a block of output channels each loaded vector feeds one FMA per channel with
 * the tap's weights broadcast (tap-major weights: a block's weights for one tap are contiguous).
 * The portable variant (f32-conv-chw-portable.c) does the same in plain C for other CPUs. */
#include "f32-conv-chw.h"

#include "f32-conv-chw-internal.h"

int ek_f32_conv_chw_supported(const ek_conv_geom* g) {
  return g->C >= 1 && g->M >= 1 && g->H >= 1 && g->W >= 1 && g->OH >= 1 && g->OW >= 1 && g->kh >= 1 &&
         g->kw >= 1 && g->kh <= EK_CONV_CHW_MAX_KERNEL && g->kw <= EK_CONV_CHW_MAX_KERNEL && g->sh >= 1 &&
         g->sw >= 1 && g->sh <= EK_CONV_CHW_MAX_STRIDE && g->sw <= EK_CONV_CHW_MAX_STRIDE && g->pad_top >= 0 &&
         g->pad_left >= 0 && g->pad_top < g->kh && g->pad_left < g->kw &&
         g->C * g->kh * g->kw <= EK_CONV_CHW_MAX_TAPS;
}

int32_t ek_conv_chw_phase_width(const ek_conv_geom* g) {
  const int32_t ow16 = (g->OW + 15) & ~15;
  return (ow16 + (g->kw - 1) / g->sw + 15) & ~15;
}

size_t ek_f32_conv_chw_scratch(const ek_conv_geom* g) {  /* two phase buffers (ping-pong) */
  return 2 * ((size_t)g->C * (size_t)g->kh * (size_t)g->sw * (size_t)ek_conv_chw_phase_width(g) + 16);
}

void ek_conv_chw_tap_offsets(const ek_conv_geom* g, int32_t* off) {
  const int32_t pw = ek_conv_chw_phase_width(g);
  int32_t k = 0;
  for (int32_t c = 0; c < g->C; c++)
    for (int32_t ky = 0; ky < g->kh; ky++)
      for (int32_t kx = 0; kx < g->kw; kx++)
        off[k++] = ((c * g->kh + ky) * g->sw + kx % g->sw) * pw + kx / g->sw;
}

void ek_conv_chw_fill_phases_scalar(const ek_conv_geom* g, const float* x, int32_t oy, float* phases) {
  const int32_t pw = ek_conv_chw_phase_width(g);
  for (int32_t c = 0; c < g->C; c++)
    for (int32_t ky = 0; ky < g->kh; ky++) {
      const int32_t iy = oy * g->sh - g->pad_top + ky;
      const int row_ok = iy >= 0 && iy < g->H;
      const float* xr = x + ((size_t)c * g->H + (size_t)(row_ok ? iy : 0)) * g->W;
      for (int32_t p = 0; p < g->sw; p++) {
        float* dst = phases + (size_t)((c * g->kh + ky) * g->sw + p) * pw;
        for (int32_t j = 0; j < pw; j++) {
          const int32_t ix = j * g->sw + p - g->pad_left;
          dst[j] = row_ok && ix >= 0 && ix < g->W ? xr[ix] : 0.0f;
        }
      }
    }
}

void ek_f32_conv_chw_ref(const ek_conv_geom* g, const float* x, const float* w, const float* bias, int32_t oy0,
                         int32_t oy1, float* y, int64_t y_ld, float lo, float hi, float* scratch) {
  (void)scratch;
  for (int32_t m = 0; m < g->M; m++)
    for (int32_t oy = oy0; oy < oy1; oy++)
      for (int32_t ox = 0; ox < g->OW; ox++) {
        float acc = bias[m];
        int32_t k = 0;
        for (int32_t c = 0; c < g->C; c++)
          for (int32_t ky = 0; ky < g->kh; ky++)
            for (int32_t kx = 0; kx < g->kw; kx++, k++) {
              const int32_t iy = oy * g->sh - g->pad_top + ky, ix = ox * g->sw - g->pad_left + kx;
              if (iy < 0 || iy >= g->H || ix < 0 || ix >= g->W) continue;
              acc += w[(size_t)k * g->M + m] * x[((size_t)c * g->H + iy) * g->W + ix];
            }
        acc = acc < lo ? lo : acc;
        y[m * y_ld + (int64_t)(oy - oy0) * g->OW + ox] = acc > hi ? hi : acc;
      }
}

int ek_f32_conv_chw_variants(const char** names, ek_f32_conv_chw_fn* fns, int max) {
  int n = 0;
  if (n < max) {
    names[n] = "portable";
    fns[n++] = ek_f32_conv_chw__portable;
  }
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (n < max && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    names[n] = "avx2";
    fns[n++] = ek_f32_conv_chw__avx2;
  }
  if (n < max && __builtin_cpu_supports("avx512f")) {
    names[n] = "avx512";
    fns[n++] = ek_f32_conv_chw__avx512;
  }
#endif
  return n;
}

static ek_f32_conv_chw_fn best(void) { /* the last variant listed is the fastest this CPU runs */
  const char* names[4];
  ek_f32_conv_chw_fn fns[4];
  const int n = ek_f32_conv_chw_variants(names, fns, 4);
  return n ? fns[n - 1] : ek_f32_conv_chw_ref;
}

void ek_f32_conv_chw(const ek_conv_geom* g, const float* x, const float* w, const float* bias, int32_t oy0,
                     int32_t oy1, float* y, int64_t y_ld, float lo, float hi, float* scratch) {
  static ek_f32_conv_chw_fn chosen; /* benign race: every thread computes the same pointer */
  ek_f32_conv_chw_fn fn = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
  if (!fn) {
    fn = best();
    __atomic_store_n(&chosen, fn, __ATOMIC_RELAXED);
  }
  fn(g, x, w, bias, oy0, oy1, y, y_ld, lo, hi, scratch);
}
