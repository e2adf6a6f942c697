/*
 * edgekit native library: fine-grained group-sparse (and dense baseline) 1x1-conv / linear kernels.
 *
 *   Y[M x N] = act(W[M x K] . X[K x N] + b)      X, Y in CHW layout (row-major, row stride ldx / ldy)
 *
 * N = H*W pixels of a 1x1 convolution, or 1 / batch for a linear layer. W is pruned in groups of
 * `group_m` consecutive output channels x 1 input channel (group_m = 1 is unstructured).
 * Weights are packed once into a portable, versioned blob (spec: native/PACKED_FORMAT.md);
 * ek_weights_open() validates a blob completely before any kernel may read it.
 *
 * Threading: kernels are single-threaded and re-entrant. Callers split N across threads by
 * passing column slices (X + n0, Y + n0) with the full row strides.
 */
#ifndef EDGEKIT_EDGEKIT_H
#define EDGEKIT_EDGEKIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EK_ABI_VERSION 1

typedef enum ek_status {
  EK_OK = 0,
  EK_ERR_ARG = 1,          /* null pointer, bad dimension, bad parameter */
  EK_ERR_MAGIC = 2,        /* blob does not start with the edgekit magic */
  EK_ERR_VERSION = 3,      /* blob format version not supported by this library */
  EK_ERR_TRUNCATED = 4,    /* blob shorter than its header says */
  EK_ERR_CORRUPT = 5,      /* inconsistent contents: index out of range, counts do not add up */
  EK_ERR_UNSUPPORTED = 6,  /* group shape, dtype or ISA not available */
  EK_ERR_NOMEM = 7,
  EK_ERR_CAPACITY = 8      /* caller's output buffer too small */
} ek_status;

const char* ek_status_str(ek_status status);
const char* ek_version(void);

typedef enum ek_dtype { EK_DTYPE_F32 = 1, EK_DTYPE_QS8 = 2 } ek_dtype;

/* ---- packing ---------------------------------------------------------------------------------
 * W: M x K row-major. mask: M x K, nonzero = keep; NULL keeps every group with any W != 0.
 * A group (group_m rows x 1 column) is kept if any element of it is kept; M need not be a multiple
 * of group_m (the last group is partial). Call with blob == NULL to get the required size.
 */
ek_status ek_pack_f32(int32_t M, int32_t K, int32_t group_m, const float* W, const uint8_t* mask,
                      const float* bias /* M, or NULL for zeros */,
                      void* blob, size_t capacity, size_t* size_out);

/* int8: per-output-channel symmetric weights (w_scale[M] > 0), int32 bias in units of
 * input_scale * w_scale[m] (the runtimes' convention). */
ek_status ek_pack_qs8(int32_t M, int32_t K, int32_t group_m, const int8_t* W, const uint8_t* mask,
                      const float* w_scale, const int32_t* bias /* M, or NULL */,
                      void* blob, size_t capacity, size_t* size_out);

/* ---- validated view of a blob ---------------------------------------------------------------- */
typedef struct ek_weights ek_weights; /* opaque; the blob must outlive it */

typedef struct ek_weights_info {
  ek_dtype dtype;
  int32_t M, K, group_m;
  int64_t groups_total;   /* ceil(M / group_m) * K */
  int64_t groups_kept;
  int64_t nnz;            /* kept weight elements (groups_kept * group_m, less partial-group rows) */
} ek_weights_info;

ek_status ek_weights_open(const void* blob, size_t size, ek_weights** out);
void ek_weights_close(ek_weights* w);
ek_status ek_weights_info_get(const ek_weights* w, ek_weights_info* info);

/* Bit-exact inverse of packing. Any output pointer may be NULL. */
ek_status ek_unpack_f32(const ek_weights* w, float* W, uint8_t* mask, float* bias);
ek_status ek_unpack_qs8(const ek_weights* w, int8_t* W, uint8_t* mask, float* w_scale, int32_t* bias);

