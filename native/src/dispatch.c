/* Runtime ISA detection and the public kernel entry points (argument checks, then a table lookup). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

typedef struct isa_kernels {
  ek_f32_kernel f32;
  ek_qs8_kernel qs8;
} isa_kernels;

/* Indexed by ek_isa. A NULL entry means "not built into this library". */
static const isa_kernels kTable[EK_ISA_AVX512 + 1] = {
    [EK_ISA_SCALAR] = {ek_f32_gspmm__scalar, ek_qs8_gspmm__scalar},
#ifdef EK_BUILD_NEON
    [EK_ISA_NEON] = {ek_f32_gspmm__neon, ek_qs8_gspmm__neon},
#endif
#ifdef EK_BUILD_NEONDOT
    [EK_ISA_NEONDOT] = {NULL, ek_qs8_gspmm__neondot},
#endif
#ifdef EK_BUILD_X86
    [EK_ISA_AVX2] = {ek_f32_gspmm__avx2, ek_qs8_gspmm__avx2},
#endif
#ifdef EK_BUILD_AVX512
    [EK_ISA_AVX512] = {ek_f32_gspmm__avx512, ek_qs8_gspmm__avx512},
#endif
};
#define EK_ISA_COUNT ((int)(sizeof kTable / sizeof kTable[0]))

static int g_avx512vnni; /* the AVX-512 qs8 kernel also needs VNNI (vpdpbusd) */

