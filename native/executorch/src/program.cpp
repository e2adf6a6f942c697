#include "program.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

#include "edgekit/edgekit.h"
#include "f32-conv-chw/f32-conv-chw.h"
#include "f32-dwconv-chw/f32-dwconv-chw.h"
#include "fused_f32.h"
#include "fused_f32_channels.h"
#include "fused_qs8.h"
#include "ops.h"
#include "ops_qs8.h"
#include "threadpool.h"

namespace edgekit_et {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

bool fail(std::string* error, const std::string& msg) {
  if (error) *error = msg;
  return false;
}

std::string op_name(uint32_t i) { return "op " + std::to_string(i); }

bool same_shape(const ValueInfo& a, const ValueInfo& b) {
  return a.C == b.C && a.H == b.H && a.W == b.W && a.dtype == b.dtype;
}

bool valid_clamp(const float* fp) {
  return !std::isnan(fp[0]) && !std::isnan(fp[1]) && fp[0] <= fp[1];
}

const char* kind_name(uint32_t kind) {
  switch (kind) {
    case EKX_OP_CONV1X1: return "conv1x1";
    case EKX_OP_DWCONV: return "dwconv";
    case EKX_OP_ADD: return "add";
    case EKX_OP_CLAMP: return "clamp";
    case EKX_OP_HARDSWISH: return "hardswish";
    case EKX_OP_GAVGPOOL: return "gavgpool";
    case EKX_OP_CONV: return "conv";
    default: return "?";
  }
}
}  // namespace

Program::~Program() {
  if (profile_ && profiled_runs_ > 0) {
    // One JSON line per step (an op, or a fused block named by its ops' kinds): shapes, mean /
    // median / min microseconds per run. On a shared, noisy machine the min is the op's own cost.
    for (size_t i = 0; i < steps_.size(); i++) {
      const Step& st = steps_[i];
      std::string kind = kind_name(ops_[st.first_op].rec.kind);
      for (int32_t k = 1; k < st.num_ops; k++) kind += std::string("+") + kind_name(ops_[st.first_op + k].rec.kind);
      if (st.num_ops > 1) kind = "block:" + kind;
      const ValueInfo& x = values_[ops_[st.first_op].rec.in0];
      const ValueInfo& y = values_[ops_[st.first_op + st.num_ops - 1].rec.out];
      std::vector<float>& t = step_samples_[i];
      std::sort(t.begin(), t.end());
      std::fprintf(stderr,
                   "{\"edgekit_op\": %d, \"kind\": \"%s\", \"in\": [%d, %d, %d], \"out\": [%d, %d, %d], "
                   "\"us\": %.2f, \"median_us\": %.2f, \"min_us\": %.2f}\n",
                   st.first_op, kind.c_str(), x.C, x.H, x.W, y.C, y.H, y.W,
                   1e6 * step_seconds_[i] / static_cast<double>(profiled_runs_), 1e6 * t[t.size() / 2], 1e6 * t[0]);
    }
  }
  for (auto& op : ops_)
    if (op.weights) ek_weights_close(op.weights);
  for (auto* s : slots_) std::free(s);
  std::free(blob_);
}

std::unique_ptr<Program> Program::parse(const void* blob, size_t size, std::string* error) {
  if (blob == nullptr || size < sizeof(ekx_header)) {
    fail(error, "blob shorter than its header");
    return nullptr;
  }
  std::unique_ptr<Program> p(new Program());
  p->blob_ = static_cast<uint8_t*>(std::aligned_alloc(64, (size + 63) / 64 * 64));
  if (!p->blob_) {
    fail(error, "out of memory");
    return nullptr;
  }
  std::memcpy(p->blob_, blob, size);
  p->size_ = size;
  if (!p->validate(error)) return nullptr;
  p->plan_steps();
  p->profile_ = std::getenv("EDGEKIT_PROFILE") != nullptr;
  p->step_seconds_.assign(p->steps_.size(), 0.0);
  p->step_samples_.resize(p->steps_.size());
  return p;
}

