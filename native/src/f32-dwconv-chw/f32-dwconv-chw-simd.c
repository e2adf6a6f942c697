/* Depthwise CHW convolution, hand-tiled kernels per ISA (f32-dwconv-chw-tile.h) and the runtime
 * dispatch behind ek_f32_dwconv_chw. Square 3x3 / 5x5 kernels at stride 1 or 2 (every MobileNet /
 * EfficientNet-Lite depthwise conv) take the fast path; any other geometry runs the plain-C
 * reference in f32-dwconv-chw.c.
 *
 * Variants: x86 SSE2, AVX2+FMA, AVX-512F (each checked by ekx_dwconv_test); aarch64 NEON. The
 * dispatch (bottom of file) uses them only where they measured faster than the reference. */
#include "f32-dwconv-chw.h"

#include <string.h>

/* Zero floats past each ring row: a row's last vector may read EK_V + K floats past its needed
 * columns (the extra lanes are computed and dropped). */
#define EK_SLACK 24
/* Ring of padded input rows (a power of two >= 5 + EK_AHEAD), filled EK_AHEAD rows ahead. */
#define EK_RING 16
#define EK_AHEAD 8
/* Narrowest stride-1 output the dispatch sends to the ring kernels. */
#define EK_MIN_RING_OW 32

static int fast_shape(const ek_dwconv_geom* g) {
  return g->kh == g->kw && (g->kh == 3 || g->kh == 5) && g->sh == g->sw && (g->sh == 1 || g->sh == 2) &&
         g->pad_top >= 0 && g->pad_left >= 0 && g->OH > 0 && g->OW > 0;
}

/* Padded row width the outputs read; stride 2 keeps it as even / odd halves of ceil(wpad / 2). */
static int32_t pad_w(const ek_dwconv_geom* g) { return (g->OW - 1) * g->sw + g->kw; }
static int32_t ring_row(const ek_dwconv_geom* g) {
  const int32_t n = (g->sw == 1 ? pad_w(g) : (pad_w(g) + 1) / 2) + EK_SLACK;
  return (n + 15) & ~15; /* whole 64-byte lines: fewer tap loads split across lines */
}
static float* ring_base(float* scratch) {
  return (float*)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
}
/* Input columns that land inside the padded width (the rest are never read). */
static int32_t ring_cols(const ek_dwconv_geom* g) {
  const int32_t n = pad_w(g) - g->pad_left;
  return n < g->W ? (n > 0 ? n : 0) : g->W;
}

