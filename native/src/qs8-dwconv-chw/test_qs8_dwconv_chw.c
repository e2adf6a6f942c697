/* Every qs8 depthwise CHW variant this CPU runs against the plain-loop int32 reference, bit for bit,
 * on odd shapes: H, W in 1..33, 3x3 / 5x5 / 7x7, stride 1 / 2, symmetric, TF-SAME and no padding,
 * extreme zero points (-128, 127), weights (-128) and biases, ReLU6-like, single-value and full-range
 * clamps, scales below and above 1 and scales that saturate both ends; checks nothing is written past
 * the output plane and that dirty scratch does not leak into results. Then widths 1..40 at heights
 * 1..5, wide rows (48..160) and random band geometries (H != OH, any pad_top, a few rows) through
 * ek_qs8_dwconv_chw_multi, the AVX2 row kernel's multi-channel entry and the flat multi-channel
 * kernels (AVX-512, AVX2): several channels, strided planes with canaries between.
 *
 *   ekx_qs8_dwconv_test            run the checks (exit 1 on a mismatch)
 *   ekx_qs8_dwconv_test --bench    time each variant on MobileNetV2-1.0@224's depthwise layers */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qs8-dwconv-chw/qs8-dwconv-chw.h"

#define MAX_VARIANTS 8
#define CANARY 0x5A

static uint32_t rng_state = 777u;
static uint32_t urand(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state >> 8;
}
static int8_t i8rand(void) { return (int8_t)(urand() & 0xFF); }

static int check_one(const char* name, ek_qs8_dwconv_chw_fn fn, const ek_dwconv_geom* g, const int8_t* x,
                     const int8_t* w, int32_t bias, float scale, const ek_qs8_dwconv_params* p, const int8_t* want) {
  const size_t n = (size_t)g->OH * g->OW;
  int8_t* y = malloc(n + 16);
  const size_t ns = ek_qs8_dwconv_chw_scratch(g);
  float* scratch = malloc(sizeof(float) * ns);
  memset(y, CANARY, n + 16);
  for (size_t i = 0; i < ns; i++) scratch[i] = 1e30f; /* dirty: kernels must not rely on zeros */
  fn(g, x, w, bias, scale, p, y, scratch);
  int bad = 0;
  for (size_t i = 0; i < n && !bad; i++)
    if (y[i] != want[i]) {
      fprintf(stderr, "FAIL %s H=%d W=%d k=%d s=%d pad=(%d,%d) zp=%d: y[%zu]=%d want %d\n", name, g->H, g->W, g->kh,
              g->sh, g->pad_top, g->pad_left, p->input_zero_point, i, y[i], want[i]);
      bad = 1;
    }
  for (size_t i = n; i < n + 16 && !bad; i++)
    if ((uint8_t)y[i] != CANARY) {
      fprintf(stderr, "FAIL %s H=%d W=%d k=%d s=%d: wrote past the output plane\n", name, g->H, g->W, g->kh, g->sh);
      bad = 1;
    }
  free(y);
  free(scratch);
  return bad;
}

typedef void (*flat_fn)(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld, const int8_t* w,
                        const int32_t* bias, const float* mult, const ek_qs8_dwconv_params* p, int8_t* y,
                        int64_t y_ld);
typedef struct flat_variant {
  const char* name;
  int (*available)(const ek_dwconv_geom* g);
  flat_fn fn;
} flat_variant;
static const flat_variant kFlat[] = {
    {"avx512-flat", ek_qs8_dwconv_chw_flat_available, ek_qs8_dwconv_chw_multi__avx512_flat},
    {"avx2-flat", ek_qs8_dwconv_chw_avx2_flat_available, ek_qs8_dwconv_chw_multi__avx2_flat},
};
#define NFLAT ((int)(sizeof kFlat / sizeof kFlat[0]))