bool Program::validate(std::string* error) {
  ekx_header h;
  std::memcpy(&h, blob_, sizeof h);
  if (std::memcmp(h.magic, EKX_MAGIC, 4) != 0) return fail(error, "not an edgekit delegate blob (bad magic)");
  if (h.version < EKX_MIN_VERSION || h.version > EKX_VERSION)
    return fail(error, "delegate blob version " + std::to_string(h.version) + " not supported (this library reads " +
                           std::to_string(EKX_VERSION) + "): re-export the model with this edgekit");
  if (h.header_size != sizeof(ekx_header)) return fail(error, "bad header size");
  if (h.num_values == 0 || h.num_values > EKX_MAX_VALUES) return fail(error, "bad value count");
  if (h.num_ops == 0 || h.num_ops > EKX_MAX_OPS) return fail(error, "bad op count");
  if (h.num_inputs == 0 || h.num_inputs > h.num_values || h.num_outputs == 0 || h.num_outputs > h.num_values)
    return fail(error, "bad input/output count");
  if (h.num_slots > h.num_values) return fail(error, "bad slot count");

  // Table sizes: all counts are <= 4096, so these cannot overflow.
  uint64_t off = sizeof(ekx_header);
  const uint64_t values_off = off;
  off += uint64_t{h.num_values} * sizeof(ekx_value_rec);
  const uint64_t ids_off = off;
  off += uint64_t{h.num_inputs + h.num_outputs} * 4;
  off = (off + 7) / 8 * 8;
  const uint64_t ops_off = off;
  off += uint64_t{h.num_ops} * sizeof(ekx_op_rec);
  if (off > size_) return fail(error, "blob truncated: tables end past its size");

  values_.resize(h.num_values);
  for (uint32_t i = 0; i < h.num_values; i++) {
    ekx_value_rec r;
    std::memcpy(&r, blob_ + values_off + i * sizeof r, sizeof r);
    if (r.dtype != EKX_F32 && r.dtype != EKX_QS8) return fail(error, "value " + std::to_string(i) + ": bad dtype");
    if (r.C < 1 || r.H < 1 || r.W < 1 || r.C > EKX_MAX_DIM || r.H > EKX_MAX_DIM || r.W > EKX_MAX_DIM)
      return fail(error, "value " + std::to_string(i) + ": bad shape");
    if (int64_t{r.C} * r.H * r.W > EKX_MAX_ELEMENTS) return fail(error, "value " + std::to_string(i) + ": too large");
    if (r.slot < -1 || r.slot >= static_cast<int32_t>(h.num_slots))
      return fail(error, "value " + std::to_string(i) + ": bad slot");
    if (r.dtype == EKX_QS8 && (!(r.scale > 0.0f) || !std::isfinite(r.scale) || r.zero_point < -128 || r.zero_point > 127))
      return fail(error, "value " + std::to_string(i) + ": bad quantization");
    values_[i] = ValueInfo{r.dtype, r.C, r.H, r.W, r.scale, r.zero_point, r.slot};
  }

  std::vector<uint8_t> role(h.num_values, 0);  // 1 input, 2 output
  for (uint32_t i = 0; i < h.num_inputs + h.num_outputs; i++) {
    uint32_t id;
    std::memcpy(&id, blob_ + ids_off + 4 * i, 4);
    if (id >= h.num_values || values_[id].slot != -1 || role[id] != 0)
      return fail(error, "bad input/output value id");
    role[id] = i < h.num_inputs ? 1 : 2;
    (i < h.num_inputs ? inputs_ : outputs_).push_back(id);
  }

  // Ops: every read sees a defined value that still owns its slot; every value is written once.
  std::vector<uint8_t> defined(h.num_values, 0);
  for (uint32_t id : inputs_) defined[id] = 1;
  std::vector<uint32_t> slot_owner(h.num_slots, kNone);
  slot_bytes_.assign(h.num_slots, 0);
  ops_.resize(h.num_ops);
  for (uint32_t i = 0; i < h.num_ops; i++) {
    OpInfo& op = ops_[i];
    std::memcpy(&op.rec, blob_ + ops_off + i * sizeof(ekx_op_rec), sizeof(ekx_op_rec));
    const ekx_op_rec& r = op.rec;
    const bool binary = r.kind == EKX_OP_ADD;
    if (r.in0 >= h.num_values || r.out >= h.num_values) return fail(error, op_name(i) + ": bad value id");
    if (binary ? r.in1 >= h.num_values : r.in1 != kNone) return fail(error, op_name(i) + ": bad second input");
    for (uint32_t in : {r.in0, r.in1}) {
      if (in == kNone) continue;
      if (!defined[in]) return fail(error, op_name(i) + ": reads a value before it is written");
      const int32_t s = values_[in].slot;
      if (s >= 0 && slot_owner[s] != in) return fail(error, op_name(i) + ": reads a clobbered slot");
    }
    if (defined[r.out] || role[r.out] == 1) return fail(error, op_name(i) + ": writes a value twice");
    const int32_t os = values_[r.out].slot;
    // A written value lives in a slot or in the caller's output buffer; anything else has no memory.
    if (os < 0 && role[r.out] != 2) return fail(error, op_name(i) + ": writes a value that has no storage");
    if (os >= 0 && ((values_[r.in0].slot == os) || (r.in1 != kNone && values_[r.in1].slot == os)))
      return fail(error, op_name(i) + ": output aliases an input");
    if (r.data_off > size_ || r.data_len > size_ - r.data_off || r.data_off % 64 != 0)
      return fail(error, op_name(i) + ": data out of bounds");
    op.data = r.data_len ? blob_ + r.data_off : nullptr;
    if (r.kind == EKX_OP_CONV && h.version < 2) return fail(error, op_name(i) + ": conv op in a version 1 blob");
    if (r.kind == EKX_OP_CONV && values_[r.in0].dtype == EKX_QS8 && h.version < 3)
      return fail(error, op_name(i) + ": int8 conv op in a version " + std::to_string(h.version) + " blob");
    if (!validate_op(op, error)) {
      if (error) *error = op_name(i) + ": " + *error;
      return false;
    }
    defined[r.out] = 1;
    if (os >= 0) {
      slot_owner[os] = r.out;
      if (values_[r.out].bytes() > slot_bytes_[os]) slot_bytes_[os] = values_[r.out].bytes();
    }
  }
  for (uint32_t id : outputs_)
    if (!defined[id]) return fail(error, "an output is never written");

  for (size_t s = 0; s < slot_bytes_.size(); s++) {
    void* mem = std::aligned_alloc(64, (slot_bytes_[s] + 63) / 64 * 64 + 64);
    if (!mem) return fail(error, "out of memory");
    slots_.push_back(static_cast<uint8_t*>(mem));
  }
  return true;
}

