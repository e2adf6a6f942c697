#include "ops_qs8.h"

#include <cmath>
#include <cstring>

#include "edgekit/edgekit.h"
#include "qs8-conv-chw/qs8-conv-chw.h"
#include "qs8-dwconv-chw/qs8-dwconv-chw.h"
#include "qs8-eltwise-chw/qs8-eltwise-chw.h"
#include "threadpool.h"

namespace edgekit_et {
namespace {

bool fail(std::string* error, const std::string& msg) {
  if (error) *error = msg;
  return false;
}

// fp[0..1] hold the fused clamp in the int8 domain of the output.
bool valid_qs8_clamp(const float* fp) {
  return fp[0] >= -128.0f && fp[1] <= 127.0f && fp[0] <= fp[1] && fp[0] == std::floor(fp[0]) &&
         fp[1] == std::floor(fp[1]);
}

// The payload every int8 conv op carries: per output channel `taps` int8 weights, then one int32
// bias and one f32 weight scale per output channel.
struct ConvPayload {
  const int8_t* weights;  // channels x taps
  const uint8_t* bias;    // channels int32 (unaligned: read with memcpy)
  const uint8_t* scales;  // channels f32
};

ConvPayload conv_payload(const OpInfo& op, int64_t channels, int64_t taps) {
  const uint8_t* d = op.data;
  return {reinterpret_cast<const int8_t*>(d), d + channels * taps, d + channels * taps + 4 * channels};
}

int64_t dw_taps(const OpInfo& op) { return int64_t{op.rec.ip[0]} * op.rec.ip[1]; }
int64_t conv_taps(const OpInfo& op, const ValueInfo& x) { return int64_t{x.C} * op.rec.ip[0] * op.rec.ip[1]; }

// Size of the payload, every weight scale positive and finite, and every requantization scale
// (input * weight / output, in fp32 as XNNPACK computes it) too; then the clamp.
bool validate_conv_payload(const OpInfo& op, const ValueInfo& x, const ValueInfo& y, int64_t channels, int64_t taps,
                           const char* what, std::string* error) {
  if (op.rec.data_len != static_cast<uint64_t>(channels * taps + channels * 8))
    return fail(error, std::string("int8 ") + what + " payload has the wrong size");
  const ConvPayload p = conv_payload(op, channels, taps);
  for (int64_t c = 0; c < channels; c++) {
    float s;
    std::memcpy(&s, p.scales + 4 * c, 4);
    if (!(s > 0.0f) || !std::isfinite(s)) return fail(error, std::string("bad int8 ") + what + " weight scale");
    const float mult = x.scale * s / y.scale;
    if (!(mult > 0.0f) || !std::isfinite(mult))
      return fail(error, std::string("int8 ") + what + " requantization scale out of range");
  }
  return valid_qs8_clamp(op.rec.fp) ? true : fail(error, "bad int8 clamp");
}

bool validate_dwconv(const OpInfo& op, const ValueInfo& x, const ValueInfo& y, std::string* error) {
  if (!validate_dwconv_geometry(op.rec, x, y, error)) return false;
  return validate_conv_payload(op, x, y, x.C, dw_taps(op), "depthwise", error);
}

bool validate_conv(const OpInfo& op, const ValueInfo& x, const ValueInfo& y, std::string* error) {
  if (!validate_window_geometry(op.rec, x, y, error)) return false;
  const ek_conv_geom g = conv_geom(op.rec, x, y);
  if (!ek_qs8_conv_chw_supported(&g)) return fail(error, "int8 dense convolution too large (kernel, stride, taps or channels)");
  return validate_conv_payload(op, x, y, y.C, conv_taps(op, x), "convolution", error);
}

ek_qs8_dwconv_params dw_params(const ValueInfo& x, const ValueInfo& y, const float* fp) {
  return {x.zero_point, y.zero_point, static_cast<int8_t>(fp[0]), static_cast<int8_t>(fp[1])};
}

bool add_params(const ValueInfo& a, const ValueInfo& b, const ValueInfo& y, const float* fp, ek_qs8_add_params* p) {
  return ek_qs8_add_init(p, a.scale, a.zero_point, b.scale, b.zero_point, y.scale, y.zero_point,
                         static_cast<int8_t>(fp[0]), static_cast<int8_t>(fp[1])) == 0;
}

bool same_shape(const ValueInfo& a, const ValueInfo& b) {
  return a.C == b.C && a.H == b.H && a.W == b.W && a.dtype == b.dtype;
}

}  // namespace

void qs8_dwconv_channels(const OpInfo& op, const ValueInfo& x, const ValueInfo& y, const ek_dwconv_geom& g,
                         const int8_t* X, int64_t x_ld, int8_t* Y, int64_t y_ld, int64_t c0, int64_t c1,
                         float* scratch) {
  const int64_t taps = dw_taps(op);
  const ConvPayload pay = conv_payload(op, x.C, taps);
  const ek_qs8_dwconv_params params = dw_params(x, y, op.rec.fp);
  // Chunks of channels: ek_qs8_dwconv_chw_multi runs small stride-1 planes many channels per call (the
  // flat kernels), others per channel.
  constexpr int64_t kChunk = 256;
  int32_t bias[kChunk];
  float mult[kChunk];
  for (int64_t b = c0; b < c1; b += kChunk) {
    const int64_t n = c1 - b < kChunk ? c1 - b : kChunk;
    for (int64_t i = 0; i < n; i++) {
      float w_scale;
      std::memcpy(&bias[i], pay.bias + 4 * (b + i), 4);
      std::memcpy(&w_scale, pay.scales + 4 * (b + i), 4);
      mult[i] = x.scale * w_scale / y.scale;  // as XNNPACK: input * kernel / output, in fp32
    }
    ek_qs8_dwconv_chw_multi(&g, static_cast<int32_t>(n), X + b * x_ld, x_ld, pay.weights + b * taps, bias, mult,
                            &params, Y + b * y_ld, y_ld, scratch);
  }
}

size_t qs8_conv_scratch(const OpInfo& op, const ValueInfo& x, const ValueInfo& y) {
  const ek_conv_geom g = conv_geom(op.rec, x, y);
  return ek_qs8_conv_chw_scratch(&g);
}

void qs8_conv_rows(const OpInfo& op, const ValueInfo& x, const ValueInfo& y, const int8_t* X, int32_t oy0,
                   int32_t oy1, int8_t* Y, int64_t y_ld, float* scratch) {
  const ek_conv_geom g = conv_geom(op.rec, x, y);
  const ConvPayload pay = conv_payload(op, y.C, conv_taps(op, x));
  int32_t bias[EK_QS8_CONV_CHW_MAX_M];
  float mult[EK_QS8_CONV_CHW_MAX_M];
  for (int32_t m = 0; m < y.C; m++) {
    float w_scale;
    std::memcpy(&bias[m], pay.bias + 4 * m, 4);
    std::memcpy(&w_scale, pay.scales + 4 * m, 4);
    mult[m] = x.scale * w_scale / y.scale;  // as XNNPACK: input * kernel / output, in fp32
  }
  const ek_qs8_dwconv_params params = dw_params(x, y, op.rec.fp);
  ek_qs8_conv_chw(&g, X, pay.weights, bias, mult, &params, oy0, oy1, Y, y_ld, scratch);
}

ek_qs8_params qs8_conv1x1_params(const OpInfo& op, const ValueInfo& x, const ValueInfo& y) {
  return ek_qs8_params{x.zero_point, x.scale, y.zero_point, y.scale, static_cast<int8_t>(std::lrintf(op.rec.fp[0])),
                       static_cast<int8_t>(std::lrintf(op.rec.fp[1]))};
}

bool qs8_add_params(const OpInfo& op, const std::vector<ValueInfo>& values, ek_qs8_add_params* p) {
  const ekx_op_rec& r = op.rec;
  return add_params(values[r.in0], values[r.in1], values[r.out], r.fp, p);
}

bool validate_qs8_op(const OpInfo& op, const std::vector<ValueInfo>& values, std::string* error) {
  const ekx_op_rec& r = op.rec;
  const ValueInfo& x = values[r.in0];
  const ValueInfo& y = values[r.out];
  switch (r.kind) {
    case EKX_OP_DWCONV:
      return validate_dwconv(op, x, y, error);
    case EKX_OP_CONV:
      return validate_conv(op, x, y, error);
    case EKX_OP_ADD: {
      if (r.data_len != 0) return fail(error, "unexpected data");
      const ValueInfo& b = values[r.in1];
      if (!same_shape(x, y) || !same_shape(b, y)) return fail(error, "add operands differ in shape");
      if (!valid_qs8_clamp(r.fp)) return fail(error, "bad int8 clamp");
      ek_qs8_add_params p;
      return add_params(x, b, y, r.fp, &p) ? true : fail(error, "int8 add scale ratios out of range");
    }
    case EKX_OP_CLAMP:  // any int8 -> int8 activation with its own qparams, as a 256-entry table
      if (!same_shape(x, y)) return fail(error, "clamp changes the shape");
      return r.data_len == 256 ? true : fail(error, "int8 clamp needs a 256-byte lookup table");
    default:
      return fail(error, "int8 is supported for 1x1, depthwise and dense stem convolution, add and clamp only");
  }
}

int run_qs8_op(const OpInfo& op, const std::vector<ValueInfo>& values, std::vector<void*>& ptr, ThreadPool& pool) {
  const ekx_op_rec& r = op.rec;
  const ValueInfo& x = values[r.in0];
  const ValueInfo& y = values[r.out];
  const int threads = pool.threads();
  switch (r.kind) {
    case EKX_OP_DWCONV: {
      const ek_dwconv_geom g = dwconv_geom(r, x, y);
      const int8_t* X = static_cast<const int8_t*>(ptr[r.in0]);
      int8_t* Y = static_cast<int8_t*>(ptr[r.out]);
      const size_t scratch_floats = ek_qs8_dwconv_chw_scratch(&g);
      const int chunks = threads * 2 < x.C ? threads * 2 : x.C;
      pool.run(chunks, [&](int i) {
        thread_local std::vector<float> scratch;
        if (scratch.size() < scratch_floats) scratch.resize(scratch_floats);
        const int64_t c0 = int64_t{x.C} * i / chunks, c1 = int64_t{x.C} * (i + 1) / chunks;
        qs8_dwconv_channels(op, x, y, g, X, int64_t{x.H} * x.W, Y, int64_t{y.H} * y.W, c0, c1, scratch.data());
      });
      return 0;
    }
    case EKX_OP_CONV: {  // output rows split over threads
      const int8_t* X = static_cast<const int8_t*>(ptr[r.in0]);
      int8_t* Y = static_cast<int8_t*>(ptr[r.out]);
      const size_t scratch_floats = qs8_conv_scratch(op, x, y);
      const int chunks = threads < y.H ? threads : y.H;
      pool.run(chunks, [&](int i) {
        thread_local std::vector<float> scratch;
        if (scratch.size() < scratch_floats + 1) scratch.resize(scratch_floats + 1);
        const int32_t oy0 = static_cast<int32_t>(int64_t{y.H} * i / chunks);
        const int32_t oy1 = static_cast<int32_t>(int64_t{y.H} * (i + 1) / chunks);
        qs8_conv_rows(op, x, y, X, oy0, oy1, Y + int64_t{oy0} * y.W, int64_t{y.H} * y.W, scratch.data());
      });
      return 0;
    }
    case EKX_OP_ADD: {
      ek_qs8_add_params p;
      if (!qs8_add_params(op, values, &p)) return EK_ERR_ARG;
      const int8_t* A = static_cast<const int8_t*>(ptr[r.in0]);
      const int8_t* B = static_cast<const int8_t*>(ptr[r.in1]);
      int8_t* Y = static_cast<int8_t*>(ptr[r.out]);
      const int64_t n = y.numel();
      const int chunks = n >= 4096 ? threads : 1;
      pool.run(chunks, [&](int i) {
        const int64_t b = n * i / chunks, e = n * (i + 1) / chunks;
        ek_qs8_add(static_cast<size_t>(e - b), A + b, B + b, Y + b, &p);
      });
      return 0;
    }
    case EKX_OP_CLAMP: {
      const int8_t* X = static_cast<const int8_t*>(ptr[r.in0]);
      int8_t* Y = static_cast<int8_t*>(ptr[r.out]);
      const int8_t* table = reinterpret_cast<const int8_t*>(op.data);
      const int64_t n = y.numel();
      const int chunks = n >= 16384 ? threads : 1;
      pool.run(chunks, [&](int i) {
        const int64_t b = n * i / chunks, e = n * (i + 1) / chunks;
        ek_qs8_lut(static_cast<size_t>(e - b), X + b, table, Y + b);
      });
      return 0;
    }
    default:
      return EK_ERR_ARG;
  }
}

}  // namespace edgekit_et
