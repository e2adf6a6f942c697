/* Times edgekit's group-sparse kernels and Debian XNNPACK's 1x1 convolutions in the same process,
 * single thread, interleaved round-robin so machine noise hits every variant alike.
 *
 *   gspmm_bench ROUNDS GM_F32 GM_QS8 SPARSITY... < layers   (one "M K N" per line)
 *
 * Prints one JSON object per (layer, variant, sparsity). Variants:
 *   xnn_f32_nhwc   XNNPACK dense NHWC 1x1 conv, f32           (baseline, per layer)
 *   xnn_qc8_nhwc   XNNPACK dense NHWC 1x1 conv, int8 per-channel (baseline, per layer)
 *   xnn_f32_nchw   XNNPACK NCHW 1x1 conv (its sparse spmm path) on the same pruned weights
 *   ek_f32, ek_qs8 edgekit ek_gspmm_* on the pruned weights (CHW, like XNNPACK NCHW)
 * Weights are pruned in group_m x 1 groups at exactly round(s * groups) dropped groups. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xnnpack.h>

#include "edgekit/edgekit.h"

#define MAX_SP 8
enum { V_XF32, V_XQC8, V_XNCHW, V_EKF32, V_EKQS8, V_COUNT };
static const char* kNames[V_COUNT] = {"xnn_f32_nhwc", "xnn_qc8_nhwc", "xnn_f32_nchw", "ek_f32", "ek_qs8"};

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}
static float rndf(void) { return (float)(rnd() % 2000001u) / 1000000.0f - 1.0f; }

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

/* Group mask with exactly round(s * groups) groups dropped. */
static void group_mask(int M, int K, int gm, double s, uint8_t* mask) {
  const int nb = (M + gm - 1) / gm, groups = nb * K, drop = (int)lround(s * groups);
  int* perm = malloc(sizeof(int) * (size_t)groups);
  for (int i = 0; i < groups; i++) perm[i] = i;
  for (int i = groups - 1; i > 0; i--) {
    int j = (int)(rnd() % (uint32_t)(i + 1)), t = perm[i];
    perm[i] = perm[j], perm[j] = t;
  }
  memset(mask, 1, (size_t)M * K);
  for (int i = 0; i < drop; i++) {
    const int b = perm[i] / K, k = perm[i] % K;
    for (int m = b * gm; m < (b + 1) * gm && m < M; m++) mask[(size_t)m * K + k] = 0;
  }
  free(perm);
}

typedef struct runner {
  int kind;
  xnn_operator_t op;
  ek_weights* w;
  void* blob;
  double* t;
  int64_t nnz;
} runner;

