/* Every depthwise CHW kernel variant this CPU runs against a direct-loop reference (and the
 * plain-C ek_f32_dwconv_chw_ref) on odd shapes: H, W in 1..33 (W 1..40 at a few heights), 3x3 /
 * 5x5, stride 1 / 2, symmetric (PyTorch), TF-SAME asymmetric, wide and no padding, ReLU6 and
 * unbounded clamps. Also checks that nothing is written past the output plane, that multi-channel
 * calls equal per-channel ones and that fused-block row bands equal the whole plane, bit for bit.
 *
 *   ekx_dwconv_test            run the checks (exit 1 on a mismatch)
 *   ekx_dwconv_test --bench    time each variant on MobileNetV2-1.0@224's depthwise layers */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "f32-dwconv-chw/f32-dwconv-chw.h"

#define MAX_VARIANTS 9
#define CANARY 12345.0f

static uint32_t rng_state = 12345u;
static float frand(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return (float)((rng_state >> 8) & 0xFFFF) / 32768.0f - 1.0f;
}

/* Direct loops, double accumulation; mag gets sum |w * x| + |bias| per output (error scale). */
static void direct(const ek_dwconv_geom* g, const float* x, const float* w, float bias, float lo, float hi,
                   double* y, double* mag) {
  for (int oy = 0; oy < g->OH; oy++)
    for (int ox = 0; ox < g->OW; ox++) {
      double acc = bias, m = fabs(bias);
      for (int ky = 0; ky < g->kh; ky++)
        for (int kx = 0; kx < g->kw; kx++) {
          const int iy = oy * g->sh - g->pad_top + ky, ix = ox * g->sw - g->pad_left + kx;
          if (iy < 0 || iy >= g->H || ix < 0 || ix >= g->W) continue;
          const double p = (double)w[ky * g->kw + kx] * x[iy * g->W + ix];
          acc += p;
          m += fabs(p);
        }
      y[oy * g->OW + ox] = acc < lo ? lo : acc > hi ? hi : acc;
      mag[oy * g->OW + ox] = m;
    }
}

static int check_one(const char* name, ek_f32_dwconv_chw_fn fn, const ek_dwconv_geom* g, const float* x,
                     const float* w, float bias, float lo, float hi, const double* want, const double* mag) {
  const size_t n = (size_t)g->OH * g->OW;
  float* y = malloc(sizeof(float) * (n + 8));
  float* scratch = malloc(sizeof(float) * ek_f32_dwconv_chw_scratch(g));
  for (size_t i = 0; i < n + 8; i++) y[i] = CANARY;
  /* Dirty scratch: kernels must not rely on it being zero. */
  for (size_t i = 0; i < ek_f32_dwconv_chw_scratch(g); i++) scratch[i] = NAN;
  fn(g, x, w, bias, y, lo, hi, scratch);
  int bad = 0;
  for (size_t i = 0; i < n && !bad; i++) {
    const double tol = 1e-5 * mag[i] + 1e-6;
    if (!(fabs(y[i] - want[i]) <= tol)) {
      fprintf(stderr, "FAIL %s H=%d W=%d k=%d s=%d pad=(%d,%d) lo=%g: y[%zu]=%.7g want %.7g\n", name, g->H, g->W,
              g->kh, g->sh, g->pad_top, g->pad_left, lo, i, y[i], want[i]);
      bad = 1;
    }
  }
  for (size_t i = n; i < n + 8 && !bad; i++)
    if (y[i] != CANARY) {
      fprintf(stderr, "FAIL %s H=%d W=%d k=%d s=%d: wrote past the output plane\n", name, g->H, g->W, g->kh, g->sh);
      bad = 1;
    }
  free(y);
  free(scratch);
  return bad;
}

/* The reference, every compiled variant this CPU runs, and the dispatch entry; returns the count
 * (at most MAX_VARIANTS, so the arrays of MAX_VARIANTS + 1 keep room for the bench's "multi"). */
static int all_variants(const char** names, ek_f32_dwconv_chw_fn* fns) {
  names[0] = "ref";
  fns[0] = ek_f32_dwconv_chw_ref;
  int nv = 1 + ek_f32_dwconv_chw_variants(names + 1, fns + 1, MAX_VARIANTS - 2);
  names[nv] = "dispatch";
  fns[nv++] = ek_f32_dwconv_chw;
  return nv;
}

