/* Every available ISA variant vs a plain dense reference computed from W * mask (not from the blob):
 * odd shapes, sparsity 0/50/90/100%, all-zero rows, strided X/Y, activation clamps. f32 within a
 * stated tolerance, qs8 bit-exact. Failures name the ISA and the m / n index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ek_test.h"

typedef struct kcase {
  int32_t M, K, N, gm;
  int sparsity_pct;
  uint32_t seed;
} kcase;

/* Group-level mask at the given sparsity; every 5th row is zeroed completely. */
static void make_mask(const kcase* c, ek_rng* r, uint8_t* mask) {
  for (int32_t b = 0; b * c->gm < c->M; b++)
    for (int32_t k = 0; k < c->K; k++) {
      const uint8_t keep = (int)(ek_rand(r) % 100) >= c->sparsity_pct;
      for (int32_t m = b * c->gm; m < (b + 1) * c->gm && m < c->M; m++) mask[(size_t)m * c->K + k] = keep;
    }
  for (int32_t m = 2; m < c->M; m += 5) memset(mask + (size_t)m * c->K, 0, (size_t)c->K);
}

static void run_f32(const kcase* c, ek_isa isa) {
  ek_rng r = {0x1234567ull + c->seed * 7919ull};
  const int32_t ldx = c->N + (c->seed & 1) * 3, ldy = c->N + (c->seed & 2);
  float* W = malloc(sizeof(float) * (size_t)c->M * c->K);
  uint8_t* mask = malloc((size_t)c->M * c->K);
  float* bias = malloc(sizeof(float) * (size_t)c->M);
  float* X = malloc(sizeof(float) * (size_t)c->K * ldx);
  /* 64-byte aligned, so large outputs take the streaming-store path where a kernel has one. */
  float* Y = aligned_alloc(64, (sizeof(float) * (size_t)c->M * ldy + 63) / 64 * 64);
  for (int32_t i = 0; i < c->M * c->K; i++) W[i] = ek_randf(&r);
  for (int32_t i = 0; i < c->K * ldx; i++) X[i] = ek_randf(&r) * 4.0f;
  for (int32_t m = 0; m < c->M; m++) bias[m] = ek_randf(&r);
  make_mask(c, &r, mask);
  const ek_f32_params params = {(c->seed % 3) == 0 ? 0.0f : -INFINITY, (c->seed % 3) == 1 ? 6.0f : INFINITY};
  size_t size = 0;
  ek_pack_f32(c->M, c->K, c->gm, W, mask, bias, NULL, 0, &size);
  void* blob = malloc(size);
  ek_weights* w = NULL;
  ek_status st = ek_pack_f32(c->M, c->K, c->gm, W, mask, bias, blob, size, &size);
  if (st == EK_OK) st = ek_weights_open(blob, size, &w);
  for (int32_t i = 0; i < c->M * ldy; i++) Y[i] = -777.0f; /* sentinel: padding columns must survive */
  if (st == EK_OK) st = ek_gspmm_f32(w, c->N, X, ldx, Y, ldy, &params);
  EK_CHECK(st == EK_OK, "f32 %s M=%d K=%d N=%d: %s", ek_isa_name(isa), c->M, c->K, c->N, ek_status_str(st));
  int bad = 0;
  for (int32_t m = 0; m < c->M && !bad; m++)
    for (int32_t n = 0; n < ldy && !bad; n++) {
      if (n >= c->N) {
        if (Y[(size_t)m * ldy + n] != -777.0f) bad = 1;
        EK_REPORT(!bad, "f32 %s wrote past N at m=%d n=%d", ek_isa_name(isa), m, n);
        continue;
      }
      double ref = bias[m], mag = fabs(bias[m]);
      for (int32_t k = 0; k < c->K; k++) {
        const double p = mask[(size_t)m * c->K + k] ? (double)W[(size_t)m * c->K + k] * X[(size_t)k * ldx + n] : 0.0;
        ref += p;
        mag += fabs(p);
      }
      ref = ref < params.output_min ? params.output_min : ref;
      ref = ref > params.output_max ? params.output_max : ref;
      const double got = Y[(size_t)m * ldy + n], tol = 1e-5 * mag + 1e-6; /* fp32 sum of K terms, any order */
      if (!(fabs(got - ref) <= tol)) bad = 1;
      EK_REPORT(!bad, "f32 %s gm=%d M=%d K=%d N=%d sp=%d%%: m=%d n=%d got %.7g want %.7g", ek_isa_name(isa), c->gm,
               c->M, c->K, c->N, c->sparsity_pct, m, n, got, ref);
    }
  EK_CHECK(!bad, "f32 case above");
  if (st == EK_OK) { /* output-channel slices (threads on small planes): the same bits as the full call */
    float* Y2 = aligned_alloc(64, (sizeof(float) * (size_t)c->M * ldy + 63) / 64 * 64);
    for (int32_t i = 0; i < c->M * ldy; i++) Y2[i] = -777.0f;
    int32_t bounds[4];
    ek_status ss = ek_weights_split_blocks(w, 3, bounds);
    for (int part = 0; part < 3 && ss == EK_OK; part++)
      ss = ek_gspmm_f32_blocks(w, bounds[part], bounds[part + 1], c->N, X, ldx, Y2, ldy, &params);
    EK_CHECK(ss == EK_OK && memcmp(Y, Y2, sizeof(float) * (size_t)c->M * ldy) == 0,
             "f32 %s gm=%d M=%d K=%d N=%d: 3 block slices [%d %d %d %d] differ from the full call", ek_isa_name(isa),
             c->gm, c->M, c->K, c->N, bounds[0], bounds[1], bounds[2], bounds[3]);
    free(Y2);
  }
  ek_weights_close(w);
  free(blob), free(W), free(mask), free(bias), free(X), free(Y);
}