/* ---- kernels --------------------------------------------------------------------------------- */
typedef struct ek_f32_params {
  float output_min; /* -INFINITY: none; 0: ReLU */
  float output_max; /* +INFINITY: none; 6: ReLU6 */
} ek_f32_params;

/* Requantization (per output channel m):
 *   acc = bias[m] + sum_k W[m,k] * (X[k,n] - input_zero_point)                        (int32)
 *   y   = clamp(round_half_even((float)acc * (input_scale * w_scale[m] / output_scale))
 *               + output_zero_point, output_min, output_max)
 * The multiplier is computed in fp32 exactly as written; output is bit-exact to the scalar reference. */
typedef struct ek_qs8_params {
  int32_t input_zero_point;
  float input_scale;
  int32_t output_zero_point;
  float output_scale;
  int8_t output_min; /* fused ReLU / ReLU6 clamp, in the quantized domain */
  int8_t output_max;
} ek_qs8_params;

ek_status ek_gspmm_f32(const ek_weights* w, int32_t N, const float* X, int32_t ldx,
                       float* Y, int32_t ldy, const ek_f32_params* params);
ek_status ek_gspmm_qs8(const ek_weights* w, int32_t N, const int8_t* X, int32_t ldx,
                       int8_t* Y, int32_t ldy, const ek_qs8_params* params);

/* Output-channel slices, for threads that split a layer whose plane is too small to split by
 * columns (a 7x7 plane is one vector tile wide): block b is output channels [b * group_m,
 * (b + 1) * group_m). ek_weights_split_blocks fills bounds[0..parts] (0 = bounds[0] <= ... <=
 * bounds[parts] = number of blocks) so each slice holds about the same number of kept groups. The
 * _blocks calls compute blocks [block0, block1) only, Y still pointing at output channel 0: the
 * same bits as those rows of the full call. */
ek_status ek_weights_split_blocks(const ek_weights* w, int32_t parts, int32_t* bounds);
ek_status ek_gspmm_f32_blocks(const ek_weights* w, int32_t block0, int32_t block1, int32_t N, const float* X,
                              int32_t ldx, float* Y, int32_t ldy, const ek_f32_params* params);
ek_status ek_gspmm_qs8_blocks(const ek_weights* w, int32_t block0, int32_t block1, int32_t N, const int8_t* X,
                              int32_t ldx, int8_t* Y, int32_t ldy, const ek_qs8_params* params);

/* Dense baseline with the same math and layout (W row-major M x K). */
ek_status ek_dense_f32(int32_t M, int32_t K, int32_t N, const float* W, const float* bias,
                       const float* X, int32_t ldx, float* Y, int32_t ldy, const ek_f32_params* params);
ek_status ek_dense_qs8(int32_t M, int32_t K, int32_t N, const int8_t* W, const float* w_scale,
                       const int32_t* bias, const int8_t* X, int32_t ldx, int8_t* Y, int32_t ldy,
                       const ek_qs8_params* params);

/* ---- ISA dispatch ---------------------------------------------------------------------------- */
typedef enum ek_isa {
  EK_ISA_AUTO = 0,
  EK_ISA_SCALAR = 1,
  EK_ISA_NEON = 2,      /* armv8.0 Advanced SIMD (Raspberry Pi 4 class) */
  EK_ISA_NEONDOT = 3,   /* armv8.2 dot product (sdot), int8 only */
  EK_ISA_AVX2 = 4,      /* x86-64 AVX2 + FMA */
  EK_ISA_AVX512 = 5     /* x86-64 AVX-512 F/BW/VL */
} ek_isa;

uint32_t ek_isa_available(void);              /* bitmask of (1u << ek_isa) this CPU can run */
ek_isa ek_isa_selected(ek_dtype dtype);       /* what the kernels dispatch to now */
ek_status ek_isa_force(ek_isa isa);           /* tests / benchmarks; EK_ISA_AUTO restores */
const char* ek_isa_name(ek_isa isa);

#ifdef __cplusplus
}
#endif
#endif /* EDGEKIT_EDGEKIT_H */