static size_t fast_scratch(const ek_dwconv_geom* g) {
  if (!fast_shape(g)) return 0;
  return (size_t)EK_RING * (size_t)g->sh * (size_t)ring_row(g) + 16;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* f32-dwconv-chw-avx2-direct.c: masked loads straight from the plane, no padded copy; one channel or C. */
size_t ek_f32_dwconv_chw_avx2_direct_scratch(const ek_dwconv_geom* g);
void ek_f32_dwconv_chw__avx2_direct(const ek_dwconv_geom* g, const float* x, const float* w, float bias, float* y,
                                    float lo, float hi, float* scratch);
void ek_f32_dwconv_chw_multi__avx2_direct(const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld,
                                          const float* w, const float* bias, float* y, int64_t y_ld, float lo,
                                          float hi, float* scratch);
#endif

size_t ek_f32_dwconv_chw_scratch(const ek_dwconv_geom* g) {
  size_t n = ek_f32_dwconv_chw_ref_scratch(g), fast = fast_scratch(g);
  n = n > fast ? n : fast;
#if defined(__x86_64__) && defined(__GNUC__)
  const size_t direct = fast_shape(g) ? ek_f32_dwconv_chw_avx2_direct_scratch(g) : 0;
  n = n > direct ? n : direct;
#endif
  return n;
}

/* Each ISA block defines its kernels through the template and a driver EK_FN(dwconv). */
#define EK_DEFINE_DRIVER                                                                              \
  static void EK_FN(dwconv)(const ek_dwconv_geom* g, const float* x, const float* w, float bias, float* y, \
                            float lo, float hi, float* scratch) {                                     \
    if (!fast_shape(g)) ek_f32_dwconv_chw_ref(g, x, w, bias, y, lo, hi, scratch);                     \
    else if (g->sh == 1 && g->kh == 3) EK_FN(conv_s1_k3)(g, x, w, bias, y, lo, hi, scratch);          \
    else if (g->sh == 1) EK_FN(conv_s1_k5)(g, x, w, bias, y, lo, hi, scratch);                        \
    else if (g->kh == 3) EK_FN(conv_s2_k3)(g, x, w, bias, y, lo, hi, scratch);                        \
    else EK_FN(conv_s2_k5)(g, x, w, bias, y, lo, hi, scratch);                                        \
  }

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* SSE2: the x86-64 baseline. */
#define EK_V 4
#define EK_SFX sse2
#define EK_TARGET
#define VT __m128
#define LD(p) _mm_loadu_ps(p)
#define ST(p, v) _mm_storeu_ps((p), (v))
#define BCAST(s) _mm_set1_ps(s)
#define FMA(a, b, c) _mm_add_ps(_mm_mul_ps((a), (b)), (c))
#define VADD(a, b) _mm_add_ps((a), (b))
#define STN(p, v, n)                                                    \
  do {                                                                  \
    float t_[4];                                                        \
    _mm_storeu_ps(t_, (v));                                             \
    for (int32_t l_ = 0; l_ < 4 && l_ < (n); l_++) (p)[l_] = t_[l_];    \
  } while (0)
#define VMAX(a, b) _mm_max_ps((b), (a))
#define VMIN(a, b) _mm_min_ps((b), (a))
#include "f32-dwconv-chw-tile.h"
EK_DEFINE_DRIVER
#undef EK_V
#undef EK_SFX
#undef EK_TARGET
#undef VT
#undef LD
#undef ST
#undef BCAST
#undef FMA
#undef VADD
#undef STN
#undef VMAX
#undef VMIN

/* AVX2 + FMA. */
#define EK_V 8
#define EK_SFX avx2
#define EK_TARGET __attribute__((target("avx2,fma")))
#define VT __m256
#define LD(p) _mm256_loadu_ps(p)
#define ST(p, v) _mm256_storeu_ps((p), (v))
#define BCAST(s) _mm256_set1_ps(s)
#define FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VADD(a, b) _mm256_add_ps((a), (b))
#define STN(p, v, n) \
  _mm256_maskstore_ps((p), _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)), (v))
#define VMAX(a, b) _mm256_max_ps((b), (a))
#define VMIN(a, b) _mm256_min_ps((b), (a))
#include "f32-dwconv-chw-tile.h"
EK_DEFINE_DRIVER
#undef EK_V
#undef EK_SFX
#undef EK_TARGET
#undef VT
#undef LD
#undef ST
#undef BCAST
#undef FMA
#undef VADD
#undef STN
#undef VMAX
#undef VMIN

/* AVX-512F. */
#define EK_V 16
#define EK_SFX avx512
#define EK_TARGET __attribute__((target("avx512f,avx2,fma")))
#define VT __m512
#define LD(p) _mm512_loadu_ps(p)
#define ST(p, v) _mm512_storeu_ps((p), (v))
#define BCAST(s) _mm512_set1_ps(s)
#define FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VADD(a, b) _mm512_add_ps((a), (b))
#define STN(p, v, n) _mm512_mask_storeu_ps((p), (__mmask16)((n) >= 16 ? 0xFFFFu : (1u << (n)) - 1u), (v))
#define VMAX(a, b) _mm512_max_ps((b), (a))
#define VMIN(a, b) _mm512_min_ps((b), (a))
#include "f32-dwconv-chw-tile.h"
EK_DEFINE_DRIVER

