/* Blob format: round trips, size queries, argument errors, truncation and bit flips. */
#include <stdlib.h>
#include <string.h>

#include "ek_test.h"

static void* pack_random(ek_dtype dt, int32_t M, int32_t K, int32_t gm, uint32_t seed, size_t* size,
                         float* W, int8_t* Wq, uint8_t* mask) {
  ek_rng r = {0x9E3779B97F4A7C15ull ^ seed};
  float* bias = malloc(sizeof(float) * (size_t)M);
  int32_t* qbias = malloc(sizeof(int32_t) * (size_t)M);
  float* scale = malloc(sizeof(float) * (size_t)M);
  for (int32_t i = 0; i < M * K; i++) {
    W[i] = ek_randf(&r);
    Wq[i] = ek_rand8(&r);
    mask[i] = (ek_rand(&r) % 3) != 0;
  }
  for (int32_t m = 0; m < M; m++) {
    bias[m] = ek_randf(&r);
    qbias[m] = (int32_t)ek_rand(&r) - (1 << 15);
    scale[m] = 0.001f + (float)(ek_rand(&r) % 100) / 1000.0f;
  }
  ek_status st = dt == EK_DTYPE_F32 ? ek_pack_f32(M, K, gm, W, mask, bias, NULL, 0, size)
                                    : ek_pack_qs8(M, K, gm, Wq, mask, scale, qbias, NULL, 0, size);
  void* blob = malloc(*size);
  if (st == EK_OK)
    st = dt == EK_DTYPE_F32 ? ek_pack_f32(M, K, gm, W, mask, bias, blob, *size, size)
                            : ek_pack_qs8(M, K, gm, Wq, mask, scale, qbias, blob, *size, size);
  EK_CHECK(st == EK_OK, "pack dt=%d M=%d K=%d gm=%d: %s", dt, M, K, gm, ek_status_str(st));
  free(bias);
  free(qbias);
  free(scale);
  return blob;
}

static void roundtrip(ek_dtype dt, int32_t M, int32_t K, int32_t gm, uint32_t seed) {
  size_t n = (size_t)M * (size_t)K, size = 0;
  float* W = malloc(n * 4);
  int8_t* Wq = malloc(n);
  uint8_t* mask = malloc(n);
  void* blob = pack_random(dt, M, K, gm, seed, &size, W, Wq, mask);
  ek_weights* w = NULL;
  ek_status st = ek_weights_open(blob, size, &w);
  EK_CHECK(st == EK_OK, "open dt=%d M=%d K=%d gm=%d: %s", dt, M, K, gm, ek_status_str(st));
  if (st != EK_OK) goto out;
  float* W2 = malloc(n * 4);
  int8_t* Wq2 = malloc(n);
  uint8_t* mask2 = malloc(n);
  if (dt == EK_DTYPE_F32) ek_unpack_f32(w, W2, mask2, NULL);
  else ek_unpack_qs8(w, Wq2, mask2, NULL, NULL);
  int64_t bad = -1, nnz = 0;
  for (size_t i = 0; i < n && bad < 0; i++) {
    const int32_t m = (int32_t)(i / (size_t)K), k = (int32_t)(i % (size_t)K);
    int group_kept = 0;
    for (int32_t r = (m / gm) * gm; r < (m / gm + 1) * gm && r < M; r++) group_kept |= mask[(size_t)r * K + k];
    nnz += group_kept;
    if (mask2[i] != group_kept) bad = (int64_t)i;
    if (dt == EK_DTYPE_F32) {
      float want = mask[i] ? W[i] : 0.0f;
      if (memcmp(&want, &W2[i], 4) != 0) bad = (int64_t)i;
    } else if (Wq2[i] != (mask[i] ? Wq[i] : 0)) {
      bad = (int64_t)i;
    }
  }
  EK_CHECK(bad < 0, "unpack mismatch dt=%d M=%d K=%d gm=%d at m=%d k=%d", dt, M, K, gm,
           (int)(bad / (bad < 0 ? 1 : K)), (int)(bad % K));
  ek_weights_info info;
  ek_weights_info_get(w, &info);
  EK_CHECK(info.nnz == nnz && info.M == M && info.K == K && info.group_m == gm,
           "info nnz=%lld want %lld", (long long)info.nnz, (long long)nnz);
  /* Wrong-dtype unpack is refused. */
  EK_CHECK((dt == EK_DTYPE_F32 ? ek_unpack_qs8(w, NULL, NULL, NULL, NULL) : ek_unpack_f32(w, NULL, NULL, NULL)) ==
               EK_ERR_UNSUPPORTED, "cross-dtype unpack");
  free(W2);
  free(Wq2);
  free(mask2);
  ek_weights_close(w);
out:
  free(blob);
  free(W);
  free(Wq);
  free(mask);
}

