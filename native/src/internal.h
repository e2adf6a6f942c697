/* Internal definitions shared by pack.c, dispatch.c and the kernels (not installed). */
#ifndef EDGEKIT_INTERNAL_H
#define EDGEKIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "edgekit/edgekit.h"

#define EK_BLOB_MAGIC "EKGS"
#define EK_BLOB_VERSION 1
#define EK_HEADER_SIZE 136
#define EK_NUM_SECTIONS 6
#define EK_MAX_DIM (1 << 24)
/* qs8 groups of a block are padded to a multiple of this (int8 pairs for madd, quads for sdot). */
#define EK_QS8_GROUP_PAD 4

enum { EK_SEC_COUNTS, EK_SEC_INDICES, EK_SEC_VALUES, EK_SEC_BIAS, EK_SEC_SCALES, EK_SEC_WSUM };

/* Validated, kernel-ready view. Arrays live in one allocation (`mem`). */
struct ek_weights {
  const uint8_t* blob;      /* the caller's blob, for unpacking */
  uint64_t sec_offset[EK_NUM_SECTIONS];
  ek_dtype dtype;
  int32_t M, K, group_m, num_blocks;
  int64_t groups_kept, nnz;
  int32_t* block_ptr;       /* num_blocks + 1 offsets into the group arrays below */
  int32_t* idx;             /* input channel per group */
  /* f32 */
  float* f32_values;        /* [group][group_m] */
  float* f32_bias;          /* M */
  /* qs8: groups padded per block to a multiple of EK_QS8_GROUP_PAD (weight 0, repeated index) */
  int16_t* q16_values;      /* [group][group_m]          (NEON smlal, scalar) */
  int16_t* q16_pairs;       /* [pair][group_m][2]        (x86 vpmaddwd on two input channels) */
  int8_t* q8_quads;         /* [quad][group_m][4]        (NEON sdot on four input channels) */
  int32_t* q_bias;          /* M */
  float* q_scale;           /* M */
  int32_t* q_wsum;          /* M */
  void* mem;
};

/* Zeroed kernel-ready struct with room for `groups` groups (blob = NULL; free with ek_weights_close). */
ek_weights* ek_weights_alloc(ek_dtype dtype, int32_t M, int32_t K, int32_t group_m, uint64_t groups);
/* Stores int8 weight v of row r of padded group dst into all three qs8 layouts. */
void ek_qs8_store(ek_weights* w, int32_t dst, int32_t r, int8_t v);

/* Row requantization constants for one call. */
typedef struct ek_qs8_rq {
  float fmin, fmax;         /* output_min - zp_out, output_max - zp_out */
  int32_t zp_out, zp_in;
  int8_t qmin, qmax;
} ek_qs8_rq;

typedef void (*ek_f32_kernel)(const ek_weights* w, int32_t N, const float* X, size_t ldx, float* Y,
                              size_t ldy, float out_min, float out_max);
/* mult[m] = input_scale * w_scale[m] / output_scale, acc0[m] = bias[m] - zp_in * wsum[m]. */
typedef void (*ek_qs8_kernel)(const ek_weights* w, int32_t N, const int8_t* X, size_t ldx, int8_t* Y,
                              size_t ldy, const float* mult, const int32_t* acc0, const ek_qs8_rq* rq);

/* Scalar requantization, the reference every vector variant must match bit for bit. */
static inline int8_t ek_requant_scalar(int32_t acc, float mult, const ek_qs8_rq* rq) {
  float f = (float)acc * mult;
  f = f < rq->fmin ? rq->fmin : f;
  f = f > rq->fmax ? rq->fmax : f;
  return (int8_t)((int32_t)__builtin_nearbyintf(f) + rq->zp_out);
}

void ek_f32_gspmm__scalar(const ek_weights*, int32_t, const float*, size_t, float*, size_t, float, float);
void ek_f32_gspmm__avx2(const ek_weights*, int32_t, const float*, size_t, float*, size_t, float, float);
void ek_f32_gspmm__avx512(const ek_weights*, int32_t, const float*, size_t, float*, size_t, float, float);
void ek_f32_gspmm__neon(const ek_weights*, int32_t, const float*, size_t, float*, size_t, float, float);

void ek_qs8_gspmm__scalar(const ek_weights*, int32_t, const int8_t*, size_t, int8_t*, size_t,
                          const float*, const int32_t*, const ek_qs8_rq*);
void ek_qs8_gspmm__avx2(const ek_weights*, int32_t, const int8_t*, size_t, int8_t*, size_t,
                        const float*, const int32_t*, const ek_qs8_rq*);
void ek_qs8_gspmm__avx512(const ek_weights*, int32_t, const int8_t*, size_t, int8_t*, size_t,
                          const float*, const int32_t*, const ek_qs8_rq*);
void ek_qs8_gspmm__neon(const ek_weights*, int32_t, const int8_t*, size_t, int8_t*, size_t,
                        const float*, const int32_t*, const ek_qs8_rq*);
void ek_qs8_gspmm__neondot(const ek_weights*, int32_t, const int8_t*, size_t, int8_t*, size_t,
                           const float*, const int32_t*, const ek_qs8_rq*);

#endif