/* A flat multi-channel kernel on one channel, as check_one. */
static int check_flat(const flat_variant* v, const ek_dwconv_geom* g, const int8_t* x, const int8_t* w,
                      int32_t bias, float scale, const ek_qs8_dwconv_params* p, const int8_t* want) {
  const size_t n = (size_t)g->OH * g->OW;
  int8_t* y = malloc(n + 16);
  memset(y, CANARY, n + 16);
  v->fn(g, 1, x, 0, w, &bias, &scale, p, y, 0);
  int bad = 0;
  for (size_t i = 0; i < n + 16 && !bad; i++)
    if (i < n ? y[i] != want[i] : (uint8_t)y[i] != CANARY) {
      fprintf(stderr, "FAIL %s H=%d W=%d OH=%d pad=(%d,%d) zp=%d: y[%zu]=%d want %d%s\n", v->name, g->H, g->W,
              g->OH, g->pad_top, g->pad_left, p->input_zero_point, i, y[i], i < n ? want[i] : CANARY,
              i < n ? "" : " (past the plane)");
      bad = 1;
    }
  free(y);
  return bad;
}

typedef void (*rows_fn)(const ek_dwconv_geom* g, int32_t C, const int8_t* x, int64_t x_ld, const int8_t* w,
                        const int32_t* bias, const float* mult, const ek_qs8_dwconv_params* p, int8_t* y,
                        int64_t y_ld, float* scratch);

/* C channels per call (distinct weights, bias, scale; strided planes with canaries between) through fn,
 * else rfn (with dirty scratch), else ek_qs8_dwconv_chw_multi, against the reference per channel. */
static int check_multi_any(const char* name, flat_fn fn, rows_fn rfn, const ek_dwconv_geom* g, int C,
                           int wide_scale) {
  const int taps = g->kh * g->kw;
  const int64_t x_ld = (int64_t)g->H * g->W + 3, y_ld = (int64_t)g->OH * g->OW + 5;
  int8_t* x = malloc((size_t)(C * x_ld));
  int8_t* y = malloc((size_t)(C * y_ld));
  int8_t* want = malloc((size_t)g->OH * g->OW);
  int8_t* w = malloc((size_t)(C * taps));
  int32_t* bias = malloc(sizeof(int32_t) * C);
  float* mult = malloc(sizeof(float) * C);
  const size_t ns = ek_qs8_dwconv_chw_scratch(g);
  float* scratch = malloc(sizeof(float) * ns);
  for (size_t i = 0; i < ns; i++) scratch[i] = 1e30f;
  for (int64_t i = 0; i < C * x_ld; i++) x[i] = i8rand();
  for (int i = 0; i < C * taps; i++) w[i] = i8rand();
  for (int c = 0; c < C; c++) {
    bias[c] = (int32_t)(urand() % 40001) - 20000;
    mult[c] = wide_scale ? (float)(c + 1) / 16.0f : (float)(c + 1) / 2048.0f;
  }
  const ek_qs8_dwconv_params p = {(int32_t)(urand() % 256) - 128, (int32_t)(urand() % 256) - 128, -100, 120};
  memset(y, CANARY, (size_t)(C * y_ld));
  if (fn) fn(g, C, x, x_ld, w, bias, mult, &p, y, y_ld);
  else if (rfn) rfn(g, C, x, x_ld, w, bias, mult, &p, y, y_ld, scratch);
  else ek_qs8_dwconv_chw_multi(g, C, x, x_ld, w, bias, mult, &p, y, y_ld, scratch);
  int failures = 0;
  for (int c = 0; c < C; c++) {
    ek_qs8_dwconv_chw_ref(g, x + c * x_ld, w + taps * c, bias[c], mult[c], &p, want, NULL);
    for (int64_t i = 0; i < y_ld; i++) {
      const int8_t got = y[c * y_ld + i];
      if (i < (int64_t)g->OH * g->OW ? got == want[i] : (uint8_t)got == CANARY) continue;
      fprintf(stderr, "FAIL %s multi H=%d W=%d OH=%d OW=%d k=%d s=%d pad=(%d,%d): channel %d y[%lld]=%d\n", name,
              g->H, g->W, g->OH, g->OW, g->kh, g->sh, g->pad_top, g->pad_left, c, (long long)i, got);
      failures++;
      break;
    }
  }
  free(x), free(y), free(want), free(w), free(bias), free(mult), free(scratch);
  return failures;
}

static int check_multi(const char* name, flat_fn fn, const ek_dwconv_geom* g, int C, int wide_scale) {
  return check_multi_any(name, fn, NULL, g, C, wide_scale);
}