/* f32-dwconv-chw-avx512-direct.c: masked loads straight from the plane, no padded copy. */
void ek_f32_dwconv_chw__avx512_direct(const ek_dwconv_geom* g, const float* x, const float* w, float bias, float* y,
                                      float lo, float hi, float* scratch);
static void dwconv_avx512_direct(const ek_dwconv_geom* g, const float* x, const float* w, float bias, float* y,
                                 float lo, float hi, float* scratch) {
  if (!fast_shape(g)) ek_f32_dwconv_chw_ref(g, x, w, bias, y, lo, hi, scratch);
  else ek_f32_dwconv_chw__avx512_direct(g, x, w, bias, y, lo, hi, scratch);
}

static void dwconv_avx2_direct(const ek_dwconv_geom* g, const float* x, const float* w, float bias, float* y,
                               float lo, float hi, float* scratch) {
  if (!fast_shape(g)) ek_f32_dwconv_chw_ref(g, x, w, bias, y, lo, hi, scratch);
  else ek_f32_dwconv_chw__avx2_direct(g, x, w, bias, y, lo, hi, scratch);
}

int ek_f32_dwconv_chw_variants(const char** names, ek_f32_dwconv_chw_fn* fns, int max) {
  int n = 0;
  __builtin_cpu_init();
#define EK_ADD(nm, fn) do { if (n < max) { names[n] = nm; fns[n] = fn; } n++; } while (0)
  EK_ADD("sse2", dwconv_sse2);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) EK_ADD("avx2", dwconv_avx2);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) EK_ADD("avx2-direct", dwconv_avx2_direct);
  if (__builtin_cpu_supports("avx512f")) EK_ADD("avx512", dwconv_avx512);
  if (__builtin_cpu_supports("avx512f")) EK_ADD("avx512-direct", dwconv_avx512_direct);
#undef EK_ADD
  return n < max ? n : max;
}

#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>

#define EK_V 4
#define EK_SFX neon
#define EK_TARGET
#define VT float32x4_t
#define LD(p) vld1q_f32(p)
#define ST(p, v) vst1q_f32((p), (v))
#define BCAST(s) vdupq_n_f32(s)
#define FMA(a, b, c) vfmaq_f32((c), (a), (b))
#define VADD(a, b) vaddq_f32((a), (b))
#define STN(p, v, n)                                                    \
  do {                                                                  \
    float t_[4];                                                        \
    vst1q_f32(t_, (v));                                                 \
    for (int32_t l_ = 0; l_ < 4 && l_ < (n); l_++) (p)[l_] = t_[l_];    \
  } while (0)
#define VMAX(a, b) vmaxq_f32((a), (b))
#define VMIN(a, b) vminq_f32((a), (b))
#include "f32-dwconv-chw-tile.h"
EK_DEFINE_DRIVER

int ek_f32_dwconv_chw_variants(const char** names, ek_f32_dwconv_chw_fn* fns, int max) {
  if (max < 1) return 0;
  names[0] = "neon";
  fns[0] = dwconv_neon;
  return 1;
}

#else
int ek_f32_dwconv_chw_variants(const char** names, ek_f32_dwconv_chw_fn* fns, int max) {
  (void)names, (void)fns, (void)max;
  return 0;
}
#endif

/* The stride-1 kernel the dispatch uses: measured (ekx_dwconv_test --bench), AVX-512 does not beat
 * AVX2 here (unaligned 64-byte tap loads all split cache lines) and SSE2 loses to the reference's
 * own AVX2 / AVX-512 clones, so x86 uses AVX2 or nothing. */
static ek_f32_dwconv_chw_fn best_s1(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dwconv_avx2;
  return ek_f32_dwconv_chw_ref;
#elif defined(__aarch64__) && defined(__ARM_NEON)
  return dwconv_neon;
#else
  return ek_f32_dwconv_chw_ref;
#endif
}

