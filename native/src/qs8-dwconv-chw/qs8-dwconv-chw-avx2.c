/* qs8 depthwise CHW, AVX2. The plane is widened once into a zero-padded float plane holding
 * x - input_zero_point (padding = 0, as XNNPACK's zero buffer). Products of int8 weights and
 * these values are integers below 2^15 and a 16x16 kernel sums at most 256 of them, so fp32
 * accumulation with FMA is exact: the int32 sum, the bias add and the requantization then match
 * the integer reference bit for bit. Stride 1 runs flat over the padded plane (output i = oy*wp + ox,
 * long vectors even for 7x7 planes); other strides run per output row at stride 1 and keep every
 * sw-th column. */
#include "qs8-dwconv-chw.h"

#include <string.h>

#define EK_MAX_TAPS 256
#define EK_MARGIN 64 /* floats past each scratch area that vector loads may touch */

static int32_t padded_h(const ek_dwconv_geom* g) { return (g->OH - 1) * g->sh + g->kh + 1; }
static int32_t padded_w(const ek_dwconv_geom* g) {
  const int32_t wp = (g->OW - 1) * g->sw + g->kw;
  const int32_t min = g->pad_left + g->W;
  return (wp > min ? wp : min) + 1;
}

size_t ek_qs8_dwconv_chw_scratch(const ek_dwconv_geom* g) {
  const size_t hp = (size_t)padded_h(g), wp = (size_t)padded_w(g);
  const size_t stage = (size_t)g->OH * wp;
  return hp * wp + EK_MARGIN + stage + 8 + EK_MARGIN;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define EK_TARGET __attribute__((target("avx2,fma")))

EK_TARGET static void widen_plane(const ek_dwconv_geom* g, const int8_t* x, int32_t zp, float* xp, int32_t hp,
                                  int32_t wp) {
  memset(xp, 0, sizeof(float) * ((size_t)hp * wp + EK_MARGIN));
  const __m256i vzp = _mm256_set1_epi32(zp);
  for (int32_t iy = 0; iy < g->H; iy++) {
    const int32_t py = iy + g->pad_top;
    if (py >= hp) break;
    int32_t n = g->W;
    if (g->pad_left + n > wp) n = wp - g->pad_left;
    const int8_t* src = x + (size_t)iy * g->W;
    float* dst = xp + (size_t)py * wp + g->pad_left;
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)(src + i)));
      _mm256_storeu_ps(dst + i, _mm256_cvtepi32_ps(_mm256_sub_epi32(v, vzp)));
    }
    for (; i < n; i++) dst[i] = (float)((int32_t)src[i] - zp);
  }
}

/* 8 exact float sums -> 8 int8 outputs. */
EK_TARGET static inline void requant8(__m256 sum, __m256i vbias, __m256 vscale, __m256 vlo, __m256 vhi,
                                      __m256i vzp, int8_t* y) {
  const __m256i acc = _mm256_add_epi32(_mm256_cvtps_epi32(sum), vbias);
  __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), vscale);
  f = _mm256_min_ps(_mm256_max_ps(f, vlo), vhi);
  const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f), vzp); /* round half to even (MXCSR default) */
  const __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
  _mm_storel_epi64((__m128i*)y, _mm_packs_epi16(q16, q16));
}