bool Program::validate_op(OpInfo& op, std::string* error) {
  const ekx_op_rec& r = op.rec;
  const ValueInfo& x = values_[r.in0];
  const ValueInfo& y = values_[r.out];
  if (x.dtype != y.dtype) return fail(error, "input and output dtypes differ");
  if (x.dtype == EKX_QS8 && r.kind != EKX_OP_CONV1X1) return validate_qs8_op(op, values_, error);  // ops_qs8.cpp
  if (r.kind != EKX_OP_CONV1X1 && r.kind != EKX_OP_DWCONV && r.kind != EKX_OP_CONV && r.data_len != 0)
    return fail(error, "unexpected data");
  switch (r.kind) {
    case EKX_OP_CONV1X1: {
      if (x.H != y.H || x.W != y.W) return fail(error, "1x1 convolution changes the spatial size");
      if (!valid_clamp(r.fp)) return fail(error, "bad clamp");
      ek_status st = ek_weights_open(op.data, r.data_len, &op.weights);
      if (st != EK_OK) return fail(error, std::string("packed weights rejected: ") + ek_status_str(st));
      ek_weights_info info;
      if (ek_weights_info_get(op.weights, &info) != EK_OK) return fail(error, "packed weights unreadable");
      if (info.K != x.C || info.M != y.C) return fail(error, "packed weights do not match the channel counts");
      if (info.dtype != (x.dtype == EKX_F32 ? EK_DTYPE_F32 : EK_DTYPE_QS8))
        return fail(error, "packed weights have the wrong dtype");
      if (x.dtype == EKX_QS8 && (r.fp[0] < -128.0f || r.fp[1] > 127.0f)) return fail(error, "bad int8 clamp");
      return true;
    }
    case EKX_OP_DWCONV: {
      if (!validate_dwconv_geometry(r, x, y, error)) return false;
      const int32_t kh = r.ip[0], kw = r.ip[1];
      if (r.data_len != (uint64_t{static_cast<uint32_t>(x.C)} * kh * kw + x.C) * 4)
        return fail(error, "depthwise weights have the wrong size");
      if (!valid_clamp(r.fp)) return fail(error, "bad clamp");
      return true;
    }
    case EKX_OP_ADD:
      if (!same_shape(x, y) || !same_shape(values_[r.in1], y)) return fail(error, "add operands differ in shape");
      return valid_clamp(r.fp) ? true : fail(error, "bad clamp");
    case EKX_OP_CLAMP:
      if (!same_shape(x, y)) return fail(error, "clamp changes the shape");
      return valid_clamp(r.fp) ? true : fail(error, "bad clamp");
    case EKX_OP_HARDSWISH:
      return same_shape(x, y) ? true : fail(error, "hardswish changes the shape");
    case EKX_OP_GAVGPOOL:
      return (x.C == y.C && y.H == 1 && y.W == 1) ? true : fail(error, "bad global pool shape");
    case EKX_OP_CONV: {
      if (!validate_window_geometry(r, x, y, error)) return false;
      const ek_conv_geom g = conv_geom(r, x, y);
      if (!ek_f32_conv_chw_supported(&g)) return fail(error, "dense convolution too large (kernel, stride or taps)");
      if (r.data_len != (uint64_t{static_cast<uint32_t>(x.C)} * g.kh * g.kw + 1) * static_cast<uint32_t>(y.C) * 4)
        return fail(error, "convolution weights have the wrong size");
      if (!valid_clamp(r.fp)) return fail(error, "bad clamp");
      return true;
    }
    default:
      return fail(error, "unknown op kind " + std::to_string(r.kind));
  }
}