/* With AVX-512F, every fast shape (any plane size, stride 1 and 2) runs the direct masked-load
 * kernel: measured (ekx_dwconv_test --bench, same run) all 17 MobileNetV2 layers 1.96 ms vs 3.35 ms
 * for the previous dispatch, 1.8-3.2x on 28x28 and smaller and at stride 2, even on 112x112 s1.
 * With AVX2 + FMA (no AVX-512), its AVX2 twin (f32-dwconv-chw-avx2-direct.c): every layer faster
 * than the ring / reference kernels on Zen 3, 3x3 and 5x5 (numbers in that file's commit). */
static ek_f32_dwconv_chw_fn best_direct(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return dwconv_avx512_direct;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dwconv_avx2_direct;
#endif
  return 0;
}

static ek_f32_dwconv_chw_fn direct_fn(void) {
  /* Benign races: every thread computes the same pointers. */
  static int direct_checked;
  static ek_f32_dwconv_chw_fn direct;
  if (!__atomic_load_n(&direct_checked, __ATOMIC_ACQUIRE)) {
    __atomic_store_n(&direct, best_direct(), __ATOMIC_RELAXED);
    __atomic_store_n(&direct_checked, 1, __ATOMIC_RELEASE);
  }
  return __atomic_load_n(&direct, __ATOMIC_RELAXED);
}

void ek_f32_dwconv_chw(const ek_dwconv_geom* g, const float* x, const float* w, float bias, float* y,
                       float out_min, float out_max, float* scratch) {
  ek_f32_dwconv_chw_fn d = direct_fn();
  if (d) {
    d(g, x, w, bias, y, out_min, out_max, scratch);
    return;
  }
  /* Without AVX2 (SSE2-only x86; NEON), measured on AVX hosts with the same benchmark: the ring
   * kernels win on wide stride-1 planes (112x112, 56x56: 1.3-1.7x); on 28x28 and smaller, and at
   * stride 2 (memory-bound on the 4x larger input), the reference's flat loop is as fast or faster. */
  if (g->sh != 1 || g->OW < EK_MIN_RING_OW) {
    ek_f32_dwconv_chw_ref(g, x, w, bias, y, out_min, out_max, scratch);
    return;
  }
  static ek_f32_dwconv_chw_fn chosen;
  ek_f32_dwconv_chw_fn fn = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
  if (!fn) {
    fn = best_s1();
    __atomic_store_n(&chosen, fn, __ATOMIC_RELAXED);
  }
  fn(g, x, w, bias, y, out_min, out_max, scratch);
}

/* The AVX-512 flat kernel for the small stride-1 planes it takes; on AVX2 CPUs the AVX2 kernels on
 * all C channels in one call (what depends only on the geometry, once: 7x7 c960 and 14x14 layers
 * ~1.3-2x fewer instructions than per channel); else ek_f32_dwconv_chw per channel. */
void ek_f32_dwconv_chw_multi(const ek_dwconv_geom* g, int32_t C, const float* x, int64_t x_ld, const float* w,
                             const float* bias, float* y, int64_t y_ld, float out_min, float out_max,
                             float* scratch) {
  if (ek_f32_dwconv_chw_flat_available(g)) {
    ek_f32_dwconv_chw_multi__avx512_flat(g, C, x, x_ld, w, bias, y, y_ld, out_min, out_max);
    return;
  }
#if defined(__x86_64__) && defined(__GNUC__)
  if (direct_fn() == dwconv_avx2_direct && fast_shape(g)) {
    ek_f32_dwconv_chw_multi__avx2_direct(g, C, x, x_ld, w, bias, y, y_ld, out_min, out_max, scratch);
    return;
  }
#endif
  const int64_t taps = (int64_t)g->kh * g->kw;
  for (int32_t c = 0; c < C; c++)
    ek_f32_dwconv_chw(g, x + c * x_ld, w + c * taps, bias[c], y + c * y_ld, out_min, out_max, scratch);
}
