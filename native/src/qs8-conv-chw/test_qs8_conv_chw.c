/* Every qs8 dense CHW convolution variant this CPU runs against the int32 reference, bit for bit, on
 * odd shapes: C 1..4 (and 9 / 13 at 7x1: inside and past the AVX-512 quad table, its portable
 * fallback), M 1..33 and 32 (partial and full 16-channel passes), planes 1..33, a 100-wide stride-1
 * plane and a 224x224 stride-2 stem, kernels 1x1..7x7 (also non-square, kw 1 / 2 included: packed as
 * kw 3), stride 1 / 2 each way, padding 0..k-1, input zero points -128 / 0 / 37 / 127, full-range and
 * ReLU6-like output clamps, extreme weights and inputs (-128 / 127), multipliers so large that
 * acc * mult passes +-2^31 (the fp32 clamp must still win), row ranges not starting at 0, canary bytes
 * between channels and after the last one, scratch filled with garbage. Stem-shaped 3x3 stride-2
 * cases on small odd planes (the AVX2 kernel's specialized path, partial column groups and channel
 * blocks, bands at the top / middle / bottom), M = 255, 5x5 stride 2, 1x7 with pad 6, 4 x 7x7 taps.
 *
 *   ekx_qs8_conv_test            run the checks (exit 1 on a mismatch, naming variant, geometry, m/oy/ox)
 *   ekx_qs8_conv_test --bench    time each variant on the MobileNetV2-1.0@224 stem (3x3 s2, 3 -> 32) */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qs8-conv-chw/qs8-conv-chw.h"

#define MAX_VARIANTS 4
#define CANARY 0x5a

static uint32_t rng_state = 4242u;
static uint32_t rnd(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state >> 8;
}
static int8_t rand8(void) { return (int8_t)(rnd() & 0xFF); }

typedef struct qcase {
  ek_conv_geom g;
  int32_t zp, oy0, oy1, extreme; /* extreme: 1 = -128 / 127 data, 2 = huge multipliers */
  ek_qs8_dwconv_params p;
} qcase;

/* Runs fn and the reference on rows [oy0, oy1); reports the first mismatch. Returns 1 if it matched. */
static int check_one(const char* name, ek_qs8_conv_chw_fn fn, const qcase* c, const int8_t* x, const int8_t* w,
                     const int32_t* bias, const float* mult) {
  const ek_conv_geom* g = &c->g;
  const int64_t rows = c->oy1 - c->oy0, ld = rows * g->OW + 7;
  const size_t n = (size_t)(ld * g->M + 16), ns = ek_qs8_conv_chw_scratch(g) + 1;
  int8_t* want = malloc(n);
  int8_t* got = malloc(n);
  float* scratch = malloc(sizeof(float) * ns);
  memset(want, CANARY, n);
  memset(got, CANARY, n);
  memset(scratch, 0xA7, sizeof(float) * ns); /* kernels must not rely on zeroed scratch */
  ek_qs8_conv_chw_ref(g, x, w, bias, mult, &c->p, c->oy0, c->oy1, want, ld, scratch);
  memset(scratch, 0xA7, sizeof(float) * ns);
  fn(g, x, w, bias, mult, &c->p, c->oy0, c->oy1, got, ld, scratch);
  int ok = 1;
  for (size_t i = 0; i < n && ok; i++) {
    if (got[i] == want[i]) continue;
    ok = 0;
    const int64_t m = (int64_t)i / ld, r = (int64_t)i % ld;
    if (r >= rows * g->OW || m >= g->M)
      fprintf(stderr, "FAIL %s: wrote byte %zu outside the output (channel gap or past the end)\n", name, i);
    else
      fprintf(stderr,
              "FAIL %s: C=%d H=%d W=%d M=%d k=%dx%d s=%dx%d pad=%d,%d zp=%d clamp=[%d,%d] rows [%d,%d): "
              "m=%lld oy=%lld ox=%lld got %d want %d\n",
              name, g->C, g->H, g->W, g->M, g->kh, g->kw, g->sh, g->sw, g->pad_top, g->pad_left, c->zp,
              c->p.output_min, c->p.output_max, c->oy0, c->oy1, (long long)m, (long long)(c->oy0 + r / g->OW),
              (long long)(r % g->OW), got[i], want[i]);
  }
  free(want), free(got), free(scratch);
  return ok;
}

