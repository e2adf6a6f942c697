/* Packing dense weights into the portable blob (spec: native/PACKED_FORMAT.md). */
#include <string.h>

#include "blob_io.h"
#include "internal.h"

typedef struct pack_src {
  ek_dtype dtype;
  int32_t M, K, group_m;
  const float* wf;
  const int8_t* wq;
  const uint8_t* mask;
} pack_src;

static int element_kept(const pack_src* s, int64_t i) {
  if (s->mask) return s->mask[i] != 0;
  return s->dtype == EK_DTYPE_F32 ? s->wf[i] != 0.0f : s->wq[i] != 0;
}

static int group_kept(const pack_src* s, int32_t b, int32_t k) {
  for (int32_t r = b * s->group_m; r < (b + 1) * s->group_m && r < s->M; r++)
    if (element_kept(s, (int64_t)r * s->K + k)) return 1;
  return 0;
}

static ek_status check_dims(int32_t M, int32_t K, int32_t group_m) {
  if (M < 1 || K < 1 || M > EK_MAX_DIM || K > EK_MAX_DIM) return EK_ERR_ARG;
  if (group_m != 1 && group_m != 4 && group_m != 8) return EK_ERR_UNSUPPORTED;
  return EK_OK;
}

static ek_status pack_common(const pack_src* s, const void* bias, const float* w_scale, void* blob,
                             size_t capacity, size_t* size_out) {
  const int32_t nb = (s->M + s->group_m - 1) / s->group_m;
  uint64_t kept = 0;
  for (int32_t b = 0; b < nb; b++)
    for (int32_t k = 0; k < s->K; k++) kept += (uint64_t)group_kept(s, b, k);

  const int qs8 = s->dtype == EK_DTYPE_QS8;
  const uint64_t elem = qs8 ? 1 : 4;
  uint64_t sizes[EK_NUM_SECTIONS] = {
      (uint64_t)nb * 4, kept * 4, kept * (uint64_t)s->group_m * elem, (uint64_t)s->M * 4,
      qs8 ? (uint64_t)s->M * 4 : 0, qs8 ? (uint64_t)s->M * 4 : 0};
  uint64_t offsets[EK_NUM_SECTIONS];
  uint64_t pos = EK_HEADER_SIZE;
  for (int i = 0; i < EK_NUM_SECTIONS; i++) {
    pos = ek_align16(pos);
    offsets[i] = pos;
    pos += sizes[i];
  }
  const uint64_t total = pos;
  if (size_out) *size_out = (size_t)total;
  if (!blob) return EK_OK;
  if (capacity < total) return EK_ERR_CAPACITY;

  uint8_t* p = (uint8_t*)blob;
  memset(p, 0, (size_t)total);
  memcpy(p, EK_BLOB_MAGIC, 4);
  ek_put_u16(p + 4, EK_BLOB_VERSION);
  p[6] = (uint8_t)s->dtype;
  ek_put_u32(p + 8, (uint32_t)s->M);
  ek_put_u32(p + 12, (uint32_t)s->K);
  ek_put_u32(p + 16, (uint32_t)s->group_m);
  ek_put_u32(p + 20, (uint32_t)nb);
  ek_put_u64(p + 24, kept);
  ek_put_u64(p + 32, total);
  for (int i = 0; i < EK_NUM_SECTIONS; i++) {
    ek_put_u64(p + 40 + 16 * i, offsets[i]);
    ek_put_u64(p + 48 + 16 * i, sizes[i]);
  }

  uint64_t g = 0;
  for (int32_t b = 0; b < nb; b++) {
    uint32_t count = 0;
    for (int32_t k = 0; k < s->K; k++) {
      if (!group_kept(s, b, k)) continue;
      count++;
      ek_put_u32(p + offsets[EK_SEC_INDICES] + 4 * g, (uint32_t)k);
      for (int32_t r = 0; r < s->group_m; r++) {
        const int32_t m = b * s->group_m + r;
        const int64_t i = (int64_t)m * s->K + k;
        const int keep = m < s->M && (!s->mask || s->mask[i]);
        uint8_t* dst = p + offsets[EK_SEC_VALUES] + (g * (uint64_t)s->group_m + (uint64_t)r) * elem;
        if (qs8) {
          *dst = (uint8_t)(keep ? s->wq[i] : 0);
        } else {
          float v = keep ? s->wf[i] : 0.0f;
          uint32_t bits;
          memcpy(&bits, &v, 4);
          ek_put_u32(dst, bits);
        }
      }
      g++;
    }
    ek_put_u32(p + offsets[EK_SEC_COUNTS] + 4 * (uint64_t)b, count);
  }

  for (int32_t m = 0; m < s->M; m++) {
    uint32_t bits = 0;
    if (bias) memcpy(&bits, (const uint8_t*)bias + 4 * (size_t)m, 4);
    ek_put_u32(p + offsets[EK_SEC_BIAS] + 4 * (uint64_t)m, bits);
    if (!qs8) continue;
    float scale = w_scale[m];
    memcpy(&bits, &scale, 4);
    ek_put_u32(p + offsets[EK_SEC_SCALES] + 4 * (uint64_t)m, bits);
    uint32_t wsum = 0; /* sum of the stored (masked) weights, wrapping */
    for (int32_t k = 0; k < s->K; k++) {
      const int64_t i = (int64_t)m * s->K + k;
      if (group_kept(s, m / s->group_m, k) && (!s->mask || s->mask[i])) wsum += (uint32_t)(int32_t)s->wq[i];
    }
    ek_put_u32(p + offsets[EK_SEC_WSUM] + 4 * (uint64_t)m, wsum);
  }
  return EK_OK;
}

ek_status ek_pack_f32(int32_t M, int32_t K, int32_t group_m, const float* W, const uint8_t* mask,
                      const float* bias, void* blob, size_t capacity, size_t* size_out) {
  if (!W) return EK_ERR_ARG;
  ek_status st = check_dims(M, K, group_m);
  if (st != EK_OK) return st;
  pack_src s = {EK_DTYPE_F32, M, K, group_m, W, NULL, mask};
  return pack_common(&s, bias, NULL, blob, capacity, size_out);
}

ek_status ek_pack_qs8(int32_t M, int32_t K, int32_t group_m, const int8_t* W, const uint8_t* mask,
                      const float* w_scale, const int32_t* bias, void* blob, size_t capacity,
                      size_t* size_out) {
  if (!W || !w_scale) return EK_ERR_ARG;
  ek_status st = check_dims(M, K, group_m);
  if (st != EK_OK) return st;
  for (int32_t m = 0; m < M; m++)
    if (!(w_scale[m] > 0.0f) || w_scale[m] == __builtin_inff()) return EK_ERR_ARG;
  pack_src s = {EK_DTYPE_QS8, M, K, group_m, NULL, W, mask};
  return pack_common(&s, bias, w_scale, blob, capacity, size_out);
}
