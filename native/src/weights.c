/* Validating a blob (ek_weights_open), kernel-ready layouts, unpacking. */
#include <stdlib.h>
#include <string.h>

#include "blob_io.h"
#include "internal.h"

typedef struct header {
  ek_dtype dtype;
  int32_t M, K, group_m, num_blocks;
  uint64_t groups_kept, total_size;
  uint64_t offset[EK_NUM_SECTIONS], size[EK_NUM_SECTIONS];
} header;

static ek_status parse_header(const uint8_t* p, size_t size, header* h) {
  if (size < 4) return EK_ERR_TRUNCATED;
  if (memcmp(p, EK_BLOB_MAGIC, 4) != 0) return EK_ERR_MAGIC;
  if (size < EK_HEADER_SIZE) return EK_ERR_TRUNCATED;
  if (ek_get_u16(p + 4) != EK_BLOB_VERSION) return EK_ERR_VERSION;
  const uint8_t dtype = p[6];
  if (dtype != EK_DTYPE_F32 && dtype != EK_DTYPE_QS8) return EK_ERR_UNSUPPORTED;
  h->dtype = (ek_dtype)dtype;
  h->M = (int32_t)ek_get_u32(p + 8);
  h->K = (int32_t)ek_get_u32(p + 12);
  h->group_m = (int32_t)ek_get_u32(p + 16);
  if (h->group_m != 1 && h->group_m != 4 && h->group_m != 8) return EK_ERR_UNSUPPORTED;
  if (p[7] != 0) return EK_ERR_CORRUPT;
  if (h->M < 1 || h->K < 1 || h->M > EK_MAX_DIM || h->K > EK_MAX_DIM) return EK_ERR_CORRUPT;
  h->num_blocks = (int32_t)ek_get_u32(p + 20);
  if (h->num_blocks != (h->M + h->group_m - 1) / h->group_m) return EK_ERR_CORRUPT;
  h->groups_kept = ek_get_u64(p + 24);
  h->total_size = ek_get_u64(p + 32);
  if (h->groups_kept > (uint64_t)h->num_blocks * (uint64_t)h->K) return EK_ERR_CORRUPT;
  if (h->total_size > size) return EK_ERR_TRUNCATED;

  const int qs8 = h->dtype == EK_DTYPE_QS8;
  const uint64_t expect[EK_NUM_SECTIONS] = {
      (uint64_t)h->num_blocks * 4, h->groups_kept * 4,
      h->groups_kept * (uint64_t)h->group_m * (qs8 ? 1u : 4u), (uint64_t)h->M * 4,
      qs8 ? (uint64_t)h->M * 4 : 0, qs8 ? (uint64_t)h->M * 4 : 0};
  uint64_t pos = EK_HEADER_SIZE;
  for (int i = 0; i < EK_NUM_SECTIONS; i++) {
    h->offset[i] = ek_get_u64(p + 40 + 16 * i);
    h->size[i] = ek_get_u64(p + 48 + 16 * i);
    if (h->offset[i] != ek_align16(pos) || h->size[i] != expect[i]) return EK_ERR_CORRUPT;
    pos = h->offset[i] + h->size[i];
    if (pos > h->total_size) return EK_ERR_TRUNCATED;
  }
  if (pos != h->total_size) return EK_ERR_CORRUPT;
  return EK_OK;
}