static int run_checks(void) {
  const char* names[MAX_VARIANTS + 1];
  ek_f32_dwconv_chw_fn fns[MAX_VARIANTS + 1];
  const int nv = all_variants(names, fns);
  static const int sizes[] = {1, 2, 3, 4, 7, 8, 9, 14, 16, 17, 23, 28, 33};
  const int ns = (int)(sizeof sizes / sizeof sizes[0]);
  int cases = 0, failures = 0;
  for (int k = 3; k <= 5; k += 2)
    for (int s = 1; s <= 2; s++)
      for (int pad_mode = 0; pad_mode < 3; pad_mode++)
        for (int hi_ = 0; hi_ < ns; hi_++)
          for (int wi = 0; wi < ns; wi++) {
            const int H = sizes[hi_], W = sizes[wi];
            ek_dwconv_geom g = {H, W, 0, 0, k, k, s, s, 0, 0};
            if (pad_mode == 0) { /* PyTorch symmetric k/2 */
              g.pad_top = g.pad_left = k / 2;
              g.OH = (H + 2 * (k / 2) - k) / s + 1;
              g.OW = (W + 2 * (k / 2) - k) / s + 1;
            } else if (pad_mode == 1) { /* TF SAME: out = ceil(in / s), extra padding at the end */
              g.OH = (H + s - 1) / s;
              g.OW = (W + s - 1) / s;
              const int th = (g.OH - 1) * s + k - H, tw = (g.OW - 1) * s + k - W;
              g.pad_top = th > 0 ? th / 2 : 0;
              g.pad_left = tw > 0 ? tw / 2 : 0;
            } else { /* VALID */
              if (H < k || W < k) continue;
              g.OH = (H - k) / s + 1;
              g.OW = (W - k) / s + 1;
            }
            const size_t n = (size_t)g.OH * g.OW;
            float* x = malloc(sizeof(float) * (size_t)H * W);
            float w[25];
            double* want = malloc(sizeof(double) * n);
            double* mag = malloc(sizeof(double) * n);
            for (int i = 0; i < H * W; i++) x[i] = frand() * 4.0f;
            for (int i = 0; i < k * k; i++) w[i] = frand();
            const float bias = frand();
            for (int c = 0; c < 2; c++) {
              const float lo = c ? 0.0f : -INFINITY, hi = c ? 6.0f : INFINITY;
              direct(&g, x, w, bias, lo, hi, want, mag);
              for (int v = 0; v < nv; v++) failures += check_one(names[v], fns[v], &g, x, w, bias, lo, hi, want, mag);
              cases++;
            }
            free(x);
            free(want);
            free(mag);
          }
  printf("dwconv-chw: %d variants (", nv);
  for (int v = 0; v < nv; v++) printf("%s%s", names[v], v + 1 < nv ? ", " : "");
  printf(") x %d cases: %d failures\n", cases, failures);
  return failures ? 1 : 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: preemption on the shared host excluded */
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* MobileNetV2-1.0@224 depthwise layers (all 3x3, pad 1): input size, channels, stride, count. */
static int run_bench(void) {
  static const int layers[][4] = {{112, 32, 1, 1},  {112, 96, 2, 1}, {56, 144, 1, 1}, {56, 144, 2, 1},
                                  {28, 192, 1, 2},  {28, 192, 2, 1}, {14, 384, 1, 4}, {14, 576, 1, 2},
                                  {14, 576, 2, 1},  {7, 960, 1, 3}};
  const int nl = (int)(sizeof layers / sizeof layers[0]);
  const char* names[MAX_VARIANTS + 1];
  ek_f32_dwconv_chw_fn fns[MAX_VARIANTS + 1];
  int nv = all_variants(names, fns);
  names[nv] = "multi"; /* ek_f32_dwconv_chw_multi: all channels in one call (flat kernel if small s1) */
  fns[nv++] = NULL;
  printf("%-14s", "layer");
  for (int v = 0; v < nv; v++) printf(" %12s", names[v]);
  printf("   (ms per layer, min of 25 interleaved rounds)\n");
  double total[MAX_VARIANTS + 1] = {0};
  for (int l = 0; l < nl; l++) {
    const int H = layers[l][0], C = layers[l][1], s = layers[l][2], reps = layers[l][3];
    ek_dwconv_geom g = {H, H, (H - 1) / s + 1, (H - 1) / s + 1, 3, 3, s, s, 1, 1};
    float* x = malloc(sizeof(float) * (size_t)C * H * H);
    float* y = malloc(sizeof(float) * (size_t)C * g.OH * g.OW);
    float* w = malloc(sizeof(float) * (size_t)C * 9);
    float* scratch = malloc(sizeof(float) * ek_f32_dwconv_chw_scratch(&g));
    for (size_t i = 0; i < (size_t)C * H * H; i++) x[i] = frand();
    for (int i = 0; i < C * 9; i++) w[i] = frand();
    float* bias = malloc(sizeof(float) * (size_t)C);
    for (int c = 0; c < C; c++) bias[c] = 0.1f;
    printf("%3dx%-3d c%-4d s%d", H, H, C, s);
    double best[MAX_VARIANTS + 1];
    for (int v = 0; v < nv; v++) best[v] = 1e9;
    for (int round = 0; round < 25; round++) /* variants interleaved: load spikes hit all alike */
      for (int v = 0; v < nv; v++) {
        const double t0 = now_s();
        if (fns[v] == NULL)
          ek_f32_dwconv_chw_multi(&g, C, x, (int64_t)H * H, w, bias, y, (int64_t)g.OH * g.OW, 0.0f, 6.0f, scratch);
        else
          for (int c = 0; c < C; c++)
            fns[v](&g, x + (size_t)c * H * H, w + c * 9, 0.1f, y + (size_t)c * g.OH * g.OW, 0.0f, 6.0f, scratch);
        const double dt = now_s() - t0;
        if (dt < best[v]) best[v] = dt;
      }
    for (int v = 0; v < nv; v++) {
      total[v] += best[v] * reps;
      printf(" %12.3f", best[v] * 1e3);
    }
    printf("\n");
    free(x);
    free(y);
    free(w);
    free(bias);
    free(scratch);
  }
  printf("%-14s", "MobileNetV2");
  for (int v = 0; v < nv; v++) printf(" %12.3f", total[v] * 1e3);
  printf("   (all 17 depthwise layers)\n");
  return 0;
}

/* ek_f32_dwconv_chw_multi (3 channels with gaps between their planes) against the direct loop and,
 * bit for bit, against ek_f32_dwconv_chw per channel; stride 1 planes up to 33x33 (the flat kernel
 * where AVX-512 runs it) and stride 2 (the per-channel fallback). */
static int run_multi_checks(void) {
  static const int sizes[] = {1, 2, 3, 5, 7, 14, 17, 28, 32, 33};
  const int ns = (int)(sizeof sizes / sizeof sizes[0]), C = 3;
  int cases = 0, failures = 0, flat = 0;
  for (int k = 3; k <= 5; k += 2)
    for (int s = 1; s <= 2; s++)
      for (int hi_ = 0; hi_ < ns; hi_++)
        for (int wi = 0; wi < ns; wi++)
          for (int band = 0; band < 2; band++) {
            const int H = sizes[hi_], W = sizes[wi];
            /* band = 1: a fused block's band, no padding rows above (pad_top 0), fewer output rows. */
            ek_dwconv_geom g = {H, W, (H + 2 * (k / 2) - k) / s + 1, (W + 2 * (k / 2) - k) / s + 1, k, k, s, s,
                                k / 2, k / 2};
            if (band) {
              g.pad_top = 0;
              g.OH = (H - 1) / s + 1 > 1 ? (H - 1) / s : 1;
              if ((g.OH - 1) * s + k - H > k - 1) continue;
            }
            const int64_t x_ld = (int64_t)H * W + 3, y_ld = (int64_t)g.OH * g.OW + 2;
            float* x = malloc(sizeof(float) * (size_t)(x_ld * C));
            float* y = malloc(sizeof(float) * (size_t)(y_ld * C + 8));
            float* y1 = malloc(sizeof(float) * (size_t)(y_ld * C + 8));
            float* scratch = malloc(sizeof(float) * ek_f32_dwconv_chw_scratch(&g));
            double* want = malloc(sizeof(double) * (size_t)(g.OH * g.OW));
            double* mag = malloc(sizeof(double) * (size_t)(g.OH * g.OW));
            float w[3 * 25], bias[3];
            for (int64_t i = 0; i < x_ld * C; i++) x[i] = frand() * 4.0f;
            for (int i = 0; i < C * k * k; i++) w[i] = frand();
            for (int c = 0; c < C; c++) bias[c] = frand();
            for (int64_t i = 0; i < y_ld * C + 8; i++) y[i] = y1[i] = CANARY;
            ek_f32_dwconv_chw_multi(&g, C, x, x_ld, w, bias, y, y_ld, 0.0f, 6.0f, scratch);
            for (int c = 0; c < C; c++)
              ek_f32_dwconv_chw(&g, x + c * x_ld, w + c * k * k, bias[c], y1 + c * y_ld, 0.0f, 6.0f, scratch);
            flat += ek_f32_dwconv_chw_flat_available(&g);
            int bad = 0;
            for (int c = 0; c < C && !bad; c++) {
              direct(&g, x + c * x_ld, w + c * k * k, bias[c], 0.0f, 6.0f, want, mag);
              for (int64_t i = 0; i < y_ld && !bad; i++) {
                const float got = y[c * y_ld + i];
                if (i >= (int64_t)g.OH * g.OW) {
                  if (got != CANARY) fprintf(stderr, "FAIL multi: wrote between planes, c=%d i=%lld\n", c, (long long)i), bad = 1;
                } else if (!(fabs(got - want[i]) <= 1e-5 * mag[i] + 1e-6) || memcmp(&got, &y1[c * y_ld + i], 4) != 0) {
                  fprintf(stderr, "FAIL multi H=%d W=%d k=%d s=%d pad_top=%d: c=%d y[%lld]=%.9g want %.9g, per channel %.9g\n",
                          H, W, k, s, g.pad_top, c, (long long)i, got, want[i], y1[c * y_ld + i]);
                  bad = 1;
                }
              }
            }
            for (int i = 0; i < 8 && !bad; i++)
              if (y[y_ld * C + i] != CANARY) fprintf(stderr, "FAIL multi: wrote past the last plane\n"), bad = 1;
            failures += bad;
            cases++;
            free(x), free(y), free(y1), free(scratch), free(want), free(mag);
          }
  printf("dwconv-chw multi: %d cases (%d on the flat kernel): %d failures\n", cases, flat, failures);
  return failures ? 1 : 0;
}

/* Every variant on every width 1..40 (edge blocks, 16-wide middle blocks, the last block moved
 * left, OW < 8 partial stores) at a few heights incl. OH = 1, and on padding wider than a vector
 * (every middle block masked) and asymmetric padding. */
static int run_width_checks(void) {
  const char* names[MAX_VARIANTS + 1];
  ek_f32_dwconv_chw_fn fns[MAX_VARIANTS + 1];
  const int nv = all_variants(names, fns);
  static const int heights[] = {1, 2, 3, 6, 9};
  int cases = 0, failures = 0;
  for (int k = 3; k <= 5; k += 2)
    for (int s = 1; s <= 2; s++)
      for (int pad_mode = 0; pad_mode < 3; pad_mode++)
        for (int hi_ = 0; hi_ < 5; hi_++)
          for (int W = 1; W <= 40; W++) {
            const int H = heights[hi_];
            /* 0: k/2 both sides; 1: wide (k + 6 left, 9 top); 2: none on top / left, k - 1 after */
            const int pt = pad_mode == 0 ? k / 2 : pad_mode == 1 ? 9 : 0;
            const int pl = pad_mode == 0 ? k / 2 : pad_mode == 1 ? k + 6 : 0;
            const int pb = pad_mode == 2 ? k - 1 : pt, pr = pad_mode == 2 ? k - 1 : pl;
            if (H + pt + pb < k || W + pl + pr < k) continue;
            ek_dwconv_geom g = {H, W, (H + pt + pb - k) / s + 1, (W + pl + pr - k) / s + 1, k, k, s, s, pt, pl};
            const size_t n = (size_t)g.OH * g.OW;
            float* x = malloc(sizeof(float) * (size_t)H * W);
            float w[25];
            double* want = malloc(sizeof(double) * n);
            double* mag = malloc(sizeof(double) * n);
            for (int i = 0; i < H * W; i++) x[i] = frand() * 4.0f;
            for (int i = 0; i < k * k; i++) w[i] = frand();
            const float bias = frand();
            direct(&g, x, w, bias, 0.0f, 6.0f, want, mag);
            for (int v = 0; v < nv; v++) failures += check_one(names[v], fns[v], &g, x, w, bias, 0.0f, 6.0f, want, mag);
            cases++;
            free(x), free(want), free(mag);
          }
  printf("dwconv-chw widths 1..40: %d variants x %d cases: %d failures\n", nv, cases, failures);
  return failures ? 1 : 0;
}

/* The fused blocks' use: a plane cut in output-row bands, each band one ek_f32_dwconv_chw_multi
 * call on its input rows (pad_top only on the first band, rows past H only on the last), C
 * channels with gaps between planes (x_ld, y_ld). Must equal the whole-plane call bit for bit. */
static int run_band_checks(void) {
  static const int widths[] = {1, 3, 7, 8, 9, 14, 16, 17, 23, 28, 31, 40, 56};
  int cases = 0, failures = 0;
  for (int k = 3; k <= 5; k += 2)
    for (int s = 1; s <= 2; s++)
      for (int wi = 0; wi < 13; wi++)
        for (int H = 1; H <= 12; H += 1 + (H > 4))
          for (int band_rows = 1; band_rows <= 5; band_rows++) {
            const int W = widths[wi], C = 1 + (wi + H) % 5, p = k / 2;
            const ek_dwconv_geom g = {H, W, (H + 2 * p - k) / s + 1, (W + 2 * p - k) / s + 1, k, k, s, s, p, p};
            const int64_t x_ld = (int64_t)H * W + 5, y_ld = (int64_t)g.OH * g.OW + 3;
            float* x = malloc(sizeof(float) * (size_t)(x_ld * C));
            float* y = malloc(sizeof(float) * (size_t)(y_ld * C));
            float* yb = malloc(sizeof(float) * (size_t)(y_ld * C + 8));
            float* w = malloc(sizeof(float) * (size_t)(C * k * k));
            float* bias = malloc(sizeof(float) * (size_t)C);
            float* scratch = malloc(sizeof(float) * ek_f32_dwconv_chw_scratch(&g));
            for (int64_t i = 0; i < x_ld * C; i++) x[i] = frand() * 4.0f;
            for (int i = 0; i < C * k * k; i++) w[i] = frand();
            for (int c = 0; c < C; c++) bias[c] = frand();
            ek_f32_dwconv_chw_multi(&g, C, x, x_ld, w, bias, y, y_ld, -INFINITY, INFINITY, scratch);
            int bad = 0;
            for (int o0 = 0; o0 < g.OH && !bad; o0 += band_rows) {
              const int o1 = o0 + band_rows < g.OH ? o0 + band_rows : g.OH, start = o0 * s - p;
              const int first = start > 0 ? start : 0;
              const int last = (o1 - 1) * s - p + k < H ? (o1 - 1) * s - p + k : H;
              const ek_dwconv_geom bg = {last - first, W, o1 - o0, g.OW, k, k, s, s, first - start, p};
              const int64_t out_ld = (int64_t)(o1 - o0) * g.OW + 1;
              float* bscratch = malloc(sizeof(float) * ek_f32_dwconv_chw_scratch(&bg));
              for (int64_t i = 0; i < out_ld * C + 8; i++) yb[i] = CANARY;
              ek_f32_dwconv_chw_multi(&bg, C, x + (int64_t)first * W, x_ld, w, bias, yb, out_ld, -INFINITY, INFINITY,
                                      bscratch);
              for (int c = 0; c < C && !bad; c++)
                for (int64_t i = 0; i < out_ld && !bad; i++) {
                  const float got = yb[c * out_ld + i];
                  const float* want = y + c * y_ld + (int64_t)o0 * g.OW + i;
                  if (i == out_ld - 1 ? got != CANARY : memcmp(&got, want, 4) != 0) {
                    fprintf(stderr, "FAIL band H=%d W=%d k=%d s=%d rows %d..%d (pad_top %d) c=%d i=%lld: %.9g "
                            "want %.9g\n",
                            H, W, k, s, o0, o1, bg.pad_top, c, (long long)i, got,
                            i == out_ld - 1 ? CANARY : *want);
                    bad = 1;
                  }
                }
              for (int i = 0; i < 8 && !bad; i++)
                if (yb[out_ld * C + i] != CANARY) fprintf(stderr, "FAIL band: wrote past the last plane\n"), bad = 1;
              free(bscratch);
            }
            failures += bad;
            cases++;
            free(x), free(y), free(yb), free(w), free(bias), free(scratch);
          }
  printf("dwconv-chw bands: %d cases: %d failures\n", cases, failures);
  return failures ? 1 : 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--bench") == 0) return run_bench();
  const int a = run_checks(), b = run_width_checks(), c = run_band_checks();
  return run_multi_checks() || a || b || c;
}