EK_TARGET static void qs8_dwconv_avx2(const ek_dwconv_geom* g, const int8_t* x, const int8_t* w, int32_t bias,
                                      float scale, const ek_qs8_dwconv_params* p, int8_t* y, float* scratch) {
  const int32_t taps = g->kh * g->kw;
  if (taps > EK_MAX_TAPS) {
    ek_qs8_dwconv_chw_ref(g, x, w, bias, scale, p, y, scratch);
    return;
  }
  const int32_t hp = padded_h(g), wp = padded_w(g);
  float* xp = scratch;
  float* stage = scratch + (size_t)hp * wp + EK_MARGIN;
  widen_plane(g, x, p->input_zero_point, xp, hp, wp);
  __m256 wv[EK_MAX_TAPS];
  int32_t off[EK_MAX_TAPS];
  for (int32_t ky = 0, t = 0; ky < g->kh; ky++)
    for (int32_t kx = 0; kx < g->kw; kx++, t++) {
      wv[t] = _mm256_set1_ps((float)w[t]);
      off[t] = ky * wp + kx;
    }
  /* Stage: stride 1 -> OH rows of wp sums; otherwise one row of (OW-1)*sw+1 sums at a time. */
  const int32_t row_len = (g->OW - 1) * g->sw + 1;
  const int flat = g->sh == 1 && g->sw == 1;
  const int32_t rows = flat ? 1 : g->OH;
  const int32_t n = flat ? g->OH * wp : row_len;
  for (int32_t r = 0; r < rows; r++) {
    const float* base = xp + (size_t)(r * g->sh) * wp;
    for (int32_t i = 0; i < n; i += 8) {
      __m256 acc = _mm256_setzero_ps();
      for (int32_t t = 0; t < taps; t++) acc = _mm256_fmadd_ps(wv[t], _mm256_loadu_ps(base + i + off[t]), acc);
      _mm256_storeu_ps(stage + i, acc);
    }
    if (flat) break;
    /* Keep every sw-th sum of this output row (in place: index ox <= ox*sw). */
    for (int32_t ox = 0; ox < g->OW; ox++) stage[ox] = stage[(size_t)ox * g->sw];
    const __m256i vbias = _mm256_set1_epi32(bias), vzp = _mm256_set1_epi32(p->output_zero_point);
    const __m256 vscale = _mm256_set1_ps(scale);
    const __m256 vlo = _mm256_set1_ps((float)(p->output_min - p->output_zero_point));
    const __m256 vhi = _mm256_set1_ps((float)(p->output_max - p->output_zero_point));
    int8_t* yrow = y + (size_t)r * g->OW;
    int32_t ox = 0;
    for (; ox + 8 <= g->OW; ox += 8) requant8(_mm256_loadu_ps(stage + ox), vbias, vscale, vlo, vhi, vzp, yrow + ox);
    for (; ox < g->OW; ox++) yrow[ox] = ek_qs8_chw_requant((int32_t)((uint32_t)(int32_t)stage[ox] + (uint32_t)bias), scale, p);
  }
  if (!flat) return;
  const __m256i vbias = _mm256_set1_epi32(bias), vzp = _mm256_set1_epi32(p->output_zero_point);
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256 vlo = _mm256_set1_ps((float)(p->output_min - p->output_zero_point));
  const __m256 vhi = _mm256_set1_ps((float)(p->output_max - p->output_zero_point));
  for (int32_t oy = 0; oy < g->OH; oy++) {
    const float* srow = stage + (size_t)oy * wp;
    int8_t* yrow = y + (size_t)oy * g->OW;
    int32_t ox = 0;
    for (; ox + 8 <= g->OW; ox += 8) requant8(_mm256_loadu_ps(srow + ox), vbias, vscale, vlo, vhi, vzp, yrow + ox);
    for (; ox < g->OW; ox++) yrow[ox] = ek_qs8_chw_requant((int32_t)((uint32_t)(int32_t)srow[ox] + (uint32_t)bias), scale, p);
  }
}

int ek_qs8_dwconv_chw_variants(const char** names, ek_qs8_dwconv_chw_fn* fns, int max) {
  __builtin_cpu_init();
  int n = 0;
  if (n < max && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    names[n] = "avx2";
    fns[n++] = qs8_dwconv_avx2;
  }
  if (n < max && ek_qs8_dwconv_chw_avx512_variant(&names[n], &fns[n])) n++;
  return n;
}
#else
int ek_qs8_dwconv_chw_variants(const char** names, ek_qs8_dwconv_chw_fn* fns, int max) {
  return max > 0 ? ek_qs8_dwconv_chw_neon_variant(&names[0], &fns[0]) : 0; /* AArch64: NEON, else none */
}
#endif