/* ek_qs8_dwconv_chw_multi and, where they run, the AVX2 row kernel's and the flat kernels' entries. */
static int check_all_multi(const ek_dwconv_geom* g, int C, int wide_scale) {
  int failures = check_multi("dispatch", NULL, g, C, wide_scale);
  if (ek_qs8_dwconv_chw_multi__avx2_rows_available(g))
    failures += check_multi_any("avx2-rows", NULL, ek_qs8_dwconv_chw_multi__avx2_rows, g, C, wide_scale);
  for (int v = 0; v < NFLAT; v++)
    if (kFlat[v].available(g)) failures += check_multi(kFlat[v].name, kFlat[v].fn, g, C, wide_scale);
  return failures;
}

/* Fused-block bands (H != OH, any pad_top) through every flat kernel that takes them. */
static int run_flat_multi_checks(int* cases) {
  int failures = 0;
  static const int planes[][4] = {{7, 7, 7, 1},   {14, 14, 14, 1}, {9, 14, 7, 0},  {8, 14, 7, 2}, {23, 23, 21, 1},
                                  {1, 5, 1, 1},   {12, 9, 12, 0},  {3, 17, 2, 1},  {28, 28, 28, 1}, {30, 32, 28, 0},
                                  {5, 32, 3, 0},  {2, 28, 1, 1},   {3, 1, 1, 0},   {16, 16, 16, 1}, {33, 31, 33, 1},
                                  {26, 23, 24, 0}, {5, 23, 3, 1},   {42, 23, 42, 1}};
  for (size_t t = 0; t < sizeof planes / sizeof planes[0]; t++) {
    const int H = planes[t][0], W = planes[t][1], OH = planes[t][2], pt = planes[t][3];
    const ek_dwconv_geom g = {H, W, OH, W, 3, 3, 1, 1, pt, 1};
    for (int v = 0; v < NFLAT; v++)
      if (kFlat[v].available(&g)) failures += check_multi(kFlat[v].name, kFlat[v].fn, &g, 5, (int)(t % 2)), (*cases)++;
  }
  return failures;
}

/* Widths 1..40 at heights 1..5 and random band geometries, through ek_qs8_dwconv_chw_multi (3 channels)
 * and every flat kernel that takes them. */
static int run_geometry_checks(int* cases) {
  int failures = 0;
  for (int k = 3; k <= 5; k += 2)
    for (int s = 1; s <= 2; s++)
      for (int H = 1; H <= 5; H++)
        for (int W = 1; W <= 40; W++) {
          const int pad = k / 2;
          const ek_dwconv_geom g = {H, W, (H + 2 * pad - k) / s + 1, (W + 2 * pad - k) / s + 1, k, k, s, s, pad, pad};
          failures += check_all_multi(&g, 3, W % 2);
          (*cases)++;
        }
  static const int wide[] = {48, 63, 64, 65, 96, 97, 112, 128, 129, 160};
  for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++) /* the row copies' 32-byte pieces, several blocks */
    for (int k = 3; k <= 5; k += 2)
      for (int s = 1; s <= 2; s++) {
        const int W = wide[i], H = 2 + (int)(i % 4), pad = k / 2;
        const ek_dwconv_geom g = {H, W, (H + 2 * pad - k) / s + 1, (W + 2 * pad - k) / s + 1, k, k, s, s, pad, pad};
        failures += check_all_multi(&g, 2, (int)i % 2);
        (*cases)++;
      }
  for (int t = 0; t < 1500; t++) { /* bands: H input rows, OH output rows, pad_top / pad_left / pad_bottom < k */
    const int k = urand() % 3 == 0 ? 5 : 3, s = 1 + (int)(urand() % 2);
    const int W = 1 + (int)(urand() % 40), H = 1 + (int)(urand() % 9);
    const int pt = (int)(urand() % k), pl = (int)(urand() % k), pb = (int)(urand() % k), pr = (int)(urand() % k);
    if (H + pt + pb < k || W + pl + pr < k) continue;
    const ek_dwconv_geom g = {H, W, (H + pt + pb - k) / s + 1, (W + pl + pr - k) / s + 1, k, k, s, s, pt, pl};
    failures += check_all_multi(&g, 3, t % 2);
    (*cases)++;
  }
  return failures;
}