// Fused fp32 / int8 blocks (fused_f32.h, fused_qs8.h) unless EDGEKIT_NO_FUSION is set (op-by-op, for comparison).
void Program::plan_steps() {
  if (std::getenv("EDGEKIT_NO_FUSION") == nullptr) {
    blocks_ = find_f32_blocks(values_, ops_, outputs_);
    qs8_blocks_ = find_qs8_blocks(values_, ops_, outputs_);
  }
  size_t next_block = 0, next_qs8 = 0;
  for (int32_t i = 0; i < static_cast<int32_t>(ops_.size());) {
    if (next_block < blocks_.size() && blocks_[next_block].first_op() == i) {
      const int32_t n = blocks_[next_block].num_ops();
      steps_.push_back(Step{i, n, static_cast<int32_t>(next_block++)});
      i += n;
    } else if (next_qs8 < qs8_blocks_.size() && qs8_blocks_[next_qs8].first_op() == i) {
      const int32_t n = qs8_blocks_[next_qs8].num_ops();
      steps_.push_back(Step{i, n, -1, static_cast<int32_t>(next_qs8++)});
      i += n;
    } else {
      steps_.push_back(Step{i, 1, -1});
      i++;
    }
  }
}

int Program::execute(const void* const* inputs, void* const* outputs, ThreadPool& pool) {
  std::vector<void*> ptr(values_.size(), nullptr);
  for (size_t i = 0; i < inputs_.size(); i++) ptr[inputs_[i]] = const_cast<void*>(inputs[i]);
  for (size_t i = 0; i < outputs_.size(); i++) ptr[outputs_[i]] = outputs[i];
  for (size_t v = 0; v < values_.size(); v++)
    if (values_[v].slot >= 0) ptr[v] = slots_[values_[v].slot];
  for (size_t i = 0; i < steps_.size(); i++) {
    const auto t0 = profile_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    int st = run_step(i, ptr, pool);
    if (st != 0) return st;
    if (profile_) {
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      step_seconds_[i] += dt;
      step_samples_[i].push_back(static_cast<float>(dt));
    }
  }
  profiled_runs_ += profile_ ? 1 : 0;
  return 0;
}

int Program::run_step(size_t i, std::vector<void*>& ptr, ThreadPool& pool) {
  const Step& step = steps_[i];
  if (step.block >= 0) {
    const F32Block& b = blocks_[step.block];
    if (f32_block_by_channels(b, values_, ops_, pool.threads()))
      return run_f32_block_channels(b, values_, ops_, ptr, pool);
    const int32_t rows = f32_block_band_rows(b, values_, ops_, pool.threads());
    if (rows > 0) return run_f32_block(b, rows, values_, ops_, ptr, pool);
  }
  if (step.qs8_block >= 0) {
    const Qs8Block& b = qs8_blocks_[step.qs8_block];
    const int32_t rows = qs8_block_band_rows(b, values_, ops_, pool.threads());
    if (rows > 0) return run_qs8_block(b, rows, values_, ops_, ptr, pool);
  }
  for (int32_t k = 0; k < step.num_ops; k++) {  // a single op, or a block this thread count runs op by op
    int st = run_op(ops_[step.first_op + k], ptr, pool);
    if (st != 0) return st;
  }
  return 0;
}