/* Every truncation must fail; every single-bit flip must fail or still be a valid, runnable blob. */
static void malformed(ek_dtype dt, int32_t M, int32_t K, int32_t gm) {
  size_t n = (size_t)M * (size_t)K, size = 0;
  float* W = malloc(n * 4);
  int8_t* Wq = malloc(n);
  uint8_t* mask = malloc(n);
  uint8_t* blob = pack_random(dt, M, K, gm, 7, &size, W, Wq, mask);
  int truncated_ok = 0, flips_ok = 0, flips_total = 0;
  for (size_t len = 0; len < size; len++) {
    uint8_t* copy = malloc(len ? len : 1); /* exact-size heap copy: ASan sees any over-read */
    memcpy(copy, blob, len);
    ek_weights* w = NULL;
    if (ek_weights_open(copy, len, &w) == EK_OK) {
      truncated_ok++;
      ek_weights_close(w);
    }
    free(copy);
  }
  EK_CHECK(truncated_ok == 0, "%d truncated blobs accepted (dt=%d)", truncated_ok, dt);
  float X[5 * 64], Y[64 * 5];
  int8_t Xq[5 * 64], Yq[64 * 5];
  memset(X, 0, sizeof X);
  memset(Xq, 0, sizeof Xq);
  for (size_t byte = 0; byte < size; byte++) {
    for (int bit = 0; bit < 8; bit += 3) {
      uint8_t* copy = malloc(size);
      memcpy(copy, blob, size);
      copy[byte] ^= (uint8_t)(1u << bit);
      ek_weights* w = NULL;
      flips_total++;
      if (ek_weights_open(copy, size, &w) == EK_OK) {
        flips_ok++;
        ek_weights_info info;
        ek_weights_info_get(w, &info);
        if (info.M <= 64 && info.K <= 64) {
          ek_qs8_params qp = {0, 0.5f, 0, 0.25f, -128, 127};
          if (info.dtype == EK_DTYPE_F32) ek_gspmm_f32(w, 5, X, 5, Y, 5, NULL);
          else ek_gspmm_qs8(w, 5, Xq, 5, Yq, 5, &qp);
        }
        ek_weights_close(w);
      }
      free(copy);
    }
  }
  /* Flips in values/bias/scales may stay valid; structural flips must not. */
  EK_CHECK(flips_ok < flips_total, "all %d bit flips accepted", flips_total);
  free(blob);
  free(W);
  free(Wq);
  free(mask);
}