static void run_qs8(const kcase* c, ek_isa isa) {
  ek_rng r = {0xabcdefull + c->seed * 104729ull};
  const int32_t ldx = c->N + (c->seed & 1) * 5, ldy = c->N + (c->seed & 2);
  const size_t MK = (size_t)c->M * c->K;
  int8_t* W = malloc(MK);
  uint8_t* mask = malloc(MK);
  float* scale = malloc(sizeof(float) * (size_t)c->M);
  int32_t* bias = malloc(sizeof(int32_t) * (size_t)c->M);
  int8_t* X = malloc((size_t)c->K * ldx);
  int8_t* Y = aligned_alloc(64, ((size_t)c->M * ldy + 63) / 64 * 64);
  for (size_t i = 0; i < MK; i++) W[i] = ek_rand8(&r);
  if (c->seed % 4 == 3) /* extremes: -128 weights and inputs */
    for (size_t i = 0; i < MK; i += 3) W[i] = -128;
  for (int32_t i = 0; i < c->K * ldx; i++) X[i] = (c->seed % 4 == 3 && i % 2) ? -128 : ek_rand8(&r);
  for (int32_t m = 0; m < c->M; m++) {
    scale[m] = 0.002f + (float)(ek_rand(&r) % 1000) * 1e-5f;
    bias[m] = (int32_t)(ek_rand(&r) % 20001) - 10000;
  }
  make_mask(c, &r, mask);
  ek_qs8_params p = {(int32_t)(ek_rand(&r) % 256) - 128, 0.02f + (float)(ek_rand(&r) % 100) * 1e-4f,
                     (int32_t)(ek_rand(&r) % 256) - 128, 0.05f + (float)(ek_rand(&r) % 100) * 1e-3f, -128, 127};
  if (c->seed % 5 == 4) p.output_scale = 1e-12f; /* |acc * mult| far past 2^31: saturates, never wraps */
  if (c->seed % 7 == 4) p.output_scale = 1e30f;  /* every output the zero point */
  if (c->seed % 7 == 5) p.input_zero_point = -128, p.output_zero_point = 127; /* extreme zero points */
  if (c->seed % 7 == 6) p.input_zero_point = 127, p.output_zero_point = -128;
  if (c->seed % 3 == 0) p.output_min = (int8_t)p.output_zero_point; /* ReLU */
  if (c->seed % 3 == 1) {
    p.output_min = (int8_t)(p.output_zero_point > 0 ? p.output_zero_point : 0);
    p.output_max = (int8_t)(p.output_min < 67 ? p.output_min + 60 : 127); /* ReLU6-like band */
  }
  size_t size = 0;
  ek_pack_qs8(c->M, c->K, c->gm, W, mask, scale, bias, NULL, 0, &size);
  void* blob = malloc(size);
  ek_weights* w = NULL;
  ek_status st = ek_pack_qs8(c->M, c->K, c->gm, W, mask, scale, bias, blob, size, &size);
  if (st == EK_OK) st = ek_weights_open(blob, size, &w);
  memset(Y, 0x5a, (size_t)c->M * ldy);
  if (st == EK_OK) st = ek_gspmm_qs8(w, c->N, X, ldx, Y, ldy, &p);
  EK_CHECK(st == EK_OK, "qs8 %s M=%d K=%d N=%d: %s", ek_isa_name(isa), c->M, c->K, c->N, ek_status_str(st));
  int bad = 0;
  for (int32_t m = 0; m < c->M && !bad; m++) {
    volatile float s = p.input_scale * scale[m];
    const float mult = s / p.output_scale;
    for (int32_t n = 0; n < ldy && !bad; n++) {
      const int8_t got = Y[(size_t)m * ldy + n];
      if (n >= c->N) {
        bad = got != 0x5a;
        EK_REPORT(!bad, "qs8 %s wrote past N at m=%d n=%d", ek_isa_name(isa), m, n);
        continue;
      }
      int64_t acc = bias[m];
      for (int32_t k = 0; k < c->K; k++)
        if (mask[(size_t)m * c->K + k]) acc += (int64_t)W[(size_t)m * c->K + k] * (X[(size_t)k * ldx + n] - p.input_zero_point);
      float f = (float)acc * mult;
      long q = lrintf(fminf(fmaxf(f, -1e6f), 1e6f)) + p.output_zero_point;
      q = q < p.output_min ? p.output_min : q > p.output_max ? p.output_max : q;
      bad = got != (int8_t)q;
      EK_REPORT(!bad, "qs8 %s gm=%d M=%d K=%d N=%d sp=%d%%: m=%d n=%d got %d want %ld (acc %lld)", ek_isa_name(isa),
               c->gm, c->M, c->K, c->N, c->sparsity_pct, m, n, got, q, (long long)acc);
    }
  }
  EK_CHECK(!bad, "qs8 case above");
  if (st == EK_OK) {
    int8_t* Y2 = aligned_alloc(64, ((size_t)c->M * ldy + 63) / 64 * 64);
    memset(Y2, 0x5a, (size_t)c->M * ldy);
    int32_t bounds[4];
    ek_status ss = ek_weights_split_blocks(w, 3, bounds);
    for (int part = 0; part < 3 && ss == EK_OK; part++)
      ss = ek_gspmm_qs8_blocks(w, bounds[part], bounds[part + 1], c->N, X, ldx, Y2, ldy, &p);
    EK_CHECK(ss == EK_OK && memcmp(Y, Y2, (size_t)c->M * ldy) == 0,
             "qs8 %s gm=%d M=%d K=%d N=%d: 3 block slices [%d %d %d %d] differ from the full call", ek_isa_name(isa),
             c->gm, c->M, c->K, c->N, bounds[0], bounds[1], bounds[2], bounds[3]);
    EK_CHECK(ek_gspmm_qs8_blocks(w, 1, 0, c->N, X, ldx, Y2, ldy, &p) == EK_ERR_ARG &&
                 ek_gspmm_qs8_blocks(w, 0, bounds[3] + 1, c->N, X, ldx, Y2, ldy, &p) == EK_ERR_ARG,
             "qs8 blocks: reversed or out-of-range slices are rejected");
    free(Y2);
  }
  ek_weights_close(w);
  free(blob), free(W), free(mask), free(scale), free(bias), free(X), free(Y);
}