/* Checks the sections' contents; returns the qs8 padded group count via *padded. */
static ek_status check_contents(const uint8_t* p, const header* h, uint64_t* padded) {
  const uint8_t* counts = p + h->offset[EK_SEC_COUNTS];
  const uint8_t* indices = p + h->offset[EK_SEC_INDICES];
  uint64_t g = 0, pad_total = 0;
  for (int32_t b = 0; b < h->num_blocks; b++) {
    const uint32_t c = ek_get_u32(counts + 4 * (uint64_t)b);
    if (c > (uint32_t)h->K || c > h->groups_kept - g) return EK_ERR_CORRUPT;
    int64_t prev = -1;
    for (uint32_t j = 0; j < c; j++, g++) {
      const uint32_t k = ek_get_u32(indices + 4 * g);
      if (k >= (uint32_t)h->K || (int64_t)k <= prev) return EK_ERR_CORRUPT;
      prev = k;
    }
    pad_total += (c + EK_QS8_GROUP_PAD - 1) / EK_QS8_GROUP_PAD * EK_QS8_GROUP_PAD;
  }
  if (g != h->groups_kept) return EK_ERR_CORRUPT;
  *padded = pad_total;

  /* Rows past M in the partial last block must hold zeros. */
  const int32_t tail_rows = h->num_blocks * h->group_m - h->M;
  const uint64_t elem = h->dtype == EK_DTYPE_QS8 ? 1 : 4;
  const uint8_t* values = p + h->offset[EK_SEC_VALUES];
  if (tail_rows > 0) {
    const uint64_t last_count = ek_get_u32(counts + 4 * (uint64_t)(h->num_blocks - 1));
    for (uint64_t j = h->groups_kept - last_count; j < h->groups_kept; j++)
      for (int32_t r = h->group_m - tail_rows; r < h->group_m; r++)
        for (uint64_t e = 0; e < elem; e++)
          if (values[(j * (uint64_t)h->group_m + (uint64_t)r) * elem + e] != 0) return EK_ERR_CORRUPT;
  }
  if (h->dtype != EK_DTYPE_QS8) return EK_OK;

  uint32_t* wsum = calloc((size_t)h->M, sizeof(uint32_t));
  if (!wsum) return EK_ERR_NOMEM;
  g = 0;
  for (int32_t b = 0; b < h->num_blocks; b++) {
    const uint32_t c = ek_get_u32(counts + 4 * (uint64_t)b);
    for (uint32_t j = 0; j < c; j++, g++)
      for (int32_t r = 0; r < h->group_m && b * h->group_m + r < h->M; r++)
        wsum[b * h->group_m + r] += (uint32_t)(int32_t)(int8_t)values[g * (uint64_t)h->group_m + (uint64_t)r];
  }
  ek_status st = EK_OK;
  for (int32_t m = 0; m < h->M && st == EK_OK; m++) {
    const float s = ek_get_f32(p + h->offset[EK_SEC_SCALES] + 4 * (uint64_t)m);
    if (!(s > 0.0f) || s == __builtin_inff()) st = EK_ERR_CORRUPT;
    if (ek_get_u32(p + h->offset[EK_SEC_WSUM] + 4 * (uint64_t)m) != wsum[m]) st = EK_ERR_CORRUPT;
  }
  free(wsum);
  return st;
}

static void* carve(uint8_t** cursor, uint64_t bytes) {
  void* p = *cursor;
  *cursor += (bytes + 63) & ~(uint64_t)63;
  return p;
}

static void build_f32(ek_weights* w, const uint8_t* p, const header* h) {
  const uint8_t* counts = p + h->offset[EK_SEC_COUNTS];
  w->block_ptr[0] = 0;
  for (int32_t b = 0; b < h->num_blocks; b++)
    w->block_ptr[b + 1] = w->block_ptr[b] + (int32_t)ek_get_u32(counts + 4 * (uint64_t)b);
  for (uint64_t g = 0; g < h->groups_kept; g++) {
    w->idx[g] = (int32_t)ek_get_u32(p + h->offset[EK_SEC_INDICES] + 4 * g);
    for (int32_t r = 0; r < h->group_m; r++) {
      const uint64_t e = g * (uint64_t)h->group_m + (uint64_t)r;
      w->f32_values[e] = ek_get_f32(p + h->offset[EK_SEC_VALUES] + 4 * e);
    }
  }
  for (int32_t m = 0; m < h->M; m++) w->f32_bias[m] = ek_get_f32(p + h->offset[EK_SEC_BIAS] + 4 * (uint64_t)m);
}

void ek_qs8_store(ek_weights* w, int32_t dst, int32_t r, int8_t v) {
  const int32_t gm = w->group_m; /* dst: group index in the padded layout (blocks start at multiples of 4) */
  w->q16_values[(int64_t)dst * gm + r] = v;
  w->q16_pairs[((int64_t)(dst / 2) * gm + r) * 2 + (dst & 1)] = v;
  w->q8_quads[((int64_t)(dst / 4) * gm + r) * 4 + (dst & 3)] = v;
}