int Program::run_op(const OpInfo& op, std::vector<void*>& ptr, ThreadPool& pool) {
  if (op.rec.kind == EKX_OP_CONV1X1) return run_conv1x1_op(op, values_, ptr, pool);   // ops_f32.cpp, both dtypes
  if (values_[op.rec.in0].dtype == EKX_QS8) return run_qs8_op(op, values_, ptr, pool);  // ops_qs8.cpp
  return run_f32_op(op, values_, ptr, pool);                                           // ops_f32.cpp
}

ek_conv_geom conv_geom(const ekx_op_rec& r, const ValueInfo& x, const ValueInfo& y) {
  return ek_conv_geom{x.C, x.H, x.W, y.C, y.H, y.W, r.ip[0], r.ip[1], r.ip[2], r.ip[3], r.ip[4], r.ip[5]};
}

ek_dwconv_geom dwconv_geom(const ekx_op_rec& r, const ValueInfo& x, const ValueInfo& y) {
  return ek_dwconv_geom{x.H, x.W, y.H, y.W, r.ip[0], r.ip[1], r.ip[2], r.ip[3], r.ip[4], r.ip[5]};
}

int32_t threaded_band_rows(int32_t rows, const ValueInfo& y, int threads) {
  rows = std::max(rows, 1);
  if (threads > 1) {
    if (y.H < 2 * threads || int64_t{y.H} * y.W <= kOpByOpMaxPlane) return 0;
    // A multiple of `threads` bands of equal height (the runners place band edges at b * H / bands):
    // 34+34+34+10 rows left one thread 68 rows, the other 44.
    int32_t bands = (y.H + rows - 1) / rows;
    bands = (bands + threads - 1) / threads * threads;
    rows = (y.H + bands - 1) / bands;
  }
  return rows;
}

int64_t fused_band_bytes() {
  static const int64_t bytes = [] {
    if (const char* env = std::getenv("EDGEKIT_BAND_BYTES")) {  // tests: force several bands
      const long long v = std::atoll(env);
      if (v >= 1024) return static_cast<int64_t>(std::min<long long>(v, 1LL << 30));
    }
    int64_t l2 = 0;
#ifdef _SC_LEVEL2_CACHE_SIZE
    l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
    if (l2 <= 0) return int64_t{512} * 1024;
    return std::clamp<int64_t>(l2, int64_t{256} * 1024, int64_t{4} * 1024 * 1024);
  }();
  return bytes;
}

bool validate_dwconv_geometry(const ekx_op_rec& r, const ValueInfo& x, const ValueInfo& y, std::string* error) {
  if (x.C != y.C) return fail(error, "depthwise convolution changes the channel count");
  return validate_window_geometry(r, x, y, error);
}

bool validate_window_geometry(const ekx_op_rec& r, const ValueInfo& x, const ValueInfo& y, std::string* error) {
  const int32_t kh = r.ip[0], kw = r.ip[1], sh = r.ip[2], sw = r.ip[3];
  const int32_t pt = r.ip[4], pl = r.ip[5], pb = r.ip[6], pr = r.ip[7];
  if (kh < 1 || kw < 1 || kh > 16 || kw > 16 || sh < 1 || sw < 1 || sh > 4 || sw > 4)
    return fail(error, "bad kernel or stride");
  if (pt < 0 || pl < 0 || pb < 0 || pr < 0 || pt >= kh || pb >= kh || pl >= kw || pr >= kw)
    return fail(error, "bad padding");
  const int64_t eh = int64_t{x.H} + pt + pb - kh, ew = int64_t{x.W} + pl + pr - kw;
  if (eh < 0 || ew < 0 || eh / sh + 1 != y.H || ew / sw + 1 != y.W)
    return fail(error, "output size does not match the kernel geometry");
  return true;
}

}  // namespace edgekit_et