static int run_case(qcase* c, const char** names, ek_qs8_conv_chw_fn* fns, int nv) {
  ek_conv_geom* g = &c->g;
  const size_t nx = (size_t)g->C * g->H * g->W, nw = (size_t)g->M * g->C * g->kh * g->kw;
  int8_t* x = malloc(nx);
  int8_t* w = malloc(nw);
  int32_t* bias = malloc(sizeof(int32_t) * (size_t)g->M);
  float* mult = malloc(sizeof(float) * (size_t)g->M);
  for (size_t i = 0; i < nx; i++) x[i] = c->extreme == 1 ? (int8_t)(i % 3 ? 127 : -128) : rand8();
  for (size_t i = 0; i < nw; i++) w[i] = c->extreme == 1 ? (int8_t)(i % 2 ? -128 : 127) : rand8();
  for (int32_t m = 0; m < g->M; m++) {
    bias[m] = (int32_t)(rnd() % 200001) - 100000;
    mult[m] = 1e-4f + (float)(rnd() % 1000) * 2e-6f;
    if (c->extreme == 2) mult[m] = m % 3 == 2 ? 0.37f : 3e5f; /* |acc * mult| up to ~1e15; some in range */
  }
  if (c->extreme == 1) mult[0] = 1e-12f; /* everything rounds to 0 */
  int ok = 1;
  for (int v = 0; v < nv; v++) ok &= check_one(names[v], fns[v], c, x, w, bias, mult);
  free(x), free(w), free(bias), free(mult);
  return ok;
}

static int out_size(int32_t in, int32_t k, int32_t s, int32_t pad) { return (in + 2 * pad - k) / s + 1; }