static void die(const char* what) {
  fprintf(stderr, "gspmm_bench: %s failed\n", what);
  exit(1);
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: gspmm_bench ROUNDS GM_F32 GM_QS8 SPARSITY... < layers\n");
    return 2;
  }
  const int rounds = atoi(argv[1]), gm_f = atoi(argv[2]), gm_q = atoi(argv[3]);
  int nsp = argc - 4 > MAX_SP ? MAX_SP : argc - 4;
  double sp[MAX_SP];
  for (int i = 0; i < nsp; i++) sp[i] = atof(argv[4 + i]);
  if (xnn_initialize(NULL) != xnn_status_success) die("xnn_initialize");
  const char* force = getenv("EK_BENCH_ISA"); /* e.g. avx2: time one ISA variant */
  for (int i = EK_ISA_SCALAR; force && i <= EK_ISA_AVX512; i++)
    if (strcmp(force, ek_isa_name((ek_isa)i)) == 0 && ek_isa_force((ek_isa)i) != EK_OK) die("EK_BENCH_ISA");
  /* EK_BENCH_ONLY=ek_qs8 (or ek_f32, or ek): time only those variants (quick runs, callgrind). */
  const char* only = getenv("EK_BENCH_ONLY");
  fprintf(stderr, "edgekit ISA: f32=%s qs8=%s\n", ek_isa_name(ek_isa_selected(EK_DTYPE_F32)),
          ek_isa_name(ek_isa_selected(EK_DTYPE_QS8)));

  int M, K, N, layer = 0;
  while (scanf("%d %d %d", &M, &K, &N) == 3) {
    const size_t MK = (size_t)M * K;
    float* W = malloc(MK * 4), *Wm = malloc(MK * 4), *bias = malloc((size_t)M * 4), *wscale = malloc((size_t)M * 4);
    int8_t* Wq = malloc(MK), *Wqm = malloc(MK);
    int32_t* qbias = malloc((size_t)M * 4);
    uint8_t* mask = malloc(MK);
    float* X = aligned_alloc(64, ((size_t)K * N * 4 + 63) / 64 * 64), *Xt = aligned_alloc(64, ((size_t)K * N * 4 + 63) / 64 * 64);
    /* Tensors 64-byte aligned, as runtimes' memory planners give them. */
    float* Y = aligned_alloc(64, ((size_t)M * N * 4 + 63) / 64 * 64), *Y2 = aligned_alloc(64, ((size_t)M * N * 4 + 63) / 64 * 64);
    int8_t* Xq = aligned_alloc(64, ((size_t)K * N + 63) / 64 * 64), *Xqt = aligned_alloc(64, ((size_t)K * N + 63) / 64 * 64);
    int8_t* Yq = aligned_alloc(64, ((size_t)M * N + 63) / 64 * 64);
    for (size_t i = 0; i < MK; i++) W[i] = rndf(), Wq[i] = (int8_t)(rnd() % 255 - 127);
    for (int m = 0; m < M; m++) bias[m] = rndf(), wscale[m] = 0.01f, qbias[m] = (int32_t)(rnd() % 2000) - 1000;
    for (size_t i = 0; i < (size_t)K * N; i++) X[i] = rndf(), Xq[i] = (int8_t)(rnd() & 0xff);
    for (int k = 0; k < K; k++)
      for (int n = 0; n < N; n++) Xt[(size_t)n * K + k] = X[(size_t)k * N + n], Xqt[(size_t)n * K + k] = Xq[(size_t)k * N + n];
    const ek_qs8_params qp = {-3, 0.05f, 2, 0.5f, -128, 127};

    runner run[2 + 3 * MAX_SP];
    int nr = 0;
    run[nr] = (runner){V_XF32};
    if (xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, K, M, K, M, W, bias, -INFINITY, INFINITY, 0,
                                          &run[nr].op) != xnn_status_success ||
        xnn_setup_convolution2d_nhwc_f32(run[nr].op, 1, 1, N, Xt, Y2, NULL) != xnn_status_success)
      die("xnn f32 nhwc");
    run[nr++].nnz = (int64_t)MK;
    run[nr] = (runner){V_XQC8};
    if (xnn_create_convolution2d_nhwc_qc8(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, K, M, K, M, qp.input_zero_point,
                                          qp.input_scale, wscale, Wq, qbias, (int8_t)qp.output_zero_point,
                                          qp.output_scale, -128, 127, 0, &run[nr].op) != xnn_status_success ||
        xnn_setup_convolution2d_nhwc_qc8(run[nr].op, 1, 1, N, Xqt, Yq, NULL) != xnn_status_success)
      die("xnn qc8 nhwc");
    run[nr++].nnz = (int64_t)MK;
    double maxdiff[MAX_SP];
    for (int s = 0; s < nsp; s++) {
      group_mask(M, K, gm_f, sp[s], mask);
      for (size_t i = 0; i < MK; i++) Wm[i] = mask[i] ? W[i] : 0.0f;
      runner* r = &run[nr++];
      *r = (runner){V_XNCHW};
      if (xnn_create_convolution2d_nchw_f32(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, K, M, K, M, Wm, bias, -INFINITY,
                                            INFINITY, 0, &r->op) != xnn_status_success ||
          xnn_setup_convolution2d_nchw_f32(r->op, 1, 1, N, X, Y2, NULL) != xnn_status_success)
        die("xnn f32 nchw");
      r = &run[nr++];
      *r = (runner){V_EKF32};
      size_t size = 0;
      ek_pack_f32(M, K, gm_f, W, mask, bias, NULL, 0, &size);
      r->blob = malloc(size);
      if (ek_pack_f32(M, K, gm_f, W, mask, bias, r->blob, size, &size) != EK_OK ||
          ek_weights_open(r->blob, size, &r->w) != EK_OK)
        die("ek f32 pack");
      ek_weights_info info;
      ek_weights_info_get(r->w, &info);
      r->nnz = run[nr - 2].nnz = info.nnz;
      /* Same weights, same CHW layout: edgekit and XNNPACK NCHW must agree. */
      xnn_run_operator(run[nr - 2].op, NULL);
      ek_gspmm_f32(r->w, N, X, N, Y, N, NULL);
      maxdiff[s] = 0;
      for (size_t i = 0; i < (size_t)M * N; i++) maxdiff[s] = fmax(maxdiff[s], fabs(Y[i] - Y2[i]));
      group_mask(M, K, gm_q, sp[s], mask);
      for (size_t i = 0; i < MK; i++) Wqm[i] = mask[i] ? Wq[i] : 0;
      r = &run[nr++];
      *r = (runner){V_EKQS8};
      ek_pack_qs8(M, K, gm_q, Wqm, mask, wscale, qbias, NULL, 0, &size);
      r->blob = malloc(size);
      if (ek_pack_qs8(M, K, gm_q, Wqm, mask, wscale, qbias, r->blob, size, &size) != EK_OK ||
          ek_weights_open(r->blob, size, &r->w) != EK_OK)
        die("ek qs8 pack");
      ek_weights_info_get(r->w, &info);
      r->nnz = info.nnz;
    }
    for (int i = 0; i < nr; i++)
      run[i].t = malloc(sizeof(double) * (size_t)rounds);
    for (int rd = -2; rd < rounds; rd++) /* two warm-up rounds */
      for (int i = 0; i < nr; i++) {
        runner* r = &run[i];
        if (only && strncmp(kNames[r->kind], only, strlen(only)) != 0) continue;
        const double t0 = now_ms();
        if (r->kind == V_EKF32) ek_gspmm_f32(r->w, N, X, N, Y, N, NULL);
        else if (r->kind == V_EKQS8) ek_gspmm_qs8(r->w, N, Xq, N, Yq, N, &qp);
        else xnn_run_operator(r->op, NULL);
        const double t1 = now_ms();
        if (rd >= 0) r->t[rd] = t1 - t0;
      }
    for (int i = 0; i < nr; i++) {
      runner* r = &run[i];
      const int si = i < 2 ? -1 : (i - 2) / 3;
      if (!only || strncmp(kNames[r->kind], only, strlen(only)) == 0) {
        qsort(r->t, (size_t)rounds, sizeof(double), cmp_double);
        printf("{\"layer\": %d, \"M\": %d, \"K\": %d, \"N\": %d, \"variant\": \"%s\", \"sparsity\": %.2f, "
               "\"group_m\": %d, \"nnz\": %lld, \"median_ms\": %.6f, \"min_ms\": %.6f",
               layer, M, K, N, kNames[r->kind], si < 0 ? 0.0 : sp[si],
               r->kind == V_EKQS8 ? gm_q : r->kind <= V_XQC8 ? 1 : gm_f, (long long)r->nnz, r->t[rounds / 2], r->t[0]);
        if (r->kind == V_EKF32) printf(", \"maxdiff_vs_xnn_nchw\": %.3g", maxdiff[si]);
        printf("}\n");
      }
      if (r->op) xnn_delete_operator(r->op);
      if (r->w) ek_weights_close(r->w);
      free(r->blob);
      free(r->t);
    }
    fflush(stdout);
    free(W), free(Wm), free(bias), free(wscale), free(Wq), free(Wqm), free(qbias), free(mask);
    free(X), free(Xt), free(Y), free(Y2), free(Xq), free(Xqt), free(Yq);
    layer++;
  }
  return 0;
}