static int run_checks(void) {
  const char* names[MAX_VARIANTS + 1];
  ek_qs8_dwconv_chw_fn fns[MAX_VARIANTS + 1];
  int nv = ek_qs8_dwconv_chw_variants(names, fns, MAX_VARIANTS);
  names[nv] = "dispatch";
  fns[nv++] = ek_qs8_dwconv_chw;
  static const int sizes[] = {1, 2, 3, 4, 7, 8, 9, 14, 16, 17, 23, 28, 33};
  const int ns = (int)(sizeof sizes / sizeof sizes[0]);
  int cases = 0, failures = 0;
  for (int k = 3; k <= 7; k += 2)
    for (int s = 1; s <= 2; s++)
      for (int pad_mode = 0; pad_mode < 3; pad_mode++)
        for (int hi_ = 0; hi_ < ns; hi_++)
          for (int wi = 0; wi < ns; wi++) {
            const int H = sizes[hi_], W = sizes[wi];
            ek_dwconv_geom g = {H, W, 0, 0, k, k, s, s, 0, 0};
            if (pad_mode == 0) {
              g.pad_top = g.pad_left = k / 2;
              g.OH = (H + 2 * (k / 2) - k) / s + 1;
              g.OW = (W + 2 * (k / 2) - k) / s + 1;
            } else if (pad_mode == 1) {
              g.OH = (H + s - 1) / s;
              g.OW = (W + s - 1) / s;
              const int th = (g.OH - 1) * s + k - H, tw = (g.OW - 1) * s + k - W;
              g.pad_top = th > 0 ? th / 2 : 0;
              g.pad_left = tw > 0 ? tw / 2 : 0;
            } else {
              if (H < k || W < k) continue;
              g.OH = (H - k) / s + 1;
              g.OW = (W - k) / s + 1;
            }
            int8_t* x = malloc((size_t)H * W);
            int8_t* want = malloc((size_t)g.OH * g.OW);
            int8_t w[49];
            for (int c = 0; c < 8; c++) {
              /* c 0: typical; 1: extreme values and zero points; 2: ReLU6-like clamp; 3: tiny scale;
               * 4: scale >= 1 (acc * scale past 2^31 at 16384); 5: zero point -128, weights -128;
               * 6: scale 1/16, saturating both ends; 7: output_min == output_max, extreme inputs */
              for (int i = 0; i < H * W; i++) x[i] = c == 1 || c == 7 ? (i8rand() < 0 ? -128 : 127) : i8rand();
              for (int i = 0; i < k * k; i++)
                w[i] = c == 1 ? (int8_t)(i % 2 ? -127 : 127) : c == 5 ? (i % 3 ? -128 : i8rand()) : i8rand();
              const int32_t bias =
                  c == 1 ? -2000000 + (int32_t)(urand() % 4000000) : (int32_t)(urand() % 20001) - 10000;
              const float scale = c == 4   ? ((H + W) % 2 ? 1.0f : 16384.0f)
                                  : c == 3 ? 1.0f / 65536.0f
                                  : c == 6 ? 1.0f / 16.0f
                                           : (c == 1 ? 1.0f / 8192.0f : 1.0f / 1024.0f);
              ek_qs8_dwconv_params p = {c == 1 ? 127 : c == 5 || c == 7 ? -128 : (int32_t)(urand() % 256) - 128,
                                        (int32_t)(urand() % 256) - 128, -128, 127};
              if (c == 2)
                p.output_min = (int8_t)p.output_zero_point, p.output_max = (int8_t)(p.output_zero_point / 2 + 60);
              if (c == 7) p.output_min = p.output_max = (int8_t)(urand() % 256 - 128);
              ek_qs8_dwconv_chw_ref(&g, x, w, bias, scale, &p, want, NULL);
              for (int v = 0; v < nv; v++) failures += check_one(names[v], fns[v], &g, x, w, bias, scale, &p, want);
              for (int v = 0; v < NFLAT; v++)
                if (kFlat[v].available(&g)) failures += check_flat(&kFlat[v], &g, x, w, bias, scale, &p, want);
              cases++;
            }
            free(x);
            free(want);
          }
  int flat_cases = 0, geometry_cases = 0;
  failures += run_flat_multi_checks(&flat_cases);
  failures += run_geometry_checks(&geometry_cases);
  printf("qs8-dwconv-chw: %d variants (", nv);
  for (int v = 0; v < nv; v++) printf("%s%s", names[v], v + 1 < nv ? ", " : "");
  printf(") x %d cases vs the int32 reference, + %d widths / band geometries through ek_qs8_dwconv_chw_multi, "
         "+ flat multi-channel kernels (", cases, geometry_cases);
  const ek_dwconv_geom g7 = {7, 7, 7, 7, 3, 3, 1, 1, 1, 1};
  for (int v = 0; v < NFLAT; v++)
    printf("%s%s%s", kFlat[v].name, kFlat[v].available(&g7) ? "" : " n/a", v + 1 < NFLAT ? ", " : "");
  printf(") on %d band geometries: %d failures\n", flat_cases, failures);
  return failures ? 1 : 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int run_bench(void) {
  static const int layers[][4] = {{112, 32, 1, 1}, {112, 96, 2, 1}, {56, 144, 1, 1}, {56, 144, 2, 1},
                                  {28, 192, 1, 2}, {28, 192, 2, 1}, {14, 384, 1, 4}, {14, 576, 1, 2},
                                  {14, 576, 2, 1}, {7, 960, 1, 3}};
  const int nl = (int)(sizeof layers / sizeof layers[0]);
  const char* names[MAX_VARIANTS + 1];
  ek_qs8_dwconv_chw_fn fns[MAX_VARIANTS + 1];
  names[0] = "ref";
  fns[0] = ek_qs8_dwconv_chw_ref;
  const int nv = 1 + ek_qs8_dwconv_chw_variants(names + 1, fns + 1, MAX_VARIANTS - 1);
  printf("%-14s", "layer");
  for (int v = 0; v < nv; v++) printf(" %12s", names[v]);
  printf("   (ms per layer, min of 15 interleaved rounds)\n");
  double total[MAX_VARIANTS + 1] = {0}, multi_total = 0;
  const ek_qs8_dwconv_params p = {-3, 5, -128, 127};
  for (int l = 0; l < nl; l++) {
    const int H = layers[l][0], C = layers[l][1], s = layers[l][2], reps = layers[l][3];
    ek_dwconv_geom g = {H, H, (H - 1) / s + 1, (H - 1) / s + 1, 3, 3, s, s, 1, 1};
    int8_t* x = malloc((size_t)C * H * H);
    int8_t* y = malloc((size_t)C * g.OH * g.OW + 16);
    int8_t* w = malloc((size_t)C * 9);
    float* scratch = malloc(sizeof(float) * ek_qs8_dwconv_chw_scratch(&g));
    for (size_t i = 0; i < (size_t)C * H * H; i++) x[i] = i8rand();
    for (int i = 0; i < C * 9; i++) w[i] = i8rand();
    printf("%3dx%-3d c%-4d s%d", H, H, C, s);
    double best[MAX_VARIANTS + 1];
    for (int v = 0; v < nv; v++) best[v] = 1e9;
    for (int round = 0; round < 15; round++)
      for (int v = 0; v < nv; v++) {
        const double t0 = now_s();
        for (int c = 0; c < C; c++)
          fns[v](&g, x + (size_t)c * H * H, w + c * 9, 100, 1.0f / 1024, &p, y + (size_t)c * g.OH * g.OW, scratch);
        const double dt = now_s() - t0;
        if (dt < best[v]) best[v] = dt;
      }
    for (int v = 0; v < nv; v++) {
      total[v] += best[v] * reps;
      printf(" %12.3f", best[v] * 1e3);
    }
    { /* all channels in one call, as the backend does: the flat kernels where they run */
      int32_t* bias = malloc(sizeof(int32_t) * C);
      float* mult = malloc(sizeof(float) * C);
      for (int c = 0; c < C; c++) bias[c] = 100, mult[c] = 1.0f / 1024;
      double best_multi = 1e9;
      for (int round = 0; round < 15; round++) {
        const double t0 = now_s();
        ek_qs8_dwconv_chw_multi(&g, C, x, (int64_t)H * H, w, bias, mult, &p, y, (int64_t)g.OH * g.OW, scratch);
        const double dt = now_s() - t0;
        if (dt < best_multi) best_multi = dt;
      }
      printf("  multi %8.3f", best_multi * 1e3);
      multi_total += best_multi * reps;
      free(bias), free(mult);
    }
    printf("\n");
    free(x);
    free(y);
    free(w);
    free(scratch);
  }
  printf("%-14s", "MobileNetV2");
  for (int v = 0; v < nv; v++) printf(" %12.3f", total[v] * 1e3);
  printf("  multi %8.3f (all 17 depthwise layers; multi: ek_qs8_dwconv_chw_multi, what the backend calls)\n",
         multi_total * 1e3);
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--bench") == 0) return run_bench();
  return run_checks();
}