static void run_dense(ek_isa isa) {
  /* Dense entry points agree with a 0%-sparsity blob (same kernel family). */
  ek_rng r = {42};
  enum { M = 13, K = 19, N = 23 };
  float W[M * K], X[K * N], Y1[M * N], Y2[M * N], b[M];
  int8_t Wq[M * K], Xq[K * N], Yq1[M * N], Yq2[M * N];
  float s[M];
  int32_t bq[M];
  for (int i = 0; i < M * K; i++) W[i] = ek_randf(&r), Wq[i] = ek_rand8(&r);
  for (int i = 0; i < K * N; i++) X[i] = ek_randf(&r), Xq[i] = ek_rand8(&r);
  for (int i = 0; i < M; i++) b[i] = ek_randf(&r), s[i] = 0.01f, bq[i] = (int32_t)(ek_rand(&r) % 1000);
  W[0] = 0.0f, Wq[0] = 0; /* a zero weight is still multiplied, not skipped */
  ek_qs8_params p = {3, 0.05f, -5, 0.2f, -128, 127};
  EK_CHECK(ek_dense_f32(M, K, N, W, b, X, N, Y1, N, NULL) == EK_OK, "dense f32 %s", ek_isa_name(isa));
  EK_CHECK(ek_dense_qs8(M, K, N, Wq, s, bq, Xq, N, Yq1, N, &p) == EK_OK, "dense qs8 %s", ek_isa_name(isa));
  ek_isa_force(EK_ISA_SCALAR);
  ek_dense_f32(M, K, N, W, b, X, N, Y2, N, NULL);
  ek_dense_qs8(M, K, N, Wq, s, bq, Xq, N, Yq2, N, &p);
  ek_isa_force(isa);
  float maxdiff = 0;
  for (int i = 0; i < M * N; i++) maxdiff = fmaxf(maxdiff, fabsf(Y1[i] - Y2[i]));
  EK_CHECK(maxdiff < 1e-4f, "dense f32 %s vs scalar: max diff %g", ek_isa_name(isa), maxdiff);
  EK_CHECK(memcmp(Yq1, Yq2, sizeof Yq1) == 0, "dense qs8 %s vs scalar differs", ek_isa_name(isa));
  /* ...and both agree with plain loops. */
  int bad = 0;
  for (int m = 0; m < M; m++) {
    volatile float sc = p.input_scale * s[m];
    const float mult = sc / p.output_scale;
    for (int n = 0; n < N; n++) {
      double ref = b[m];
      int32_t acc = bq[m];
      for (int k = 0; k < K; k++) {
        ref += (double)W[m * K + k] * X[k * N + n];
        acc += Wq[m * K + k] * (Xq[k * N + n] - p.input_zero_point);
      }
      long q = lrintf(fminf(fmaxf((float)acc * mult, -128.0f - p.output_zero_point), 127.0f - p.output_zero_point));
      bad |= fabs(Y1[m * N + n] - ref) > 1e-4 || Yq1[m * N + n] != (int8_t)(q + p.output_zero_point);
    }
  }
  EK_CHECK(!bad, "dense %s vs plain loops", ek_isa_name(isa));
}

