/*
 * edgekit ExecuTorch delegate blob, version 3 ("EKXB"): a small CHW op program. Version 2 added
 * EKX_OP_CONV (a dense stem convolution, fp32), version 3 the int8 EKX_OP_CONV; the reader also
 * accepts version 1 and 2 blobs, which cannot contain them.
 *
 * Written by edgekit/backends/executorch/blob.py; every field is validated by ekx_program_parse()
 * before anything runs. Little-endian, batch 1, tensors in CHW (= NCHW contiguous for batch 1).
 *
 *   Header (32 B) | ValueRec[num_values] (32 B each) | u32 input_ids[] | u32 output_ids[]
 *   | pad to 8 | OpRec[num_ops] (96 B each) | data (each op's payload, 64-byte aligned offsets)
 *
 * Values are the tensors of the partition. Boundary values (inputs and outputs of the delegate)
 * have slot -1 and live in ExecuTorch's tensors; intermediates live in scratch slots that the
 * ahead-of-time side assigned by liveness (an op never writes a slot it reads).
 */
#ifndef EDGEKIT_EXECUTORCH_PROGRAM_FORMAT_H
#define EDGEKIT_EXECUTORCH_PROGRAM_FORMAT_H

#include <stdint.h>

#define EKX_MAGIC "EKXB"
#define EKX_VERSION 3u
#define EKX_MIN_VERSION 1u /* oldest version this reader accepts */
#define EKX_MAX_VALUES 4096u
#define EKX_MAX_OPS 4096u
#define EKX_MAX_DIM (1 << 16)
#define EKX_MAX_ELEMENTS (1ll << 28)

enum ekx_dtype { EKX_F32 = 1, EKX_QS8 = 2 };

enum ekx_op_kind {
  EKX_OP_CONV1X1 = 1,   /* data: edgekit packed weights (native/PACKED_FORMAT.md); fp[0..1] clamp */
  EKX_OP_DWCONV = 2,    /* ip: kh kw sh sw pad_top pad_left pad_bottom pad_right;
                           f32 data: C*kh*kw weights then C bias; qs8 data: C*kh*kw int8 weights,
                           C int32 bias, C f32 weight scales; fp[0..1] clamp */
  EKX_OP_ADD = 3,       /* fp[0..1] clamp */
  EKX_OP_CLAMP = 4,     /* fp[0..1]; qs8: data = 256 int8 outputs indexed by the input byte */
  EKX_OP_HARDSWISH = 5,
  EKX_OP_GAVGPOOL = 6,  /* C x H x W -> C x 1 x 1 */
  EKX_OP_CONV = 7,      /* dense (groups 1) conv, ip as DWCONV; fp[0..1] clamp.
                           v2 f32 data: (C_in*kh*kw) x C_out weights, tap-major (the C_out weights of
                           one tap contiguous), then C_out bias.
                           v3 qs8 data: C_out x C_in x kh x kw int8 weights (OIHW), C_out int32 bias,
                           C_out f32 weight scales (as DWCONV's qs8 payload, per output channel) */
};

#pragma pack(push, 1)
typedef struct ekx_header {
  char magic[4];
  uint32_t version;
  uint32_t header_size;
  uint32_t num_values;
  uint32_t num_inputs;
  uint32_t num_outputs;
  uint32_t num_ops;
  uint32_t num_slots;
} ekx_header;

typedef struct ekx_value_rec {
  uint32_t dtype;
  int32_t C, H, W;
  float scale;        /* qs8 only */
  int32_t zero_point; /* qs8 only */
  int32_t slot;       /* -1: boundary value */
  uint32_t reserved;
} ekx_value_rec;

typedef struct ekx_op_rec {
  uint32_t kind;
  uint32_t in0, in1; /* in1 = UINT32_MAX when unused */
  uint32_t out;
  int32_t ip[8];
  float fp[8];
  uint64_t data_off;
  uint64_t data_len;
} ekx_op_rec;
#pragma pack(pop)

#endif