static void bad_arguments(void) {
  float W[12] = {1};
  int8_t Wq[12] = {1};
  float scale[3] = {1, 1, 1};
  size_t size = 0;
  EK_CHECK(ek_pack_f32(3, 4, 3, W, NULL, NULL, NULL, 0, &size) == EK_ERR_UNSUPPORTED, "group_m 3");
  EK_CHECK(ek_pack_f32(0, 4, 4, W, NULL, NULL, NULL, 0, &size) == EK_ERR_ARG, "M 0");
  EK_CHECK(ek_pack_f32(3, -1, 4, W, NULL, NULL, NULL, 0, &size) == EK_ERR_ARG, "K -1");
  EK_CHECK(ek_pack_f32(3, 4, 4, NULL, NULL, NULL, NULL, 0, &size) == EK_ERR_ARG, "null W");
  scale[1] = 0.0f;
  EK_CHECK(ek_pack_qs8(3, 4, 4, Wq, NULL, scale, NULL, NULL, 0, &size) == EK_ERR_ARG, "zero scale");
  EK_CHECK(ek_pack_f32(3, 4, 4, W, NULL, NULL, NULL, 0, &size) == EK_OK && size > 136, "size query");
  uint8_t small[64];
  EK_CHECK(ek_pack_f32(3, 4, 4, W, NULL, NULL, small, sizeof small, &size) == EK_ERR_CAPACITY, "capacity");
  ek_weights* w = NULL;
  EK_CHECK(ek_weights_open("EKGX", 4, &w) == EK_ERR_MAGIC, "magic");
  EK_CHECK(ek_weights_open("EK", 2, &w) == EK_ERR_TRUNCATED, "short");
  EK_CHECK(ek_weights_open(NULL, 10, &w) == EK_ERR_ARG, "null blob");
  uint8_t blob[512];
  ek_pack_f32(3, 4, 4, W, NULL, NULL, blob, sizeof blob, &size);
  blob[4] = 2;
  EK_CHECK(ek_weights_open(blob, size, &w) == EK_ERR_VERSION, "version");
  blob[4] = 1;
  EK_CHECK(ek_weights_open(blob, size, &w) == EK_OK, "reopen");
  float X[4] = {0}, Y[3];
  ek_f32_params bad = {1.0f, 0.0f};
  EK_CHECK(ek_gspmm_f32(w, 1, X, 1, Y, 1, &bad) == EK_ERR_ARG, "min > max");
  EK_CHECK(ek_gspmm_f32(w, 2, X, 1, Y, 2, NULL) == EK_ERR_ARG, "ldx < N");
  EK_CHECK(ek_gspmm_f32(w, 0, NULL, 0, NULL, 0, NULL) == EK_OK, "N 0");
  EK_CHECK(ek_gspmm_qs8(w, 1, (int8_t*)X, 1, (int8_t*)Y, 1, NULL) == EK_ERR_ARG, "qs8 on f32 weights");
  ek_weights_close(w);
  EK_CHECK(ek_isa_force((ek_isa)99) == EK_ERR_ARG, "force bad isa");
}

void test_format(void) {
  static const int32_t shapes[][2] = {{1, 1}, {3, 7}, {7, 3}, {17, 17}, {8, 1}, {33, 65}};
  static const int32_t gms[] = {1, 4, 8};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int g = 0; g < 3; g++)
      for (int dt = 1; dt <= 2; dt++) roundtrip((ek_dtype)dt, shapes[s][0], shapes[s][1], gms[g], (uint32_t)s);
  for (int g = 0; g < 3; g++) {
    malformed(EK_DTYPE_F32, 9, 11, gms[g]);
    malformed(EK_DTYPE_QS8, 9, 11, gms[g]);
  }
  bad_arguments();
}

int write_seeds(const char* dir) {
  static const int32_t gms[] = {1, 4, 8};
  for (int g = 0; g < 3; g++)
    for (int dt = 1; dt <= 2; dt++) {
      size_t n = 5 * 6, size = 0;
      float W[30];
      int8_t Wq[30];
      uint8_t mask[30];
      void* blob = pack_random((ek_dtype)dt, 5, 6, gms[g], (uint32_t)g, &size, W, Wq, mask);
      char path[4096];
      snprintf(path, sizeof path, "%s/seed_dt%d_g%d.bin", dir, dt, gms[g]);
      FILE* f = fopen(path, "wb");
      if (!f) return 1;
      fwrite(blob, 1, size, f);
      fclose(f);
      free(blob);
      (void)n;
    }
  return 0;
}