static uint32_t detect_cpu(void) {
  uint32_t mask = 1u << EK_ISA_SCALAR;
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return mask;
  const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
  if (!(osxsave && avx)) return mask;
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const int ymm_os = (xcr0_lo & 0x6) == 0x6, zmm_os = (xcr0_lo & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return mask;
  const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
  if (ymm_os && avx2 && fma) mask |= 1u << EK_ISA_AVX2;
  if (ymm_os && zmm_os && avx2 && fma && avx512f && avx512bw && avx512vl) mask |= 1u << EK_ISA_AVX512;
  g_avx512vnni = (c >> 11) & 1;
#elif defined(__aarch64__) && defined(__linux__)
  const unsigned long hw = getauxval(AT_HWCAP);
  if (hw & HWCAP_ASIMD) mask |= 1u << EK_ISA_NEON;
  if ((hw & HWCAP_ASIMD) && (hw & HWCAP_ASIMDDP)) mask |= 1u << EK_ISA_NEONDOT;
#elif defined(__aarch64__)
  mask |= 1u << EK_ISA_NEON;
#endif
#if defined(EK_NEON_SIMDE) /* NEON sources compiled for this host through SIMDe: always runnable */
  mask |= (1u << EK_ISA_NEON) | (1u << EK_ISA_NEONDOT);
#endif
  return mask;
}

static uint32_t built_mask(void) {
  uint32_t m = 0;
  for (int i = 1; i < EK_ISA_COUNT; i++)
    if (kTable[i].f32 || kTable[i].qs8) m |= 1u << i;
  return m;
}

static int g_forced = EK_ISA_AUTO;

uint32_t ek_isa_available(void) {
  static uint32_t cached = 0;
  if (!cached) cached = detect_cpu() & built_mask();
  return cached;
}

/* Preference order, best first. NEONDOT has no f32 kernels: f32 falls back to NEON there. */
static const ek_isa kPreference[] = {EK_ISA_AVX512, EK_ISA_AVX2, EK_ISA_NEONDOT, EK_ISA_NEON, EK_ISA_SCALAR};

static int has_kernel(ek_isa isa, ek_dtype dtype) {
  if ((int)isa >= EK_ISA_COUNT || !(ek_isa_available() & (1u << isa))) return 0;
  if (dtype == EK_DTYPE_QS8 && isa == EK_ISA_AVX512 && !g_avx512vnni) return 0;
  return dtype == EK_DTYPE_F32 ? kTable[isa].f32 != NULL : kTable[isa].qs8 != NULL;
}

ek_isa ek_isa_selected(ek_dtype dtype) {
  if (g_forced != EK_ISA_AUTO) {
    if (has_kernel((ek_isa)g_forced, dtype)) return (ek_isa)g_forced;
    if (g_forced == EK_ISA_NEONDOT && has_kernel(EK_ISA_NEON, dtype)) return EK_ISA_NEON;
    if (g_forced == EK_ISA_AVX512 && has_kernel(EK_ISA_AVX2, dtype)) return EK_ISA_AVX2;
  }
  for (size_t i = 0; i < sizeof kPreference / sizeof kPreference[0]; i++)
    if (has_kernel(kPreference[i], dtype)) return kPreference[i];
  return EK_ISA_SCALAR;
}

ek_status ek_isa_force(ek_isa isa) {
  if (isa == EK_ISA_AUTO) {
    g_forced = EK_ISA_AUTO;
    return EK_OK;
  }
  if ((int)isa < 0 || (int)isa > EK_ISA_AVX512) return EK_ERR_ARG;
  if (!(ek_isa_available() & (1u << isa))) return EK_ERR_UNSUPPORTED;
  g_forced = isa;
  return EK_OK;
}

const char* ek_isa_name(ek_isa isa) {
  switch (isa) {
    case EK_ISA_AUTO: return "auto";
    case EK_ISA_SCALAR: return "scalar";
    case EK_ISA_NEON: return "neon";
    case EK_ISA_NEONDOT: return "neondot";
    case EK_ISA_AVX2: return "avx2";
    case EK_ISA_AVX512: return "avx512";
  }
  return "unknown";
}

const char* ek_version(void) { return "edgekit-native 0.1.0 (blob format 1)"; }

const char* ek_status_str(ek_status status) {
  switch (status) {
    case EK_OK: return "ok";
    case EK_ERR_ARG: return "invalid argument (null pointer, bad dimension or parameter)";
    case EK_ERR_MAGIC: return "not an edgekit weight blob (bad magic)";
    case EK_ERR_VERSION: return "unsupported blob format version";
    case EK_ERR_TRUNCATED: return "blob is truncated";
    case EK_ERR_CORRUPT: return "blob is corrupt (inconsistent contents)";
    case EK_ERR_UNSUPPORTED: return "unsupported group shape, dtype or ISA";
    case EK_ERR_NOMEM: return "out of memory";
    case EK_ERR_CAPACITY: return "output buffer too small";
  }
  return "unknown status";
}

ek_status ek_gspmm_f32(const ek_weights* w, int32_t N, const float* X, int32_t ldx, float* Y, int32_t ldy,
                       const ek_f32_params* params) {
  if (!w || w->dtype != EK_DTYPE_F32 || N < 0 || (N > 0 && (!X || !Y))) return EK_ERR_ARG;
  if (ldx < N || ldy < N) return EK_ERR_ARG;
  float lo = params ? params->output_min : -INFINITY, hi = params ? params->output_max : INFINITY;
  if (isnan(lo) || isnan(hi) || lo > hi) return EK_ERR_ARG;
  if (N == 0) return EK_OK;
  kTable[ek_isa_selected(EK_DTYPE_F32)].f32(w, N, X, (size_t)ldx, Y, (size_t)ldy, lo, hi);
  return EK_OK;
}

ek_status ek_gspmm_qs8(const ek_weights* w, int32_t N, const int8_t* X, int32_t ldx, int8_t* Y, int32_t ldy,
                       const ek_qs8_params* p) {
  if (!w || w->dtype != EK_DTYPE_QS8 || !p || N < 0 || (N > 0 && (!X || !Y))) return EK_ERR_ARG;
  if (ldx < N || ldy < N) return EK_ERR_ARG;
  if (!(p->input_scale > 0.0f) || !(p->output_scale > 0.0f) || isinf(p->input_scale) || isinf(p->output_scale))
    return EK_ERR_ARG;
  if (p->input_zero_point < -128 || p->input_zero_point > 127 || p->output_zero_point < -128 ||
      p->output_zero_point > 127 || p->output_min > p->output_max)
    return EK_ERR_ARG;
  if (N == 0) return EK_OK;
  const ek_qs8_rq rq = {(float)(p->output_min - p->output_zero_point), (float)(p->output_max - p->output_zero_point),
                        p->output_zero_point, p->input_zero_point, p->output_min, p->output_max};
  float mult_stack[512];
  int32_t acc0_stack[512];
  float* mult = w->M <= 512 ? mult_stack : malloc(sizeof(float) * (size_t)w->M);
  int32_t* acc0 = w->M <= 512 ? acc0_stack : malloc(sizeof(int32_t) * (size_t)w->M);
  ek_status st = EK_OK;
  if (!mult || !acc0) {
    st = EK_ERR_NOMEM;
  } else {
    for (int32_t m = 0; m < w->M; m++) {
      volatile float s = p->input_scale * w->q_scale[m]; /* fp32 exactly as the header writes it */
      mult[m] = s / p->output_scale;
      acc0[m] = (int32_t)((uint32_t)w->q_bias[m] - (uint32_t)p->input_zero_point * (uint32_t)w->q_wsum[m]);
    }
    kTable[ek_isa_selected(EK_DTYPE_QS8)].qs8(w, N, X, (size_t)ldx, Y, (size_t)ldy, mult, acc0, &rq);
  }
  if (mult != mult_stack) free(mult);
  if (acc0 != acc0_stack) free(acc0);
  return st;
}

ek_status ek_weights_split_blocks(const ek_weights* w, int32_t parts, int32_t* bounds) {
  if (!w || parts < 1 || !bounds) return EK_ERR_ARG;
  const int64_t total = w->block_ptr[w->num_blocks] - w->block_ptr[0];
  int32_t b = 0;
  bounds[0] = 0;
  for (int32_t p = 1; p < parts; p++) { /* first block boundary at or past p/parts of the groups */
    const int64_t want = w->block_ptr[0] + total * p / parts;
    while (b < w->num_blocks && w->block_ptr[b] < want) b++;
    bounds[p] = b;
  }
  bounds[parts] = w->num_blocks;
  return EK_OK;
}

/* Blocks [b0, b1) as weights of their own: the same arrays, offset (block_ptr holds absolute group
 * offsets, so the shifted pointer needs no rebasing); output rows shift with them. */
static ek_weights block_view(const ek_weights* w, int32_t b0, int32_t b1) {
  ek_weights v = *w;
  const int32_t m0 = b0 * w->group_m;
  v.num_blocks = b1 - b0;
  v.M = w->M - m0 < (b1 - b0) * w->group_m ? w->M - m0 : (b1 - b0) * w->group_m;
  v.block_ptr = w->block_ptr + b0;
  if (v.f32_bias) v.f32_bias += m0;
  if (v.q_bias) v.q_bias += m0;
  if (v.q_scale) v.q_scale += m0;
  if (v.q_wsum) v.q_wsum += m0;
  v.mem = NULL;
  return v;
}

static int valid_blocks(const ek_weights* w, int32_t b0, int32_t b1) {
  return w && b0 >= 0 && b0 <= b1 && b1 <= w->num_blocks;
}

ek_status ek_gspmm_f32_blocks(const ek_weights* w, int32_t block0, int32_t block1, int32_t N, const float* X,
                              int32_t ldx, float* Y, int32_t ldy, const ek_f32_params* params) {
  if (!valid_blocks(w, block0, block1)) return EK_ERR_ARG;
  if (block0 == block1) return EK_OK;
  const ek_weights v = block_view(w, block0, block1);
  return ek_gspmm_f32(&v, N, X, ldx, Y ? Y + (size_t)block0 * w->group_m * (size_t)ldy : Y, ldy, params);
}

ek_status ek_gspmm_qs8_blocks(const ek_weights* w, int32_t block0, int32_t block1, int32_t N, const int8_t* X,
                              int32_t ldx, int8_t* Y, int32_t ldy, const ek_qs8_params* params) {
  if (!valid_blocks(w, block0, block1)) return EK_ERR_ARG;
  if (block0 == block1) return EK_OK;
  const ek_weights v = block_view(w, block0, block1);
  return ek_gspmm_qs8(&v, N, X, ldx, Y ? Y + (size_t)block0 * w->group_m * (size_t)ldy : Y, ldy, params);
}