static int run_checks(void) {
  const char* names[MAX_VARIANTS];
  ek_qs8_conv_chw_fn fns[MAX_VARIANTS];
  const int nv = ek_qs8_conv_chw_variants(names, fns, MAX_VARIANTS);
  static const int32_t zps[] = {-128, 0, 37, 127};
  int cases = 0, failed = 0;
  for (int32_t C = 1; C <= 4; C++)
    for (int32_t k = 1; k <= 7; k += 2)
      for (int32_t s = 1; s <= 2; s++)
        for (int32_t pad = 0; pad < k; pad += (k > 3 ? 2 : 1))
          for (int32_t H = 1; H <= 33; H += 8) {
            /* kw alternates: 1 / 2, 3 / 4, 5 / 2, 7 / 5 (square and not; kw < 3 runs packed as 3). */
            static const int32_t kws[8] = {1, 2, 3, 4, 5, 2, 7, 5};
            const int32_t W = 34 - H, kw = kws[(k / 2) * 2 + cases % 2], sw = 3 - s, pw = pad < kw ? pad : kw - 1;
            if (H + 2 * pad < k || W + 2 * pw < kw) continue;
            qcase c = {{C, H, W, 1 + (int32_t)(rnd() % 33), out_size(H, k, s, pad), out_size(W, kw, sw, pw), k, kw,
                        s, sw, pad, pw},
                       zps[cases % 4], 0, 0, cases % 7 == 6 ? 1 : cases % 11 == 3 ? 2 : 0, {0, 0, -128, 127}};
            c.p.input_zero_point = c.zp;
            c.p.output_zero_point = (int32_t)(rnd() % 256) - 128;
            if (cases % 3 == 1) { /* ReLU6-like band above the output zero point */
              c.p.output_min = (int8_t)c.p.output_zero_point;
              c.p.output_max = (int8_t)(c.p.output_zero_point < 67 ? c.p.output_zero_point + 60 : 127);
            }
            c.oy0 = cases % 2 ? c.g.OH / 3 : 0;
            c.oy1 = c.g.OH - (cases % 5 == 4 ? c.g.OH / 4 : 0);
            if (c.oy1 <= c.oy0) c.oy1 = c.oy0 + 1;
            cases++;
            failed += !run_case(&c, names, fns, nv);
          }
  /* Stem-shaped (3x3 stride 2 both ways, 1-4 channels: the kernels' specialized path for C = 3) on
   * small and odd planes: 1..3 column groups of 8 with partial last ones, W < 16 (no full 16-byte
   * row chunk), pads 0 / 1 / 2, M not a multiple of 4 (or 8), bands at the top, middle and bottom. */
  for (int32_t i = 0; i < 48; i++) {
    const int32_t W = 1 + (i * 7) % 53, H = 1 + (i * 5) % 37, C = 1 + i % 4, pad = i % 3;
    static const int32_t ms[6] = {1, 3, 4, 5, 30, 32};
    if (H + 2 * pad < 3 || W + 2 * pad < 3) continue;
    qcase c = {{C, H, W, ms[i % 6], out_size(H, 3, 2, pad), out_size(W, 3, 2, pad), 3, 3, 2, 2, pad, pad},
               zps[i % 4], 0, 0, i % 9 == 4 ? 1 : i % 10 == 7 ? 2 : 0, {0, 0, -128, 127}};
    c.p.input_zero_point = c.zp;
    c.p.output_zero_point = (int32_t)(rnd() % 256) - 128;
    if (i % 3 == 2) c.p.output_min = (int8_t)c.p.output_zero_point, c.p.output_max = 100;
    if (c.p.output_min > c.p.output_max) c.p.output_min = c.p.output_max;
    const int32_t OH = c.g.OH;
    c.oy0 = i % 4 == 1 ? OH / 2 : i % 4 == 2 ? OH - 1 : 0;
    c.oy1 = i % 4 == 3 ? (OH + 1) / 2 : OH;
    cases++;
    failed += !run_case(&c, names, fns, nv);
  }
  /* The MobileNetV2 stem at full size, 32 channels (two full 16-channel passes), a wide stride-1
   * plane, and 7x1 kernels over 9 / 13 channels (packed as 7x3: 189 taps = 48 quads, inside the
   * AVX-512 table; 273 = 69 quads > 64, the portable fallback). */
  const qcase big[] = {
      {{3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1}, -3, 0, 112, 0, {-3, -128, -128, 127}},
      {{3, 223, 221, 16, 112, 111, 3, 3, 2, 2, 1, 1}, 127, 5, 77, 0, {127, 5, 5, 127}},
      {{3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1}, -128, 50, 112, 2, {-128, 3, -128, 127}},
      {{2, 9, 100, 20, 9, 100, 5, 7, 1, 1, 2, 3}, 37, 1, 8, 0, {37, -7, -128, 127}},
      {{9, 13, 11, 17, 7, 11, 7, 1, 2, 1, 3, 0}, 0, 0, 7, 0, {0, 0, -128, 127}},
      {{13, 13, 11, 17, 7, 11, 7, 1, 2, 1, 3, 0}, 0, 0, 7, 1, {0, 0, -128, 127}},
      /* The most output channels the kernels take (M = 255: padded channel blocks), a 5x5 stride-2
       * stem-like conv, 1x7 / 7x1 stride 1 with the largest pads, 4 channels at 7x7 (196 taps). */
      {{3, 37, 45, 255, 19, 23, 3, 3, 2, 2, 1, 1}, 11, 3, 17, 0, {11, -20, -128, 127}},
      {{3, 41, 39, 24, 21, 20, 5, 5, 2, 2, 2, 2}, -128, 0, 21, 0, {-128, 0, 0, 127}},
      {{2, 17, 29, 9, 17, 35, 1, 7, 1, 1, 0, 6}, 127, 4, 17, 1, {127, 1, -128, 127}},
      {{4, 23, 19, 13, 17, 13, 7, 7, 1, 1, 0, 0}, -7, 0, 17, 2, {-7, 5, -128, 127}},
  };
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
    qcase c = big[i];
    cases++;
    failed += !run_case(&c, names, fns, nv);
  }
  printf("ekx_qs8_conv_test: %d cases x %d variants (", cases, nv);
  for (int v = 0; v < nv; v++) printf("%s%s", v ? ", " : "", names[v]);
  printf("): %d passed, %d failed\n", cases - failed, failed);
  return failed ? 1 : 0;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int run_bench(void) {
  const char* names[MAX_VARIANTS + 1] = {"ref"};
  ek_qs8_conv_chw_fn fns[MAX_VARIANTS + 1] = {ek_qs8_conv_chw_ref};
  const int nv = 1 + ek_qs8_conv_chw_variants(names + 1, fns + 1, MAX_VARIANTS);
  const ek_conv_geom g = {3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1};
  const ek_qs8_dwconv_params p = {-3, -128, -128, 127};
  int8_t* x = malloc(3 * 224 * 224);
  int8_t w[32 * 27];
  int32_t bias[32];
  float mult[32];
  for (int i = 0; i < 3 * 224 * 224; i++) x[i] = rand8();
  for (int i = 0; i < 32 * 27; i++) w[i] = rand8();
  for (int m = 0; m < 32; m++) bias[m] = (int32_t)(rnd() % 2001) - 1000, mult[m] = 3e-3f;
  int8_t* y = malloc(32 * 112 * 112);
  float* scratch = malloc(sizeof(float) * (ek_qs8_conv_chw_scratch(&g) + 1));
  double best[MAX_VARIANTS + 1];
  for (int v = 0; v < nv; v++) best[v] = 1e30;
  for (int round = 0; round < 15; round++)
    for (int v = 0; v < nv; v++) {
      const int reps = v == 0 ? 1 : 20;
      const double t0 = now_ms();
      for (int r = 0; r < reps; r++) fns[v](&g, x, w, bias, mult, &p, 0, 112, y, 112 * 112, scratch);
      const double dt = (now_ms() - t0) / reps;
      if (dt < best[v]) best[v] = dt;
    }
  printf("%-28s", "layer");
  for (int v = 0; v < nv; v++) printf(" %12s", names[v]);
  printf("   (ms per call, min of 15 interleaved rounds)\n%-28s", "stem 3x224x224 -> 32x112x112");
  for (int v = 0; v < nv; v++) printf(" %12.3f", best[v]);
  printf("\n");
  free(x), free(y), free(scratch);
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--bench") == 0) return run_bench();
  return run_checks();
}