static void build_qs8(ek_weights* w, const uint8_t* p, const header* h) {
  const uint8_t* counts = p + h->offset[EK_SEC_COUNTS];
  const int32_t gm = h->group_m;
  uint64_t src = 0; /* group in the blob */
  int32_t dst = 0;  /* group in the padded layout */
  w->block_ptr[0] = 0;
  for (int32_t b = 0; b < h->num_blocks; b++) {
    const int32_t c = (int32_t)ek_get_u32(counts + 4 * (uint64_t)b);
    const int32_t padded = (c + EK_QS8_GROUP_PAD - 1) / EK_QS8_GROUP_PAD * EK_QS8_GROUP_PAD;
    for (int32_t j = 0; j < padded; j++, dst++) {
      const int real = j < c;
      w->idx[dst] = real ? (int32_t)ek_get_u32(p + h->offset[EK_SEC_INDICES] + 4 * (src + (uint64_t)j))
                         : w->idx[dst - 1];
      for (int32_t r = 0; r < gm; r++)
        ek_qs8_store(w, dst, r,
                     real ? (int8_t)p[h->offset[EK_SEC_VALUES] + (src + (uint64_t)j) * (uint64_t)gm + (uint64_t)r] : 0);
    }
    src += (uint64_t)c;
    w->block_ptr[b + 1] = dst;
  }
  for (int32_t m = 0; m < h->M; m++) {
    w->q_bias[m] = (int32_t)ek_get_u32(p + h->offset[EK_SEC_BIAS] + 4 * (uint64_t)m);
    w->q_scale[m] = ek_get_f32(p + h->offset[EK_SEC_SCALES] + 4 * (uint64_t)m);
    w->q_wsum[m] = (int32_t)ek_get_u32(p + h->offset[EK_SEC_WSUM] + 4 * (uint64_t)m);
  }
}

ek_weights* ek_weights_alloc(ek_dtype dtype, int32_t M, int32_t K, int32_t group_m, uint64_t groups) {
  const int qs8 = dtype == EK_DTYPE_QS8;
  const uint64_t gm = (uint64_t)group_m, nb = ((uint64_t)M + gm - 1) / gm;
  uint64_t bytes = 64 * 10 + sizeof(ek_weights) + (nb + 1) * 4 + groups * 4 + 3 * (uint64_t)M * 4;
  bytes += qs8 ? groups * gm * (2 + 2 + 1) : groups * gm * 4;
  uint8_t* mem = calloc(1, (size_t)bytes);
  if (!mem) return NULL;
  uint8_t* cur = (uint8_t*)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
  ek_weights* w = carve(&cur, sizeof(ek_weights));
  w->mem = mem;
  w->dtype = dtype;
  w->M = M;
  w->K = K;
  w->group_m = group_m;
  w->num_blocks = (int32_t)nb;
  w->block_ptr = carve(&cur, (nb + 1) * 4);
  w->idx = carve(&cur, groups * 4);
  if (qs8) {
    w->q16_values = carve(&cur, groups * gm * 2);
    w->q16_pairs = carve(&cur, groups * gm * 2);
    w->q8_quads = carve(&cur, groups * gm);
    w->q_bias = carve(&cur, (uint64_t)M * 4);
    w->q_scale = carve(&cur, (uint64_t)M * 4);
    w->q_wsum = carve(&cur, (uint64_t)M * 4);
  } else {
    w->f32_values = carve(&cur, groups * gm * 4);
    w->f32_bias = carve(&cur, (uint64_t)M * 4);
  }
  return w;
}