void test_kernels(void) {
  static const int32_t shapes[][3] = {{1, 1, 1},  {3, 7, 17},  {7, 3, 1},    {17, 17, 7},  {8, 16, 16},
                                      {9, 33, 40}, {24, 5, 33}, {32, 64, 100}, {17, 129, 3}, {40, 24, 65},
                                      {5, 6, 127} /* 7 full + 1 masked vectors */,
                                      {40, 9, 6608} /* 1 MiB output: streaming stores */,
                                      {160, 5, 6592} /* 1 MiB int8 output */};
  static const int sparsities[] = {0, 50, 90, 100};
  static const int32_t gms[] = {1, 4, 8};
  const uint32_t avail = ek_isa_available();
  for (int isa = EK_ISA_SCALAR; isa <= EK_ISA_AVX512; isa++) {
    if (!(avail & (1u << isa))) continue;
    ek_isa_force((ek_isa)isa);
    const int before = ek_t_failed;
    uint32_t seed = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
      for (int sp = 0; sp < 4; sp++)
        for (int g = 0; g < 3; g++) {
          kcase c = {shapes[s][0], shapes[s][1], shapes[s][2], gms[g], sparsities[sp], seed++};
          if (c.N > 1000 && c.gm != 4) continue; /* the big streaming-store shapes: one group shape */
          if (isa != EK_ISA_NEONDOT) run_f32(&c, (ek_isa)isa);
          run_qs8(&c, (ek_isa)isa);
        }
    /* Every pixel tail up to 40 (AVX2 int8: 4-, 8- and 16-pixel tail tiles from a padded copy;
     * f32: a rest of up to 8 joins the last tile, the last vector overlaps), K = 1, K past the
     * int8 kernel's stack tail buffer (1024), several pixel chunks (K x N past 256 KB). */
    for (int32_t n = 1; n <= 40; n++)
      for (int g = 0; g < 3; g++) {
        kcase c = {n % 2 ? 13 : 16, 21, n, gms[g], (int)(n % 3) * 45, seed++};
        if (isa != EK_ISA_NEONDOT) run_f32(&c, (ek_isa)isa);
        run_qs8(&c, (ek_isa)isa);
      }
    static const int32_t more[][3] = {{9, 1, 37}, {6, 1100, 23}, {7, 1100, 64}, {12, 300, 1000}, {20, 70, 4100}};
    for (size_t s = 0; s < sizeof more / sizeof more[0]; s++)
      for (int sp = 0; sp < 3; sp++)
        for (int g = 0; g < 3; g++) {
          kcase c = {more[s][0], more[s][1], more[s][2], gms[g], sparsities[sp], seed++};
          if (isa != EK_ISA_NEONDOT) run_f32(&c, (ek_isa)isa);
          run_qs8(&c, (ek_isa)isa);
        }
    run_dense((ek_isa)isa);
    printf("  kernels %-8s %s\n", ek_isa_name((ek_isa)isa), ek_t_failed == before ? "ok" : "FAILED");
  }
  ek_isa_force(EK_ISA_AUTO);
}
