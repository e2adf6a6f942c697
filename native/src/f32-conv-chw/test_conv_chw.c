/* Every dense CHW convolution variant this CPU runs against a direct double-precision loop on odd
 * shapes: C 1..4 input channels, M 1..33 output channels (full 16-blocks, 4-blocks and single
 * channels), planes 1..40, kernels 1x1..7x7 (also non-square), stride 1 / 2 each way, padding 0..k-1,
 * ReLU6 and unbounded clamps, whole planes and row ranges (top, bottom, one middle row, the last row:
 * each bit-identical to the same variant's whole plane), the 224x224 stem and odd-sized stems;
 * also checks that nothing is written between channels (y_ld larger than the rows written) or past
 * the last one.
 *
 *   ekx_conv_test            run the checks (exit 1 on a mismatch, naming the failing index)
 *   ekx_conv_test --bench    time each variant on the MobileNetV2-1.0@224 stem (3x3 s2, 3 -> 32) */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "f32-conv-chw/f32-conv-chw.h"

#define MAX_VARIANTS 8
#define CANARY 12345.0f

static uint32_t rng_state = 777u;
static float frand(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return (float)((rng_state >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

/* want / mag for output (m, oy, ox) at [(m * OH + oy) * OW + ox]; mag = sum |w x| + |bias|. */
static void direct(const ek_conv_geom* g, const float* x, const float* w, const float* bias, float lo, float hi,
                   double* want, double* mag) {
  for (int m = 0; m < g->M; m++)
    for (int oy = 0; oy < g->OH; oy++)
      for (int ox = 0; ox < g->OW; ox++) {
        double acc = bias[m], a = fabs(bias[m]);
        for (int c = 0; c < g->C; c++)
          for (int ky = 0; ky < g->kh; ky++)
            for (int kx = 0; kx < g->kw; kx++) {
              const int iy = oy * g->sh - g->pad_top + ky, ix = ox * g->sw - g->pad_left + kx;
              if (iy < 0 || iy >= g->H || ix < 0 || ix >= g->W) continue;
              const double p = (double)w[((c * g->kh + ky) * g->kw + kx) * g->M + m] * x[(c * g->H + iy) * g->W + ix];
              acc += p;
              a += fabs(p);
            }
        const size_t i = ((size_t)m * g->OH + oy) * g->OW + ox;
        want[i] = acc < lo ? lo : acc > hi ? hi : acc;
        mag[i] = a;
      }
}

/* Runs fn on rows [oy0, oy1) into a buffer with a gap of canaries between channels. */
/* whole: when not NULL, this variant's whole-plane output (channel m at whole + m * OH * OW), which
 * a whole-plane call writes and a row range must match bit for bit (fused blocks run row bands and
 * must equal op-by-op execution). */
static int check_one(const char* name, ek_f32_conv_chw_fn fn, const ek_conv_geom* g, const float* x, const float* w,
                     const float* bias, float lo, float hi, int32_t oy0, int32_t oy1, const double* want,
                     const double* mag, float* whole) {
  const int64_t rows = oy1 - oy0, ld = rows * g->OW + 5;
  const size_t n = (size_t)(ld * g->M + 8), ns = ek_f32_conv_chw_scratch(g);
  const int is_whole = oy0 == 0 && oy1 == g->OH; /* a whole-plane call records it; others compare */
  float* y = malloc(sizeof(float) * n);
  float* scratch = malloc(sizeof(float) * ns);
  for (size_t i = 0; i < n; i++) y[i] = CANARY;
  for (size_t i = 0; i < ns; i++) scratch[i] = NAN; /* kernels must not rely on zeroed scratch */
  fn(g, x, w, bias, oy0, oy1, y, ld, lo, hi, scratch);
  int bad = 0;
  for (int m = 0; m < g->M && !bad; m++)
    for (int64_t i = 0; i < ld && !bad; i++) {
      const float got = y[m * ld + i];
      if (i >= rows * g->OW) {
        if (got != CANARY) {
          fprintf(stderr, "FAIL %s: wrote between channels at m=%d offset %lld\n", name, m, (long long)i);
          bad = 1;
        }
        continue;
      }
      const int oy = oy0 + (int)(i / g->OW), ox = (int)(i % g->OW);
      const size_t r = ((size_t)m * g->OH + oy) * g->OW + ox;
      if (whole && !is_whole && memcmp(&got, &whole[r], sizeof got) != 0) {
        fprintf(stderr, "FAIL %s C=%d M=%d H=%d W=%d k=%dx%d s=%dx%d rows=[%d,%d): y[m=%d, oy=%d, ox=%d]=%.9g, %.9g in the whole plane\n",
                name, g->C, g->M, g->H, g->W, g->kh, g->kw, g->sh, g->sw, oy0, oy1, m, oy, ox, got, whole[r]);
        bad = 1;
      } else if (!(fabs(got - want[r]) <= 1e-5 * mag[r] + 1e-6)) {
        fprintf(stderr,
                "FAIL %s C=%d M=%d H=%d W=%d k=%dx%d s=%dx%d pad=(%d,%d) rows=[%d,%d) lo=%g: y[m=%d, oy=%d, ox=%d]=%.7g "
                "want %.7g\n",
                name, g->C, g->M, g->H, g->W, g->kh, g->kw, g->sh, g->sw, g->pad_top, g->pad_left, oy0, oy1, lo, m, oy,
                ox, got, want[r]);
        bad = 1;
      }
    }
  for (int i = 0; i < 8 && !bad; i++)
    if (y[ld * g->M + i] != CANARY) {
      fprintf(stderr, "FAIL %s: wrote past the last channel\n", name);
      bad = 1;
    }
  if (!is_whole) whole = NULL;
  for (int m = 0; m < g->M && whole; m++) /* keep the whole plane for the bands that follow */
    memcpy(whole + (size_t)m * g->OH * g->OW, y + m * ld, sizeof(float) * (size_t)g->OH * g->OW);
  free(y);
  free(scratch);
  return bad;
}

/* Every variant on g (random data), unbounded and ReLU6 clamps, whole plane and row ranges: the
 * second half, the first half, one middle row and the last row. Returns the failures; counts cases. */
static int check_geom(const ek_conv_geom* g, const char** names, ek_f32_conv_chw_fn* fns, int nv, int* cases) {
  const size_t nx = (size_t)g->C * g->H * g->W, nw = (size_t)g->C * g->kh * g->kw * g->M;
  const size_t ny = (size_t)g->M * g->OH * g->OW;
  float* x = malloc(sizeof(float) * nx);
  float* w = malloc(sizeof(float) * nw);
  float* bias = malloc(sizeof(float) * g->M);
  double* want = malloc(sizeof(double) * ny);
  double* mag = malloc(sizeof(double) * ny);
  float* whole = malloc(sizeof(float) * ny);
  for (size_t i = 0; i < nx; i++) x[i] = frand() * 4.0f;
  for (size_t i = 0; i < nw; i++) w[i] = frand();
  for (int i = 0; i < g->M; i++) bias[i] = frand();
  int failures = 0;
  for (int clamp = 0; clamp < 2; clamp++) {
    const float lo = clamp ? 0.0f : -INFINITY, hi = clamp ? 6.0f : INFINITY;
    direct(g, x, w, bias, lo, hi, want, mag);
    const int32_t OH = g->OH, mid = OH / 2;
    for (int v = 0; v < nv; v++) {
      failures += check_one(names[v], fns[v], g, x, w, bias, lo, hi, 0, OH, want, mag, whole);
      if (mid > 0) {
        failures += check_one(names[v], fns[v], g, x, w, bias, lo, hi, mid, OH, want, mag, whole);
        failures += check_one(names[v], fns[v], g, x, w, bias, lo, hi, 0, mid, want, mag, whole);
      }
      if (OH >= 3) {
        failures += check_one(names[v], fns[v], g, x, w, bias, lo, hi, mid, mid + 1, want, mag, whole);
        failures += check_one(names[v], fns[v], g, x, w, bias, lo, hi, OH - 1, OH, want, mag, whole);
      }
    }
    (*cases)++;
  }
  free(x), free(w), free(bias), free(want), free(mag), free(whole);
  return failures;
}

static int run_checks(void) {
  const char* names[MAX_VARIANTS];
  ek_f32_conv_chw_fn fns[MAX_VARIANTS];
  names[0] = "ref";
  fns[0] = ek_f32_conv_chw_ref;
  int nv = 1 + ek_f32_conv_chw_variants(names + 1, fns + 1, MAX_VARIANTS - 2);
  names[nv] = "dispatch";
  fns[nv++] = ek_f32_conv_chw;
  /* Widths around the AVX2 tiles: 8-column vectors, 16-column pairs, masked last vectors. */
  static const int sizes[] = {1, 2, 5, 7, 9, 16, 17, 23, 33, 40};
  static const int kernels[][2] = {{1, 1}, {3, 3}, {5, 5}, {7, 7}, {3, 5}, {2, 3}};
  static const int strides[][2] = {{1, 1}, {2, 2}, {1, 2}, {2, 1}};
  static const int channels[][2] = {{3, 32}, {1, 1}, {2, 5}, {4, 17}, {3, 33}, {3, 20}, {3, 6}, {4, 3}};
  const int ns = (int)(sizeof sizes / sizeof sizes[0]);
  int cases = 0, failures = 0;
  for (int ki = 0; ki < 6; ki++)
    for (int si = 0; si < 4; si++)
      for (int hi_ = 0; hi_ < ns; hi_++)
        for (int wi = 0; wi < ns; wi++) {
          const int kh = kernels[ki][0], kw = kernels[ki][1], sh = strides[si][0], sw = strides[si][1];
          const int C = channels[(ki + si + hi_ + wi) % 8][0], M = channels[(ki + si + hi_ + wi) % 8][1];
          const int H = sizes[hi_], W = sizes[wi];
          /* Padding: PyTorch symmetric k/2 on even case numbers, k-1 (the most allowed) or 0 else. */
          const int mode = (hi_ + 2 * wi + ki) % 3;
          const int pt = mode == 0 ? kh / 2 : mode == 1 ? kh - 1 : 0, pl = mode == 0 ? kw / 2 : mode == 1 ? kw - 1 : 0;
          const int eh = H + 2 * pt - kh, ew = W + 2 * pl - kw;
          if (eh < 0 || ew < 0) continue;
          const ek_conv_geom g = {C, H, W, M, eh / sh + 1, ew / sw + 1, kh, kw, sh, sw, pt, pl};
          if (!ek_f32_conv_chw_supported(&g)) {
            fprintf(stderr, "FAIL: geometry not supported\n");
            return 1;
          }
          failures += check_geom(&g, names, fns, nv, &cases);
        }
  /* The MobileNetV2 stem at full size and odd-sized ones (phase rows wider than one L1 way, masked
   * loads at both edges), 7x7 over 4 channels (196 taps). */
  static const ek_conv_geom big[] = {
      {3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1},
      {3, 223, 221, 30, 112, 111, 3, 3, 2, 2, 1, 1},
      {1, 97, 131, 7, 48, 65, 3, 3, 2, 2, 0, 0},
      {4, 29, 37, 13, 29, 37, 7, 7, 1, 1, 3, 3},
  };
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) failures += check_geom(&big[i], names, fns, nv, &cases);
  printf("conv-chw: %d variants (", nv);
  for (int v = 0; v < nv; v++) printf("%s%s", names[v], v + 1 < nv ? ", " : "");
  printf(") x %d cases: %d failures\n", cases, failures);
  return failures ? 1 : 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: preemption on the shared host excluded */
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int run_bench(void) {
  const ek_conv_geom g = {3, 224, 224, 32, 112, 112, 3, 3, 2, 2, 1, 1};
  const size_t nx = 3 * 224 * 224, ny = (size_t)32 * 112 * 112, nw = 27 * 32;
  float* x = malloc(sizeof(float) * nx);
  float* y = malloc(sizeof(float) * ny);
  float* w = malloc(sizeof(float) * nw);
  float bias[32];
  float* scratch = malloc(sizeof(float) * ek_f32_conv_chw_scratch(&g));
  for (size_t i = 0; i < nx; i++) x[i] = frand();
  for (size_t i = 0; i < nw; i++) w[i] = frand();
  for (int i = 0; i < 32; i++) bias[i] = frand();
  const char* names[MAX_VARIANTS];
  ek_f32_conv_chw_fn fns[MAX_VARIANTS];
  names[0] = "ref";
  fns[0] = ek_f32_conv_chw_ref;
  const int nv = 1 + ek_f32_conv_chw_variants(names + 1, fns + 1, MAX_VARIANTS - 1);
  printf("stem 3x3 s2, 3 -> 32, 224 -> 112 (min CPU ms over 30 runs, ReLU6)\n");
  for (int v = 0; v < nv; v++) {
    double best = 1e9;
    for (int r = 0; r < 30; r++) {
      const double t0 = now_s();
      fns[v](&g, x, w, bias, 0, 112, y, 112 * 112, 0.0f, 6.0f, scratch);
      const double dt = now_s() - t0;
      best = dt < best ? dt : best;
    }
    double banded = 1e9; /* 16-row bands into one L2-sized buffer, as a fused block runs it */
    for (int r = 0; r < 30; r++) {
      const double t0 = now_s();
      for (int oy = 0; oy < 112; oy += 16) fns[v](&g, x, w, bias, oy, oy + 16, y, 16 * 112, 0.0f, 6.0f, scratch);
      const double dt = now_s() - t0;
      banded = dt < banded ? dt : banded;
    }
    printf("  %-8s %.3f ms whole plane, %.3f ms in 16-row bands (L2-resident output)\n", names[v], best * 1e3,
           banded * 1e3);
  }
  free(x), free(y), free(w), free(scratch);
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--bench") == 0) return run_bench();
  return run_checks();
}