ek_status ek_weights_open(const void* blob, size_t size, ek_weights** out) {
  if (!blob || !out) return EK_ERR_ARG;
  *out = NULL;
  const uint8_t* p = (const uint8_t*)blob;
  header h;
  ek_status st = parse_header(p, size, &h);
  if (st != EK_OK) return st;
  uint64_t padded = 0;
  st = check_contents(p, &h, &padded);
  if (st != EK_OK) return st;

  const int qs8 = h.dtype == EK_DTYPE_QS8;
  const uint64_t groups = qs8 ? padded : h.groups_kept;
  if (groups > (uint64_t)INT32_MAX / 16) return EK_ERR_UNSUPPORTED; /* group offsets are int32 */
  ek_weights* w = ek_weights_alloc(h.dtype, h.M, h.K, h.group_m, groups);
  if (!w) return EK_ERR_NOMEM;
  w->blob = p;
  memcpy(w->sec_offset, h.offset, sizeof w->sec_offset);
  w->groups_kept = (int64_t)h.groups_kept;
  const int32_t tail_rows = h.num_blocks * h.group_m - h.M;
  const int64_t last_count = (int64_t)ek_get_u32(p + h.offset[EK_SEC_COUNTS] + 4 * (uint64_t)(h.num_blocks - 1));
  w->nnz = w->groups_kept * h.group_m - last_count * tail_rows;
  if (qs8) build_qs8(w, p, &h);
  else build_f32(w, p, &h);
  *out = w;
  return EK_OK;
}

void ek_weights_close(ek_weights* w) {
  if (w) free(w->mem);
}

ek_status ek_weights_info_get(const ek_weights* w, ek_weights_info* info) {
  if (!w || !info) return EK_ERR_ARG;
  info->dtype = w->dtype;
  info->M = w->M;
  info->K = w->K;
  info->group_m = w->group_m;
  info->groups_total = (int64_t)w->num_blocks * w->K;
  info->groups_kept = w->groups_kept;
  info->nnz = w->nnz;
  return EK_OK;
}

/* Walks the blob's kept groups, writing values and mask into dense M x K arrays. */
static void unpack_groups(const ek_weights* w, void* W, size_t elem, uint8_t* mask) {
  const uint8_t* p = w->blob;
  const size_t MK = (size_t)w->M * (size_t)w->K;
  if (W) memset(W, 0, MK * elem);
  if (mask) memset(mask, 0, MK);
  uint64_t g = 0;
  for (int32_t b = 0; b < w->num_blocks; b++) {
    const uint32_t c = ek_get_u32(p + w->sec_offset[EK_SEC_COUNTS] + 4 * (uint64_t)b);
    for (uint32_t j = 0; j < c; j++, g++) {
      const uint32_t k = ek_get_u32(p + w->sec_offset[EK_SEC_INDICES] + 4 * g);
      for (int32_t r = 0; r < w->group_m; r++) {
        const int32_t m = b * w->group_m + r;
        if (m >= w->M) break;
        const size_t i = (size_t)m * (size_t)w->K + k;
        if (mask) mask[i] = 1;
        if (W) memcpy((uint8_t*)W + i * elem, p + w->sec_offset[EK_SEC_VALUES] + (g * (uint64_t)w->group_m + (uint64_t)r) * elem, elem);
      }
    }
  }
}

static void copy_le32(void* dst, const uint8_t* src, int32_t n) {
  for (int32_t i = 0; i < n; i++) {
    const uint32_t v = ek_get_u32(src + 4 * (size_t)i);
    memcpy((uint8_t*)dst + 4 * (size_t)i, &v, 4);
  }
}

ek_status ek_unpack_f32(const ek_weights* w, float* W, uint8_t* mask, float* bias) {
  if (!w) return EK_ERR_ARG;
  if (w->dtype != EK_DTYPE_F32) return EK_ERR_UNSUPPORTED;
  unpack_groups(w, W, 4, mask);
  if (bias) copy_le32(bias, w->blob + w->sec_offset[EK_SEC_BIAS], w->M);
  return EK_OK;
}

ek_status ek_unpack_qs8(const ek_weights* w, int8_t* W, uint8_t* mask, float* w_scale, int32_t* bias) {
  if (!w) return EK_ERR_ARG;
  if (w->dtype != EK_DTYPE_QS8) return EK_ERR_UNSUPPORTED;
  unpack_groups(w, W, 1, mask);
  if (w_scale) copy_le32(w_scale, w->blob + w->sec_offset[EK_SEC_SCALES], w->M);
  if (bias) copy_le32(bias, w->blob + w->sec_offset[EK_SEC_BIAS], w->M);
  return EK_OK;
}
